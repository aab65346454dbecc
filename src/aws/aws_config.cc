#include "aws/aws_config.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace ki {
namespace {

bool IsValidRegionName(std::string_view region) {
  if (region.empty() || region.front() == '-' || region.back() == '-') return false;
  return std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Result<std::string> CheckRegion(const std::string& region, const std::string& origin) {
  if (IsValidRegionName(region)) return region;
  return InvalidArgument("region '" + region + "' from " + origin +
                         " is not a valid region name (expected something like 'us-east-1')");
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

ProfileSelection SelectProfile(const std::string& profile_flag, const Environment& env) {
  if (!profile_flag.empty()) return {profile_flag, "--profile"};
  if (std::optional<std::string> p = GetNonEmpty(env, "AWS_PROFILE")) return {*p, "AWS_PROFILE"};
  return {"default", ""};
}

SharedFilePaths ResolveSharedFilePaths(const Environment& env) {
  SharedFilePaths paths;
  std::optional<std::string> home = HomeDirectory(env);
  if (std::optional<std::string> p = GetNonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    paths.credentials = ExpandHome(*p, env);
  } else if (home) {
    paths.credentials = *home + "/.aws/credentials";
  }
  if (std::optional<std::string> p = GetNonEmpty(env, "AWS_CONFIG_FILE")) {
    paths.config = ExpandHome(*p, env);
  } else if (home) {
    paths.config = *home + "/.aws/config";
  }
  return paths;
}

const IniFile::Section* FindConfigProfile(const IniFile& config, const std::string& profile) {
  for (const std::string& section : config.SectionNames()) {
    std::string_view name = section;
    if (!name.starts_with("profile") || name.size() <= 7) continue;
    if (name[7] != ' ' && name[7] != '\t') continue;
    name.remove_prefix(7);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    if (name == profile) return config.FindSection(section);
  }
  if (profile == "default") return config.FindSection("default");
  return nullptr;
}

Result<std::string> ResolveRegion(const std::string& flag_region, const std::string& profile_flag,
                                  const Environment& env) {
  if (!flag_region.empty()) return CheckRegion(flag_region, "--region");
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::optional<std::string> region = GetNonEmpty(env, var)) return CheckRegion(*region, var);
  }

  ProfileSelection profile = SelectProfile(profile_flag, env);
  SharedFilePaths paths = ResolveSharedFilePaths(env);
  std::string why;
  if (!paths.config) {
    why = "HOME is not set, so there is no ~/.aws/config";
  } else {
    KI_ASSIGN_OR_RETURN(std::optional<IniFile> config, IniFile::LoadIfExists(*paths.config));
    const IniFile::Section* section = config ? FindConfigProfile(*config, profile.name) : nullptr;
    if (section != nullptr) {
      auto it = section->find("region");
      if (it != section->end() && !it->second.empty()) {
        return CheckRegion(it->second, "profile '" + profile.name + "' in " + *paths.config);
      }
      why = "profile '" + profile.name + "' in " + *paths.config + " has no region";
    } else {
      // A profile the user named that is in neither shared file is the error, not the region.
      if (profile.is_explicit()) {
        std::optional<IniFile> credentials;
        if (paths.credentials) {
          KI_ASSIGN_OR_RETURN(credentials, IniFile::LoadIfExists(*paths.credentials));
        }
        if (!credentials || credentials->FindSection(profile.name) == nullptr) {
          auto state = [](const auto& file) { return file ? std::string() : std::string(" (does not exist)"); };
          std::string hint;
          if (config && config->FindSection(profile.name) != nullptr)
            hint = " (the config file's [" + profile.name + "] is not a profile: write [profile " + profile.name + "])";
          return NotFound("profile '" + profile.name + "' (from " + profile.requested_by + ") not found in " +
                          (paths.credentials ? *paths.credentials : std::string("~/.aws/credentials")) +
                          state(credentials) + " or " + *paths.config + state(config) + hint);
        }
      }
      why = !config ? *paths.config + " does not exist"
                    : "profile '" + profile.name + "' is not in " + *paths.config;
    }
  }
  return InvalidArgument("no region: use --region or set AWS_REGION (" + why + ")");
}

bool IsMissingRegion(const Status& status) {
  return status.kind() == ErrorKind::kInvalidArgument && status.message().starts_with("no region: ");
}

Result<std::string> ValidateEndpointUrl(const std::string& url, const std::string& origin) {
  const std::string prefix = "endpoint URL from " + origin;
  if (url.find('@') != std::string::npos) {
    // Checked first and without echoing the URL: user info ("user:password@host") is a secret.
    return InvalidArgument(prefix + " must not contain '@' (user info is not supported)");
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return InvalidArgument(prefix + " '" + url + "' must start with http:// or https://");
  }
  std::string scheme = ToLower(std::string_view(url).substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument(prefix + " '" + url + "' has scheme '" + scheme +
                           "'; only http and https are supported");
  }
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c))) {
      return InvalidArgument(prefix + " '" + url + "' contains whitespace or control characters");
    }
  }
  std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgument(prefix + " '" + url + "' must not have a query or fragment");
  }

  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {  // [IPv6]:port
    size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument(prefix + " '" + url + "' has an unterminated IPv6 address");
    }
    std::string_view after = host.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument(prefix + " '" + url + "' has a malformed host");
      port = after.substr(1);
    }
    host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return InvalidArgument(prefix + " '" + url + "' has an empty port");
  }
  if (host.empty()) return InvalidArgument(prefix + " '" + url + "' has no host");
  if (!port.empty()) {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                    return c >= '0' && c <= '9';
                  });
    if (!digits || std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return InvalidArgument(prefix + " '" + url + "' has an invalid port");
    }
  }

  std::string out = url;
  while (out.size() > scheme_end + 3 && out.back() == '/') out.pop_back();
  return out;
}

Result<std::string> ResolveEndpoint(const std::string& flag_url, const std::string& region,
                                    const Environment& env) {
  if (!flag_url.empty()) return ValidateEndpointUrl(flag_url, "--endpoint-url");

  std::optional<std::string> ignore = GetNonEmpty(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || ToLower(*ignore) != "true") {
    for (const char* var : {"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL"}) {
      if (std::optional<std::string> url = GetNonEmpty(env, var)) {
        return ValidateEndpointUrl(*url, var);
      }
    }
  }

  if (region.empty()) {
    return InvalidArgument("cannot build the Kinesis endpoint URL: no region");
  }
  KI_ASSIGN_OR_RETURN(std::string checked, CheckRegion(region, "the resolved region"));
  std::string suffix = checked.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://kinesis." + checked + suffix;
}

}  // namespace ki
