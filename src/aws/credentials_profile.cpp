#include "aws/credentials_profile.hpp"

#include "aws/credentials_assume_role.hpp"
#include "aws/credentials_file.hpp"
#include "aws/credentials_process.hpp"
#include "aws/credentials_sso.hpp"

namespace watchbot_progress::aws {

std::shared_ptr<HttpClient> http_for_profiles(const ProfileCredentialsOptions& options) {
    return options.http ? options.http : std::make_shared<CurlHttpClient>();
}

std::vector<std::shared_ptr<CredentialsProvider>> profile_providers(const std::optional<std::string>& profile,
                                                                    bool use_environment,
                                                                    ProfileCredentialsOptions options) {
    options.http = http_for_profiles(options);
    return {
        std::make_shared<WebIdentityCredentialsProvider>(options, profile, use_environment),
        std::make_shared<SsoCredentialsProvider>(options, profile),
        std::make_shared<ProfileCredentialsProvider>(options.env, profile),
        std::make_shared<ProcessCredentialsProvider>(options.env, profile),
        std::make_shared<ConfigFileCredentialsProvider>(options.env, profile),
    };
}

}  // namespace watchbot_progress::aws
