#include "aws/credentials_remote.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

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

bool allowed_full_uri(const ParsedUrl& url) {
    if (url.scheme == "https") return true;
    if (url.scheme != "http") return false;
    const std::string& host = url.host;
    return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "169.254.170.2" ||
           host == "169.254.170.23" || host == "fd00:ec2::23";
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

ContainerCredentialsProvider::ContainerCredentialsProvider(EnvLookup env, std::shared_ptr<HttpClient> http,
                                                           ContainerCredentialsOptions options)
    : env_(std::move(env)), options_(std::move(options)), http_(std::move(http)) {
    if (!http_) http_ = std::make_shared<CurlHttpClient>(options_.http);
}

Credentials ContainerCredentialsProvider::get_credentials() {
    HttpRequest request;
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
        if (!allowed_full_uri(parsed)) {
            throw ConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback address or "
                              "the ECS/EKS credentials agent (169.254.170.2, 169.254.170.23); got " +
                              origin_of(*full));
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
            response = http_->send(request);
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
