#pragma once
// What the profile-based credential providers share, and the list botocore builds for one profile
// (botocore/credentials.py, ProfileProviderBuilder.providers):
//
//   web identity (role_arn + web_identity_token_file), SSO (sso_*), the shared credentials file,
//   credential_process, keys in the config file.
//
// The default chain (credentials_chain.hpp) puts these after the environment and the assume-role
// provider; the assume-role provider runs them for a source_profile.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/clock.hpp"
#include "aws/credentials.hpp"
#include "aws/credentials_remote.hpp"
#include "aws/env.hpp"
#include "aws/http_client.hpp"
#include "aws/retry.hpp"

namespace watchbot_progress::aws {

struct ProfileCredentialsOptions {
    EnvLookup env = process_env();
    // STS and the SSO portal are called through it; null: a CurlHttpClient with default options.
    std::shared_ptr<HttpClient> http;
    // "Now" for SSO token expiry checks; the default is the system clock.
    Clock clock = system_clock_now;
    // Retry sleeps of the STS and SSO calls (AWS_MAX_ATTEMPTS attempts); unset: real sleeps.
    RetryHooks hooks;
    // For credential_source = EcsContainer / Ec2InstanceMetadata (and their HTTP client).
    std::shared_ptr<HttpClient> metadata_http;
    ContainerCredentialsOptions container;
    InstanceMetadataOptions instance_metadata;
};

// The providers of `profile` (nullopt: AWS_PROFILE, else "default") in botocore's order. With
// use_environment false the web identity provider ignores AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE
// (botocore's disable_env_vars, used for source profiles). `options.http` is filled in once for all.
std::vector<std::shared_ptr<CredentialsProvider>> profile_providers(const std::optional<std::string>& profile,
                                                                    bool use_environment,
                                                                    ProfileCredentialsOptions options);

// options.http, or a new CurlHttpClient when it is null.
std::shared_ptr<HttpClient> http_for_profiles(const ProfileCredentialsOptions& options);

}  // namespace watchbot_progress::aws
