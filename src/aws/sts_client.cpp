#include "aws/sts_client.hpp"

#include <pugixml.hpp>

#include "aws/aws_client.hpp"
#include "aws/endpoint.hpp"
#include "aws/url.hpp"
#include "watchbot_progress/error_codes.hpp"

namespace watchbot_progress::aws {
namespace {

constexpr const char* kStsVersion = "2011-06-15";

pugi::xml_node find_element(const pugi::xml_node& node, std::string_view name) {
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        std::string_view element = child.name();
        if (auto colon = element.find(':'); colon != std::string_view::npos) element = element.substr(colon + 1);
        if (element == name) return child;
        if (pugi::xml_node found = find_element(child, name)) return found;
    }
    return {};
}

AwsClientConfig sts_config(const ProfileCredentialsOptions& options) {
    const StsEndpoint sts = resolve_sts_endpoint(options.env);
    AwsClientConfig config;
    config.service = "sts";
    config.region = sts.region;
    config.endpoint = sts.endpoint;
    config.http = http_for_profiles(options);
    config.retry = RetryPolicy::from_env(options.env);
    config.hooks = options.hooks;
    return config;
}

QueryParams common_params(const std::string& action, const AssumeRoleParams& params) {
    QueryParams out{{"Action", action}, {"RoleArn", params.role_arn}, {"RoleSessionName", params.role_session_name}};
    if (params.duration_seconds) out.emplace_back("DurationSeconds", std::to_string(*params.duration_seconds));
    return out;
}

Credentials call(AwsClientConfig config, const std::string& action, QueryParams params,
                 std::vector<std::string> secrets, const std::string& role_arn, const std::string& context) {
    params.emplace_back("Version", kStsVersion);
    AwsRequest request;
    request.operation = action;
    request.protocol = AwsProtocol::kQuery;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    request.body = form_encode(params);
    request.secrets = std::move(secrets);
    const std::string endpoint = config.endpoint;
    const std::string what = context + ": STS " + action + " for role " + role_arn + " at " + redact_url(endpoint);
    HttpResponse response;
    try {
        response = AwsClient(std::move(config)).send(request);
    } catch (const BackendError& e) {
        throw BackendError(what + " failed: " + e.what(), e.code(), e.retryable());
    }
    return credentials_from_sts_xml(response.body, what);
}

}  // namespace

StsEndpoint resolve_sts_endpoint(const EnvLookup& env) {
    StsEndpoint out;
    // No region anywhere: us-east-1, the signing region of STS's global endpoint.
    out.region = configured_region(env).value_or("us-east-1");
    out.endpoint = resolve_endpoint("sts", out.region, env);
    return out;
}

Credentials credentials_from_sts_xml(std::string_view body, const std::string& what) {
    auto fail = [&](const std::string& why) {
        return BackendError(what + " returned unusable credentials (" + why + "); check that the endpoint is STS",
                            std::string(error_code::kInvalidCredentialsResponse), false);
    };
    pugi::xml_document doc;
    if (!doc.load_buffer(body.data(), body.size())) throw fail("the answer is not XML");
    pugi::xml_node node = find_element(doc, "Credentials");
    if (!node) throw fail("no <Credentials> element");
    auto text = [&](const char* name) {
        pugi::xml_node child = find_element(node, name);
        std::string value = child ? child.text().get() : "";
        if (value.empty()) throw fail(std::string("missing ") + name);
        return value;
    };
    Credentials out;
    out.access_key_id = text("AccessKeyId");
    out.secret_access_key = text("SecretAccessKey");
    out.session_token = text("SessionToken");
    try {
        out.expiration = parse_iso8601(text("Expiration"));
    } catch (const InvalidInput&) {
        throw fail("Expiration is not an ISO 8601 date-time");
    }
    return out;
}

Credentials sts_assume_role(const ProfileCredentialsOptions& options, const AssumeRoleParams& params,
                            const Credentials& source, const std::string& context) {
    AwsClientConfig config = sts_config(options);
    config.credentials = std::make_shared<StaticCredentialsProvider>(source);
    QueryParams query = common_params("AssumeRole", params);
    if (params.external_id) query.emplace_back("ExternalId", *params.external_id);
    return call(std::move(config), "AssumeRole", std::move(query), {}, params.role_arn, context);
}

Credentials sts_assume_role_with_web_identity(const ProfileCredentialsOptions& options, const AssumeRoleParams& params,
                                              const std::string& web_identity_token, const std::string& context) {
    AwsClientConfig config = sts_config(options);
    config.sign_requests = false;
    QueryParams query = common_params("AssumeRoleWithWebIdentity", params);
    query.emplace_back("WebIdentityToken", web_identity_token);
    return call(std::move(config), "AssumeRoleWithWebIdentity", std::move(query), {web_identity_token},
                params.role_arn, context);
}

std::string default_role_session_name(TimePoint now) {
    return "watchbot-progress-" +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

}  // namespace watchbot_progress::aws
