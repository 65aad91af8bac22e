#pragma once
// The AWS shared configuration files as the AWS CLI and botocore read them (botocore/configloader.py,
// botocore/session.py full_config): ~/.aws/config (AWS_CONFIG_FILE) with sections [default],
// [profile NAME] and [sso-session NAME], and ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) with
// sections [NAME]. The profile in use is AWS_PROFILE, else "default".
//
// Values are secrets as often as not (keys, credential_process command lines): nothing here puts a
// value into a message; messages name files, profiles and keys only.
//
// Pure functions of the environment and the files; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/env.hpp"

namespace watchbot_progress::aws {

// An INI file as Python's configparser reads it (RawConfigParser, what botocore uses): "[section]"
// headers, "key = value" or "key: value" lines (the first '=' or ':' splits), '#' and ';' comment
// lines. Section and key names are trimmed; keys are lowercased. A later duplicate key wins; a
// section that appears twice is merged. A line indented deeper than the key line before it
// continues that key's value (botocore's nested "s3 =" blocks): it is skipped, never read as a key
// of the section. Lines outside any section and malformed lines are ignored. Never throws.
using IniSection = std::map<std::string, std::string>;
using IniSections = std::map<std::string, IniSection>;
IniSections parse_ini(std::string_view text);

// $HOME, else the password database's home directory, else "".
std::string home_directory(const EnvLookup& env);

// AWS_CONFIG_FILE, else $HOME/.aws/config; AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials.
// A leading "~/" is the home directory. "" when there is no home directory and no variable.
std::string config_file_path(const EnvLookup& env);
std::string credentials_file_path(const EnvLookup& env);

// The profile in use: AWS_PROFILE when set and not empty, else "default".
std::string selected_profile(const EnvLookup& env);
// Whether AWS_PROFILE names the profile (then a missing profile is an error, not "nothing here").
bool profile_is_explicit(const EnvLookup& env);

struct SharedConfig {
    std::string config_path;       // as config_file_path(); "" when none
    std::string credentials_path;  // as credentials_file_path(); "" when none
    bool config_found = false;     // the file exists (and was read)
    bool credentials_found = false;

    IniSections config_profiles;       // [default] and [profile NAME] of the config file, by NAME
    IniSections credentials_profiles;  // [NAME] of the credentials file
    IniSections sso_sessions;          // [sso-session NAME] of the config file

    // botocore's full_config view of a profile: the config file's keys, overridden key by key by
    // the credentials file's. nullopt when neither file has the profile.
    std::optional<IniSection> profile(const std::string& name) const;
    bool has_profile(const std::string& name) const;
    // "the config file /x or the credentials file /y", for messages.
    std::string describe_files() const;
};

// Reads both files now (each call reads them again: edits are seen on the next refresh). A file
// that does not exist is simply empty. Throws ConfigError naming the file when one exists but
// cannot be read.
SharedConfig load_shared_config(const EnvLookup& env);

// The value of `key` in `section`, or nullopt when absent or empty.
std::optional<std::string> ini_value(const IniSection& section, const std::string& key);

}  // namespace watchbot_progress::aws
