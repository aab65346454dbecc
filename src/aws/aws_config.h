// Where the AWS settings come from: profile selection, the shared-file locations, region and
// endpoint resolution. One precedence per setting, documented in docs/configuration.md; every
// function takes the environment as an argument, so tests inject it.
#pragma once

#include <optional>
#include <string>

#include "aws/environment.h"
#include "aws/ini_file.h"
#include "common/status.h"

namespace ki {

// The profile to use: `--profile`, else AWS_PROFILE, else "default".
struct ProfileSelection {
  std::string name;
  // "--profile" or "AWS_PROFILE" when the user asked for this profile; "" for the implicit
  // "default". An explicitly requested profile must exist; the implicit one may be absent.
  std::string requested_by;
  bool is_explicit() const { return !requested_by.empty(); }
};
ProfileSelection SelectProfile(const std::string& profile_flag, const Environment& env);

// The shared files: AWS_SHARED_CREDENTIALS_FILE else ~/.aws/credentials, AWS_CONFIG_FILE else
// ~/.aws/config ("~" expanded). A path is nullopt only when it would need $HOME and HOME is unset.
struct SharedFilePaths {
  std::optional<std::string> credentials;
  std::optional<std::string> config;
};
SharedFilePaths ResolveSharedFilePaths(const Environment& env);

// A profile's section in the *config* file: "[profile NAME]" (any whitespace after "profile");
// for "default" also plain "[default]", with "[profile default]" preferred when both exist.
// A plain "[NAME]" in the config file is not profile NAME (the AWS CLI ignores it too).
const IniFile::Section* FindConfigProfile(const IniFile& config, const std::string& profile);

// The region, first found wins: `flag_region` (--region), AWS_REGION, AWS_DEFAULT_REGION, the
// `region` key of the selected profile (see SelectProfile) in the config file.
// Errors: InvalidArgument "no region: use --region or set AWS_REGION (...)" when none is set or
// the value is not a region name (lower-case letters, digits, '-'); NotFound "profile 'NAME' (from
// --profile) not found in <credentials file> or <config file>" when the profile was named
// explicitly and is in neither file; the shared files' own parse or read errors.
Result<std::string> ResolveRegion(const std::string& flag_region, const std::string& profile_flag,
                                  const Environment& env);

// True for ResolveRegion's "no region" error (nothing configured a region), as opposed to a bad
// region name or a missing profile: the caller may then ask the EC2 instance metadata.
bool IsMissingRegion(const Status& status);

// The Kinesis endpoint URL, first found wins: `flag_url` (--endpoint-url),
// AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL (both skipped when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else https://kinesis.<region>.amazonaws.com
// (".amazonaws.com.cn" for "cn-" regions). A profile's endpoint_url in the config file is NOT
// consulted. The URL must be http:// or https:// with a host and optional port and path; trailing
// '/' are removed. Errors: InvalidArgument naming the setting the bad URL came from.
Result<std::string> ResolveEndpoint(const std::string& flag_url, const std::string& region,
                                    const Environment& env);

// Validates a URL as ResolveEndpoint does; `origin` names its source in the error
// ("--endpoint-url", "AWS_ENDPOINT_URL"). Returns it without trailing '/'.
Result<std::string> ValidateEndpointUrl(const std::string& url, const std::string& origin);

}  // namespace ki
