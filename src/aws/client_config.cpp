#include "aws/client_config.hpp"

#include "aws/credentials_chain.hpp"
#include "aws/endpoint.hpp"
#include "aws/retry.hpp"
#include "watchbot_progress/errors.hpp"

namespace watchbot_progress::aws {

AwsClientConfig client_config(std::string service, const AwsOptions& options, const std::optional<Arn>& arn,
                              const EnvLookup& env, std::shared_ptr<CredentialsProvider> default_credentials,
                              std::string_view what) {
    if (options.max_attempts < 0 || options.max_attempts > 100) {
        throw ConfigError(std::string(what) + ".max_attempts is " + std::to_string(options.max_attempts) +
                          ": give 1 to 100 attempts, or 0 for AWS_MAX_ATTEMPTS (default 3)");
    }
    const bool has_key = !options.access_key_id.empty();
    const bool has_secret = !options.secret_access_key.empty();
    if (has_key != has_secret) {
        throw ConfigError(std::string(what) + ": static credentials need both access_key_id and secret_access_key "
                          "(or neither, for the default credentials chain)");
    }
    AwsClientConfig config;
    config.region = options.region.empty() ? resolve_region(arn, env) : options.region;
    config.endpoint = options.endpoint.empty() ? resolve_endpoint(service, config.region, env) : options.endpoint;
    config.service = std::move(service);
    if (options.max_attempts > 0) {
        config.retry.max_attempts = options.max_attempts;
    } else {
        config.retry = RetryPolicy::from_env(env);
    }
    config.http_options.connect_timeout = options.connect_timeout;
    config.http_options.request_timeout = options.request_timeout;
    if (has_key) {
        Credentials credentials;
        credentials.access_key_id = options.access_key_id;
        credentials.secret_access_key = options.secret_access_key;
        if (!options.session_token.empty()) credentials.session_token = options.session_token;
        config.credentials = std::make_shared<StaticCredentialsProvider>(std::move(credentials));
    } else {
        config.credentials = std::move(default_credentials);
    }
    return config;
}

AwsClientConfig client_config_from_env(std::string service, const std::optional<Arn>& arn) {
    return client_config(std::move(service), AwsOptions{}, arn, process_env(), shared_default_credentials_chain(),
                         "AwsOptions");
}

AwsClientConfig client_config_from_env(std::string service, const std::optional<Arn>& arn, const EnvLookup& env) {
    return client_config(std::move(service), AwsOptions{}, arn, env, default_credentials_for(env), "AwsOptions");
}

std::shared_ptr<CredentialsProvider> default_credentials_for(const EnvLookup& env) {
    DefaultCredentialsChainOptions chain;
    chain.env = env;
    return std::make_shared<DefaultCredentialsChain>(std::move(chain));
}

}  // namespace watchbot_progress::aws
