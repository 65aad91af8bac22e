#pragma once
// The two STS calls the credential providers make (query protocol, Version 2011-06-15, as
// botocore's AssumeRoleCredentialFetcher and AssumeRoleWithWebIdentityCredentialFetcher do):
//
//   AssumeRole                 signed with the source credentials
//   AssumeRoleWithWebIdentity  unsigned: the web identity token in the request is the proof
//
// The STS endpoint follows the region: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
// https://sts.REGION.amazonaws.com (resolve_endpoint), with REGION as every client resolves it
// (resolve_region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`), else us-east-1.
// Retries: AWS_MAX_ATTEMPTS, standard mode (AwsClient).

#include <optional>
#include <string>

#include "aws/credentials.hpp"
#include "aws/credentials_profile.hpp"

namespace watchbot_progress::aws {

struct StsEndpoint {
    std::string region;    // the signing region
    std::string endpoint;  // scheme://host[:port]
};

// Throws ConfigError when a configured endpoint or region is malformed.
StsEndpoint resolve_sts_endpoint(const EnvLookup& env);

struct AssumeRoleParams {
    std::string role_arn;
    std::string role_session_name;
    std::optional<std::string> external_id;      // AssumeRole only
    std::optional<int> duration_seconds;
};

// AssumeRole with `source` credentials. Returns temporary credentials with their expiration.
// Throws BackendError with STS's code ("AccessDenied", "InvalidClientTokenId", ...) or
// "InvalidCredentialsResponse" for an answer without usable <Credentials>; messages start with
// `context` (which profile asked), name the role, and never hold keys, tokens or signatures.
Credentials sts_assume_role(const ProfileCredentialsOptions& options, const AssumeRoleParams& params,
                            const Credentials& source, const std::string& context);

// AssumeRoleWithWebIdentity, unsigned, with `web_identity_token`. Throws as sts_assume_role; the
// token never appears in a message.
Credentials sts_assume_role_with_web_identity(const ProfileCredentialsOptions& options, const AssumeRoleParams& params,
                                              const std::string& web_identity_token, const std::string& context);

// The <Credentials> of an AssumeRole* answer. Throws BackendError "InvalidCredentialsResponse".
Credentials credentials_from_sts_xml(std::string_view body, const std::string& what);

// The default RoleSessionName when the profile gives none: "watchbot-progress-<unix seconds>"
// (botocore uses "botocore-session-<unix seconds>").
std::string default_role_session_name(TimePoint now);

}  // namespace watchbot_progress::aws
