#include "aws/credentials_chain.hpp"

#include "aws/credentials_file.hpp"

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
        "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a "
        "shared credentials file, or run with an ECS task role or an EC2 instance role. Tried:" +
        skipped);
}

DefaultCredentialsChain::DefaultCredentialsChain(DefaultCredentialsChainOptions options) {
    std::vector<std::shared_ptr<CredentialsProvider>> providers{
        std::make_shared<EnvironmentCredentialsProvider>(options.env),
        std::make_shared<ProfileCredentialsProvider>(options.env),
        std::make_shared<ContainerCredentialsProvider>(options.env, options.http, options.container),
        std::make_shared<InstanceMetadataCredentialsProvider>(options.env, options.http, options.instance_metadata),
    };
    cache_ = std::make_shared<CachingCredentialsProvider>(std::make_shared<CredentialsChain>(std::move(providers)),
                                                          options.cache);
}

std::shared_ptr<DefaultCredentialsChain> shared_default_credentials_chain() {
    static const std::shared_ptr<DefaultCredentialsChain> chain = std::make_shared<DefaultCredentialsChain>();
    return chain;
}

}  // namespace watchbot_progress::aws
