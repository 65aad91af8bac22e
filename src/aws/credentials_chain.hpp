#pragma once
// Credentials chains: the generic one, and the default one the AWS SDKs use.

#include <memory>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/credentials_cache.hpp"
#include "aws/credentials_remote.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"
#include "aws/retry.hpp"

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
    // Used for STS (AssumeRole, AssumeRoleWithWebIdentity) and the SSO portal; null: a
    // CurlHttpClient with default options. Their retry sleeps: sts_hooks (unset: real sleeps).
    std::shared_ptr<HttpClient> sts_http;
    RetryHooks sts_hooks;
    // cache.clock is also "now" for the SSO token's expiry check.
    CredentialsCacheOptions cache;
};

// The AWS SDKs' default chain, in botocore's order (botocore/credentials.py,
// create_credential_resolver; docs/aws-credentials.md says more):
//
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. assume role: the profile's role_arn with source_profile or credential_source (STS AssumeRole)
//   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, or the profile's role_arn +
//      web_identity_token_file (STS AssumeRoleWithWebIdentity)
//   4. SSO: the profile's sso_* settings and the AWS CLI's cached token (GetRoleCredentials)
//   5. the shared credentials file's keys (~/.aws/credentials)
//   6. the profile's credential_process
//   7. keys in the config file (~/.aws/config)
//   8. the ECS container endpoint
//   9. EC2 instance metadata (IMDSv2)
//
// The profile is AWS_PROFILE, else "default". The first provider that is configured answers; one
// that is configured but fails stops the chain with its error (which names it). All of it sits
// behind a CachingCredentialsProvider: credentials are looked up once, and temporary ones are
// looked up again 5 minutes before they expire (halfway for shorter lives), one refresh at a time.
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
