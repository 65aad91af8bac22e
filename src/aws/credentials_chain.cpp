#include "aws/credentials_chain.hpp"

#include "aws/credentials_assume_role.hpp"
#include "aws/credentials_profile.hpp"

namespace watchbot_progress::aws {

CredentialsChain::CredentialsChain(std::vector<std::shared_ptr<CredentialsProvider>> providers)
    : providers_(std::move(providers)) {}

Credentials CredentialsChain::get_credentials() {
    std::string skipped;
    for (const auto& provider : providers_) {
        try {
            return provider->get_credentials();
        } catch (const CredentialsNotConfigured& e) {
            skipped += "\n  - " + provider->name() + ": " + e.what();
        }
    }
    throw CredentialsNotConfigured(
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in "
        "~/.aws/credentials or ~/.aws/config (keys, role_arn, credential_process or sso_*), or run with an ECS task "
        "role, an EKS web identity or an EC2 instance role. Tried:" +
        skipped);
}

DefaultCredentialsChain::DefaultCredentialsChain(DefaultCredentialsChainOptions options) {
    ProfileCredentialsOptions profile_options;
    profile_options.env = options.env;
    profile_options.http = options.sts_http ? options.sts_http : std::make_shared<CurlHttpClient>();
    profile_options.clock = options.cache.clock ? options.cache.clock : Clock(system_clock_now);
    profile_options.hooks = options.sts_hooks;
    profile_options.metadata_http = options.http;
    profile_options.container = options.container;
    profile_options.instance_metadata = options.instance_metadata;

    // botocore's create_credential_resolver: environment, assume role, the profile's providers,
    // then the container endpoint and instance metadata.
    std::vector<std::shared_ptr<CredentialsProvider>> providers{
        std::make_shared<EnvironmentCredentialsProvider>(options.env),
        std::make_shared<AssumeRoleCredentialsProvider>(profile_options),
    };
    for (auto& provider : profile_providers(std::nullopt, /*use_environment=*/true, profile_options)) {
        providers.push_back(std::move(provider));
    }
    providers.push_back(std::make_shared<ContainerCredentialsProvider>(options.env, options.http, options.container));
    providers.push_back(
        std::make_shared<InstanceMetadataCredentialsProvider>(options.env, options.http, options.instance_metadata));
    cache_ = std::make_shared<CachingCredentialsProvider>(std::make_shared<CredentialsChain>(std::move(providers)),
                                                          options.cache);
}

std::shared_ptr<DefaultCredentialsChain> shared_default_credentials_chain() {
    static const std::shared_ptr<DefaultCredentialsChain> chain = std::make_shared<DefaultCredentialsChain>();
    return chain;
}

}  // namespace watchbot_progress::aws
