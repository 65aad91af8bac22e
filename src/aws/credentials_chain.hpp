#pragma once
// Credentials chains: the generic one, and the default one the AWS SDKs use.

#include <memory>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/credentials_cache.hpp"
#include "aws/credentials_remote.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"

namespace watchbot_progress::aws {

// Asks each provider in order and returns the first credentials. A provider that throws
// CredentialsNotConfigured is skipped; any other exception (a configured provider that is broken)
// propagates. When none is configured, throws CredentialsNotConfigured listing why each was
// skipped and what to set. Not cached. Thread-safe if the providers are.
class CredentialsChain : public CredentialsProvider {
public:
    explicit CredentialsChain(std::vector<std::shared_ptr<CredentialsProvider>> providers);
    Credentials get_credentials() override;
    std::string name() const override { return "credentials chain"; }

private:
    std::vector<std::shared_ptr<CredentialsProvider>> providers_;
};

struct DefaultCredentialsChainOptions {
    EnvLookup env = process_env();
    // Used by the container and instance-metadata providers; null: each makes its own client
    // with short timeouts.
    std::shared_ptr<HttpClient> http;
    ContainerCredentialsOptions container;
    InstanceMetadataOptions instance_metadata;
    CredentialsCacheOptions cache;
};

// Environment, then the shared credentials file, then the ECS container endpoint, then EC2
// instance metadata (IMDSv2), behind a CachingCredentialsProvider: credentials are looked up
// once, and temporary ones are refreshed 5 minutes before they expire, one refresh at a time.
//
// Throws as CredentialsChain does. Thread-safe.
class DefaultCredentialsChain : public CredentialsProvider {
public:
    explicit DefaultCredentialsChain(DefaultCredentialsChainOptions options = {});
    Credentials get_credentials() override { return cache_->get_credentials(); }
    std::string name() const override { return "default credentials chain"; }
    void invalidate() override { cache_->invalidate(); }

private:
    std::shared_ptr<CachingCredentialsProvider> cache_;
};

// One DefaultCredentialsChain over the process environment, shared by every client of the process
// (so the DynamoDB backend and the SNS notifier fetch container/instance credentials once, not
// once each). Created on first use; thread-safe.
std::shared_ptr<DefaultCredentialsChain> shared_default_credentials_chain();

}  // namespace watchbot_progress::aws
