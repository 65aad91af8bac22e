#pragma once
// IAM Identity Center (SSO) profiles, as botocore/credentials.py SSOProvider reads them:
//
//   [profile dev]                              [profile dev]
//   sso_start_url = https://x.awsapps.com/start  sso_session = corp
//   sso_region = eu-west-1                     sso_account_id = 111122223333
//   sso_account_id = 111122223333              sso_role_name = Developer
//   sso_role_name = Developer                  [sso-session corp]
//                                              sso_start_url = https://x.awsapps.com/start
//                                              sso_region = eu-west-1
//
// The access token is the one `aws sso login` cached in ~/.aws/sso/cache/<sha1>.json (sha1 of
// the sso-session's name, or of the start URL for the legacy form; keys accessToken, expiresAt).
// It is exchanged for role credentials by the portal's GetRoleCredentials (GET
// /federation/credentials?account_id=...&role_name=..., header x-amz-sso_bearer_token, unsigned),
// at AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL, else https://portal.sso.<sso_region>.amazonaws.com.
//
// Not done (botocore does it for sso-session profiles): refreshing the cached token itself with
// its refreshToken through SSO OIDC. An expired token is an error that says to run `aws sso login`.

#include <optional>
#include <string>

#include "aws/credentials.hpp"
#include "aws/credentials_profile.hpp"

namespace watchbot_progress::aws {

// Reads the profile (`profile`, else AWS_PROFILE, else "default") and the token on every call.
//
// Throws CredentialsNotConfigured when the profile has neither sso_account_id nor sso_role_name;
// ConfigError when settings are missing or disagree with the sso-session, the sso-session does not
// exist, or the cached token is missing, unreadable or expired (by options.clock); BackendError with
// the portal's code ("UnauthorizedException": log in again, ...) or "InvalidCredentialsResponse".
// Messages never hold the access token or the credentials.
class SsoCredentialsProvider : public CredentialsProvider {
public:
    explicit SsoCredentialsProvider(ProfileCredentialsOptions options = {},
                                    std::optional<std::string> profile = std::nullopt);
    Credentials get_credentials() override;
    std::string name() const override { return "SSO (sso_* settings)"; }

private:
    ProfileCredentialsOptions options_;
    std::optional<std::string> profile_;
};

// The file the AWS CLI caches the token in: HOME/.aws/sso/cache/<sha1 hex of `key`>.json.
std::string sso_token_cache_path(const EnvLookup& env, const std::string& key);

}  // namespace watchbot_progress::aws
