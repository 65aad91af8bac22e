#pragma once
// Roles from the shared config (botocore/credentials.py AssumeRoleProvider and
// AssumeRoleWithWebIdentityProvider):
//
//   [profile deploy]                         [profile eks]
//   role_arn = arn:aws:iam::1:role/deploy    role_arn = arn:aws:iam::1:role/pods
//   source_profile = base                    web_identity_token_file = /var/run/secrets/token
//   (or credential_source = Environment |    (or the variables AWS_ROLE_ARN,
//       EcsContainer | Ec2InstanceMetadata)       AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_SESSION_NAME)
//   role_session_name, external_id, duration_seconds are optional.
//
// Each call resolves afresh (source credentials, then STS); the default chain caches the result and
// calls again before it expires. Messages name the profile, role and file; never keys or tokens.

#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/credentials_profile.hpp"
#include "aws/shared_config.hpp"

namespace watchbot_progress::aws {

// The profile (`profile`, else AWS_PROFILE, else "default") has role_arn and no
// web_identity_token_file. Its source credentials come from credential_source (the environment,
// the ECS container endpoint or EC2 instance metadata) or from source_profile: that profile's own
// providers (profile_providers, without the environment's web identity variables) when it has keys
// or no role_arn of its own, else by assuming its role first (role chaining). A profile may name
// itself as source_profile only when it has keys.
//
// Throws CredentialsNotConfigured when the profile has no role_arn (or is absent); ConfigError for
// both or neither of source_profile / credential_source, an unknown credential_source, a missing
// source profile, a source_profile loop, a source without credentials, mfa_serial (this tool cannot
// ask for an MFA code: use credential_process) or a bad duration_seconds; BackendError from STS.
class AssumeRoleCredentialsProvider : public CredentialsProvider {
public:
    explicit AssumeRoleCredentialsProvider(ProfileCredentialsOptions options = {},
                                           std::optional<std::string> profile = std::nullopt);
    Credentials get_credentials() override;
    std::string name() const override { return "assume role (role_arn + source_profile or credential_source)"; }

private:
    Credentials assume(const SharedConfig& config, const std::string& profile, std::vector<std::string>& visited);
    Credentials from_source_profile(const SharedConfig& config, const std::string& parent, const std::string& source,
                                    std::vector<std::string>& visited);
    Credentials from_credential_source(const std::string& parent, const std::string& source);

    ProfileCredentialsOptions options_;
    std::optional<std::string> profile_;
};

// AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME, each over the profile's
// web_identity_token_file / role_arn / role_session_name (use_environment false: the profile's only).
// Reads the token file on every call (EKS rotates it) and calls STS AssumeRoleWithWebIdentity,
// unsigned.
//
// Throws CredentialsNotConfigured when there is no token file setting; ConfigError when there is no
// role ARN or the token file cannot be read or is empty; BackendError from STS.
class WebIdentityCredentialsProvider : public CredentialsProvider {
public:
    explicit WebIdentityCredentialsProvider(ProfileCredentialsOptions options = {},
                                            std::optional<std::string> profile = std::nullopt,
                                            bool use_environment = true);
    Credentials get_credentials() override;
    std::string name() const override { return "web identity (role_arn + web_identity_token_file)"; }

private:
    ProfileCredentialsOptions options_;
    std::optional<std::string> profile_;
    bool use_environment_;
};

}  // namespace watchbot_progress::aws
