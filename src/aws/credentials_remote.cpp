#include "aws/credentials_remote.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "aws/error_classification.hpp"
#include "aws/url.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr const char* kServiceError = "CredentialsServiceError";

// scheme://host[:port] of a URL, for messages: the path of container URIs is a credential handle.
std::string origin_of(const std::string& url) {
    try {
        ParsedUrl parsed = parse_url(url);
        return parsed.scheme + "://" + (parsed.ipv6 ? "[" + parsed.host + "]" : parsed.host) +
               (parsed.port ? ":" + std::to_string(*parsed.port) : "");
    } catch (const InvalidInput&) {
        return "(malformed URL)";
    }
}

constexpr const char* kAllowedHosts =
    "over http it must name a loopback address (127.0.0.0/8, ::1, localhost) or the ECS/EKS credentials agent "
    "(169.254.170.2, 169.254.170.23, fd00:ec2::23); use https for any other host";

// Loopback (127.0.0.0/8, ::1, and IPv4-mapped loopback) or an ECS/EKS credentials agent address
// (169.254.170.2, 169.254.170.23, fd00:ec2::23): where plain http may carry the authorization token.
bool allowed_address(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        const std::uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
        return (ip >> 24U) == 127U || ip == 0xA9FEAA02U /* 169.254.170.2 */ || ip == 0xA9FEAA17U /* .23 */;
    }
    if (address->sa_family != AF_INET6) return false;
    const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&ip)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&ip)) {
        sockaddr_in v4{};
        v4.sin_family = AF_INET;
        std::memcpy(&v4.sin_addr, ip.s6_addr + 12, 4);
        return allowed_address(reinterpret_cast<const sockaddr*>(&v4));
    }
    static const unsigned char kEksAgent[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23};
    return std::memcmp(ip.s6_addr, kEksAgent, 16) == 0;
}

std::string numeric_host(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = address->sa_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
    ::inet_ntop(address->sa_family, raw, text, sizeof text);
    return address->sa_family == AF_INET6 ? "[" + std::string(text) + "]" : std::string(text);
}

// The addresses a plain-http FULL_URI's host resolves to (a numeric host is its own address), each
// checked with allowed_address; ConfigError when the name does not resolve or any address is not
// allowed. The request then goes to these addresses only (HttpRequest::connect_to), so the name is
// not looked up a second time: a DNS answer cannot change between the check and the connection.
std::vector<std::string> checked_addresses(const ParsedUrl& url, const std::string& origin) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
        throw ConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI names " + origin + ", whose host does not resolve (" +
                          (rc == 0 ? std::string("no addresses") : std::string(::gai_strerror(rc))) + "): " +
                          kAllowedHosts);
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
    std::vector<std::string> addresses;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        if (a->ai_addr == nullptr || !allowed_address(a->ai_addr)) {
            throw ConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI names " + origin + ", whose host resolves to " +
                              (a->ai_addr == nullptr ? std::string("an unknown address") : numeric_host(a->ai_addr)) +
                              ": " + kAllowedHosts);
        }
        const std::string address = numeric_host(a->ai_addr);
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) addresses.push_back(address);
    }
    return addresses;
}

std::string trim(std::string text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

BackendError status_error(const std::string& what, const std::string& origin, int status, const std::string& advice) {
    return BackendError(what + " at " + origin + " answered HTTP " + std::to_string(status) + "; " + advice,
                        kServiceError, is_retryable_error(status, ""));
}

}  // namespace

// The request to each address in turn (HttpRequest::connect_to) until one answers; with no addresses
// (RELATIVE_URI, https) as it is.
HttpResponse ContainerCredentialsProvider::send_to_checked(HttpRequest request, const std::vector<std::string>& addresses,
                                                           int port) {
    if (addresses.empty()) return http_->send(request);
    for (std::size_t i = 0;; ++i) {
        request.connect_to = addresses[i] + ":" + std::to_string(port);
        try {
            return http_->send(request);
        } catch (const BackendError&) {
            if (i + 1 == addresses.size()) throw;
        }
    }
}

ContainerCredentialsProvider::ContainerCredentialsProvider(EnvLookup env, std::shared_ptr<HttpClient> http,
                                                           ContainerCredentialsOptions options)
    : env_(std::move(env)), options_(std::move(options)), http_(std::move(http)) {
    if (!http_) http_ = std::make_shared<CurlHttpClient>(options_.http);
}

Credentials ContainerCredentialsProvider::get_credentials() {
    HttpRequest request;
    std::vector<std::string> addresses;  // plain-http FULL_URI: the checked addresses to connect to, in order
    int port = 0;
    request.method = "GET";
    request.headers.emplace_back("Accept", "application/json");
    if (auto relative = env_non_empty(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
        if (relative->front() != '/') {
            throw ConfigError("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
        }
        request.url = options_.relative_uri_base + *relative;
    } else if (auto full = env_non_empty(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        ParsedUrl parsed;
        try {
            parsed = parse_url(*full);
        } catch (const InvalidInput&) {
            throw ConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URL");
        }
        if (parsed.scheme != "https") {
            if (parsed.scheme != "http") {
                throw ConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback address "
                                  "or the ECS/EKS credentials agent; got " + origin_of(*full));
            }
            addresses = checked_addresses(parsed, origin_of(*full));
            port = parsed.port.value_or(80);
        }
        request.url = *full;
        std::optional<std::string> token;
        if (auto token_file = env_non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
            std::ifstream in(*token_file, std::ios::binary);
            if (!in) {
                throw ConfigError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (" + *token_file +
                                  "): check that it exists and is readable");
            }
            std::stringstream text;
            text << in.rdbuf();
            token = trim(text.str());
        } else {
            token = env_non_empty(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
        }
        if (token) {
            if (token->find_first_of("\r\n") != std::string::npos) {
                throw ConfigError("the container authorization token contains a line break: fix "
                                  "AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)");
            }
            request.headers.emplace_back("Authorization", *token);
        }
    } else {
        throw CredentialsNotConfigured(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
    }

    const std::string origin = origin_of(request.url);
    const int attempts = std::max(1, options_.max_attempts);
    for (int attempt = 1;; ++attempt) {
        HttpResponse response;
        try {
            response = send_to_checked(request, addresses, port);
        } catch (const BackendError& e) {
            if (e.retryable() && attempt < attempts) continue;
            throw BackendError("could not get credentials from the container credentials endpoint at " + origin +
                                   " (" + e.code() + ") after " + std::to_string(attempt) +
                                   " attempt(s); check that the task role is set and the endpoint is reachable",
                               kServiceError, e.retryable());
        }
        if (response.status == 200) return credentials_from_json(response.body, "the container credentials endpoint");
        if (is_retryable_error(response.status, "") && attempt < attempts) continue;
        throw status_error("the container credentials endpoint", origin, response.status,
                           response.status == 401 || response.status == 403
                               ? "check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)"
                               : "check the task role and the credentials URI");
    }
}

InstanceMetadataCredentialsProvider::InstanceMetadataCredentialsProvider(EnvLookup env,
                                                                         std::shared_ptr<HttpClient> http,
                                                                         InstanceMetadataOptions options)
    : env_(std::move(env)), options_(std::move(options)), http_(std::move(http)) {
    if (!http_) http_ = std::make_shared<CurlHttpClient>(options_.http);
}

std::string InstanceMetadataCredentialsProvider::endpoint() const {
    std::string base;
    if (auto configured = env_non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
        base = *configured;
    } else if (auto mode = env_non_empty(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
               mode && (*mode == "IPv6" || *mode == "ipv6" || *mode == "IPV6")) {
        base = "http://[fd00:ec2::254]";
    } else {
        base = "http://169.254.169.254";
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

Credentials InstanceMetadataCredentialsProvider::get_credentials() {
    if (env_true(env_, "AWS_EC2_METADATA_DISABLED")) {
        throw CredentialsNotConfigured("EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)");
    }
    const std::string base = endpoint();
    const std::string origin = origin_of(base);

    HttpRequest token_request;
    token_request.method = "PUT";
    token_request.url = base + "/latest/api/token";
    token_request.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds",
                                       std::to_string(options_.token_ttl_seconds));
    HttpResponse token_response;
    try {
        token_response = http_->send(token_request);
    } catch (const BackendError& e) {
        throw CredentialsNotConfigured("no EC2 instance metadata service at " + origin + " (" + e.code() + ")");
    }
    if (token_response.status == 403 || token_response.status == 404 || token_response.status == 405) {
        throw CredentialsNotConfigured("the EC2 instance metadata service at " + origin +
                                       " does not issue IMDSv2 tokens (HTTP " +
                                       std::to_string(token_response.status) + ")");
    }
    if (token_response.status != 200 || token_response.body.empty()) {
        throw status_error("the EC2 instance metadata service", origin, token_response.status,
                           "try again, or set AWS_EC2_METADATA_DISABLED=true if this is not an EC2 instance");
    }
    const std::string token = trim(token_response.body);

    auto get = [&](const std::string& path) {
        HttpRequest request;
        request.method = "GET";
        request.url = base + path;
        request.headers.emplace_back("X-aws-ec2-metadata-token", token);
        try {
            return http_->send(request);
        } catch (const BackendError& e) {
            throw BackendError("the EC2 instance metadata service at " + origin + " stopped answering (" + e.code() +
                                   "); try again",
                               kServiceError, e.retryable());
        }
    };

    HttpResponse roles = get("/latest/meta-data/iam/security-credentials/");
    if (roles.status == 404) throw CredentialsNotConfigured("no IAM role is attached to this EC2 instance");
    if (roles.status != 200) {
        throw status_error("the EC2 instance metadata service", origin, roles.status, "try again later");
    }
    std::string role = trim(roles.body.substr(0, roles.body.find('\n')));
    if (role.empty()) throw CredentialsNotConfigured("no IAM role is attached to this EC2 instance");

    HttpResponse creds = get("/latest/meta-data/iam/security-credentials/" + uri_encode(role));
    if (creds.status != 200) {
        throw status_error("the EC2 instance metadata service", origin, creds.status,
                           "check the instance profile's role '" + role + "'");
    }
    return credentials_from_json(creds.body, "EC2 instance metadata");
}

}  // namespace watchbot_progress::aws
