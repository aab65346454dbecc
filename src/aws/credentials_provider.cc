#include "aws/credentials_provider.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "aws/ini_file.h"
#include "aws/metadata_credentials.h"
#include "aws/profile_credentials.h"
#include "aws/web_identity_provider.h"

namespace ki {
namespace {

using MaybeCredentials = std::optional<AwsCredentials>;

constexpr const char* kEnvAccessKeyId = "AWS_ACCESS_KEY_ID";
constexpr const char* kEnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY";
constexpr const char* kEnvSessionToken = "AWS_SESSION_TOKEN";

constexpr const char* kIniAccessKeyId = "aws_access_key_id";
constexpr const char* kIniSecretAccessKey = "aws_secret_access_key";
constexpr const char* kIniSessionToken = "aws_session_token";

constexpr const char* kConnAccessKey = "AWS_ACCESS_KEY";
constexpr const char* kConnSecretKey = "AWS_SECRET_KEY";
constexpr const char* kConnSessionToken = "AWS_SESSION_TOKEN";

// Profile keys of credential mechanisms we do not implement (yet). A profile that relies on one
// of them must not be mistaken for "no credentials here".
constexpr const char* kUnsupportedProfileKeys[] = {
    "role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"};

std::string_view Trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ToUpper(a) == ToUpper(b);
}

// A key may be echoed in a message only if it looks like an identifier; anything else could be
// (part of) a secret pasted in the wrong place.
bool IsPrintableKeyName(std::string_view key) {
  return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

// Names are identifiers, as Exasol's unquoted ones (plus '-' and '.'). Rejecting anything else
// also keeps fragments of secrets (which contain '/', '+', '=') out of the "available:" list.
bool IsValidConnectionName(std::string_view name) {
  if (name.empty()) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string NonEmptyValue(const IniFile::Section* section, const char* key) {
  if (section == nullptr) return "";
  auto it = section->find(key);
  return it == section->end() ? "" : it->second;
}

bool HasAnyCredentialKey(const IniFile::Section* section) {
  return !NonEmptyValue(section, kIniAccessKeyId).empty() ||
         !NonEmptyValue(section, kIniSecretAccessKey).empty() ||
         !NonEmptyValue(section, kIniSessionToken).empty();
}

// Static keys from one profile section. Both the key id and the secret are required.
Result<AwsCredentials> CredentialsFromSection(const IniFile::Section& section,
                                              const std::string& profile,
                                              const std::string& path) {
  AwsCredentials creds;
  creds.access_key_id = NonEmptyValue(&section, kIniAccessKeyId);
  creds.secret_access_key = NonEmptyValue(&section, kIniSecretAccessKey);
  creds.session_token = NonEmptyValue(&section, kIniSessionToken);
  creds.source = "profile '" + profile + "' in " + path;
  for (auto [value, key] : {std::pair{&creds.access_key_id, kIniAccessKeyId},
                            std::pair{&creds.secret_access_key, kIniSecretAccessKey}}) {
    if (value->empty()) {
      return InvalidArgument(creds.source + " has no " + key +
                             " (both aws_access_key_id and aws_secret_access_key are required)");
    }
  }
  return creds;
}

std::string DescribeFile(const std::optional<std::string>& path, const char* fallback) {
  return path ? *path : std::string(fallback) + " (HOME is not set)";
}

}  // namespace

// --- CredentialsChain ------------------------------------------------------------------------

void CredentialsChain::AddProvider(std::unique_ptr<CredentialsProvider> provider) {
  providers_.push_back(std::move(provider));
}

Result<AwsCredentials> CredentialsChain::Resolve() const {
  for (const auto& provider : providers_) {
    // Not KI_ASSIGN_OR_RETURN: moving the optional out trips GCC 12's -Wmaybe-uninitialized.
    Result<MaybeCredentials> loaded = provider->Load();
    if (!loaded.ok()) return loaded.status();
    if (loaded->has_value()) return std::move(**loaded);
  }
  std::string message = "no AWS credentials found; looked in: ";
  for (size_t i = 0; i < providers_.size(); ++i) {
    if (i > 0) message += ", ";
    message += std::to_string(i + 1) + ") " + providers_[i]->Describe();
  }
  if (providers_.empty()) message += "(no sources configured)";
  return FatalError(std::move(message));
}

std::vector<std::string> CredentialsChain::DescribeProviders() const {
  std::vector<std::string> out;
  for (const auto& provider : providers_) out.push_back(provider->Describe());
  return out;
}

CredentialsChain DefaultCredentialsChain(const CredentialOptions& options, const Environment& env) {
  return DefaultCredentialsChain(options, env, CredentialsContext{});
}

CredentialsChain DefaultCredentialsChain(const CredentialOptions& options, const Environment& env,
                                         const CredentialsContext& context) {
  CredentialsChain chain;
  if (!options.connection_name.empty()) {
    chain.AddProvider(std::make_unique<ConnectionCredentialsProvider>(
        options.connection_name, options.connections_file, env));
    return chain;
  }
  const bool network = context.http != nullptr && context.clock != nullptr;
  if (options.profile.empty()) {
    chain.AddProvider(std::make_unique<EnvironmentCredentialsProvider>(env));
    if (network) chain.AddProvider(std::make_unique<WebIdentityCredentialsProvider>(context, env));
  }
  if (!network) {
    chain.AddProvider(std::make_unique<SharedFilesCredentialsProvider>(
        SelectProfile(options.profile, env), ResolveSharedFilePaths(env)));
    return chain;
  }
  chain.AddProvider(std::make_unique<SharedFilesCredentialsProvider>(
      SelectProfile(options.profile, env), ResolveSharedFilePaths(env), context, env));
  // An explicit --profile is the only source, as with the AWS CLI's --profile: a profile that
  // has no credentials is an error, not a reason to try the machine's role.
  if (options.profile.empty()) {
    chain.AddProvider(std::make_unique<ContainerCredentialsProvider>(*context.http, env));
    chain.AddProvider(std::make_unique<ImdsCredentialsProvider>(*context.http, env));
  }
  return chain;
}

// --- EnvironmentCredentialsProvider ------------------------------------------------------------

EnvironmentCredentialsProvider::EnvironmentCredentialsProvider(const Environment& env)
    : access_key_id_(GetNonEmpty(env, kEnvAccessKeyId)),
      secret_access_key_(GetNonEmpty(env, kEnvSecretAccessKey)),
      session_token_(GetNonEmpty(env, kEnvSessionToken)) {}

Result<std::optional<AwsCredentials>> EnvironmentCredentialsProvider::Load() {
  if (!access_key_id_ && !secret_access_key_) return MaybeCredentials();
  if (!access_key_id_ || !secret_access_key_) {
    const char* set = access_key_id_ ? kEnvAccessKeyId : kEnvSecretAccessKey;
    const char* missing = access_key_id_ ? kEnvSecretAccessKey : kEnvAccessKeyId;
    return InvalidArgument(std::string("environment variable ") + set + " is set but " + missing +
                           " is not; set both or neither");
  }
  AwsCredentials creds;
  creds.access_key_id = *access_key_id_;
  creds.secret_access_key = *secret_access_key_;
  creds.session_token = session_token_.value_or("");
  creds.source = "environment";
  return MaybeCredentials(std::move(creds));
}

std::string EnvironmentCredentialsProvider::Describe() const {
  return "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
}

// --- SharedFilesCredentialsProvider ----------------------------------------------------------

SharedFilesCredentialsProvider::SharedFilesCredentialsProvider(ProfileSelection profile,
                                                               SharedFilePaths paths)
    : profile_(std::move(profile)), paths_(std::move(paths)) {}

SharedFilesCredentialsProvider::SharedFilesCredentialsProvider(ProfileSelection profile,
                                                               SharedFilePaths paths,
                                                               const CredentialsContext& context,
                                                               const Environment& env)
    : profile_(std::move(profile)), paths_(std::move(paths)), context_(context), env_(&env) {}

Result<std::optional<AwsCredentials>> SharedFilesCredentialsProvider::Load() {
  std::optional<IniFile> credentials_file;
  std::optional<IniFile> config_file;
  if (paths_.credentials) {
    KI_ASSIGN_OR_RETURN(credentials_file, IniFile::LoadIfExists(*paths_.credentials));
  }
  if (paths_.config) {
    KI_ASSIGN_OR_RETURN(config_file, IniFile::LoadIfExists(*paths_.config));
  }
  const IniFile::Section* from_credentials =
      credentials_file ? credentials_file->FindSection(profile_.name) : nullptr;
  const IniFile::Section* from_config =
      config_file ? FindConfigProfile(*config_file, profile_.name) : nullptr;

  const std::string credentials_name = DescribeFile(paths_.credentials, "~/.aws/credentials");
  const std::string config_name = DescribeFile(paths_.config, "~/.aws/config");

  if (from_credentials == nullptr && from_config == nullptr) {
    if (!profile_.is_explicit()) return MaybeCredentials();
    auto state = [](const std::optional<IniFile>& file) {
      return file ? std::string() : std::string(" (does not exist)");
    };
    return NotFound("profile '" + profile_.name + "' (from " + profile_.requested_by +
                    ") not found in " + credentials_name + state(credentials_file) + " or " +
                    config_name + state(config_file));
  }

  if (context_) {
    SharedFiles files{std::move(credentials_file), std::move(config_file), credentials_name, config_name};
    std::vector<std::string> chain;
    KI_ASSIGN_OR_RETURN(MaybeCredentials creds,
                        ResolveProfileCredentials(files, profile_.name, *context_, *env_, chain));
    if (creds) return creds;
    if (profile_.is_explicit()) {
      return InvalidArgument("profile '" + profile_.name + "' (from " + profile_.requested_by +
                             ") has no aws_access_key_id/aws_secret_access_key, role_arn or "
                             "credential_process in " + credentials_name + " or " + config_name);
    }
    return MaybeCredentials();
  }

  // The credentials file's section wins as a whole; the config file is used only when the
  // credentials file has no keys for this profile (botocore's SharedCredential before Config).
  if (HasAnyCredentialKey(from_credentials)) {
    KI_ASSIGN_OR_RETURN(AwsCredentials creds,
                        CredentialsFromSection(*from_credentials, profile_.name, credentials_name));
    return MaybeCredentials(std::move(creds));
  }
  if (HasAnyCredentialKey(from_config)) {
    KI_ASSIGN_OR_RETURN(AwsCredentials creds,
                        CredentialsFromSection(*from_config, profile_.name, config_name));
    return MaybeCredentials(std::move(creds));
  }

  for (const char* key : kUnsupportedProfileKeys) {
    if (!NonEmptyValue(from_credentials, key).empty() || !NonEmptyValue(from_config, key).empty()) {
      return FatalError("profile '" + profile_.name + "' uses '" + key +
                        "', which kinesis-import does not support yet; give the profile "
                        "aws_access_key_id/aws_secret_access_key, or use environment variables "
                        "or --connection");
    }
  }
  if (profile_.is_explicit()) {
    return InvalidArgument("profile '" + profile_.name + "' (from " + profile_.requested_by +
                           ") has no aws_access_key_id/aws_secret_access_key in " +
                           credentials_name + " or " + config_name);
  }
  return MaybeCredentials();
}

std::string SharedFilesCredentialsProvider::Describe() const {
  return "profile '" + profile_.name + "' in " +
         DescribeFile(paths_.credentials, "~/.aws/credentials") + " and " +
         DescribeFile(paths_.config, "~/.aws/config");
}

// --- ConnectionCredentialsProvider -----------------------------------------------------------

ConnectionCredentialsProvider::ConnectionCredentialsProvider(std::string connection_name,
                                                             const std::string& explicit_file,
                                                             const Environment& env)
    : connection_name_(std::move(connection_name)),
      path_(ConnectionsFilePath(explicit_file, env)) {}

Result<std::optional<AwsCredentials>> ConnectionCredentialsProvider::Load() {
  if (!path_.ok()) {
    return path_.status().WithContext("connection '" + connection_name_ + "'");
  }
  KI_ASSIGN_OR_RETURN(ConnectionsFile file, ConnectionsFile::Load(*path_));
  KI_ASSIGN_OR_RETURN(AwsCredentials creds, file.Lookup(connection_name_));
  return MaybeCredentials(std::move(creds));
}

std::string ConnectionCredentialsProvider::Describe() const {
  return "connection '" + connection_name_ + "' in " +
         (path_.ok() ? *path_ : std::string("the connections file (HOME is not set)"));
}

// --- Connections file ------------------------------------------------------------------------

Result<std::string> ConnectionsFilePath(const std::string& explicit_file, const Environment& env) {
  if (!explicit_file.empty()) {
    if (std::optional<std::string> path = ExpandHome(explicit_file, env)) return *path;
    return InvalidArgument("cannot expand '~' in --connections-file: HOME is not set");
  }
  if (std::optional<std::string> from_env = GetNonEmpty(env, "KINESIS_IMPORT_CONNECTIONS_FILE")) {
    if (std::optional<std::string> path = ExpandHome(*from_env, env)) return *path;
    return InvalidArgument("cannot expand '~' in KINESIS_IMPORT_CONNECTIONS_FILE: HOME is not set");
  }
  if (std::optional<std::string> home = HomeDirectory(env)) {
    return *home + "/.config/kinesis-import/connections";
  }
  return InvalidArgument(
      "cannot locate the connections file: HOME is not set; use --connections-file or "
      "KINESIS_IMPORT_CONNECTIONS_FILE");
}

Result<AwsCredentials> ParseConnectionValue(std::string_view value,
                                            std::string_view connection_name) {
  const std::string where = "connection '" + std::string(connection_name) + "'";
  const std::string expected =
      " (expected AWS_ACCESS_KEY=...;AWS_SECRET_KEY=...[;AWS_SESSION_TOKEN=...])";
  std::optional<std::string> access_key, secret_key, session_token;
  int part_number = 0;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t end = value.find(';', pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view part = Trim(value.substr(pos, end - pos));
    pos = end + 1;
    ++part_number;
    if (part.empty()) continue;  // "a=1;;b=2" and a trailing ';' are harmless

    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument(where + ": part " + std::to_string(part_number) +
                             " is not KEY=VALUE" + expected);
    }
    std::string_view key = Trim(part.substr(0, eq));
    std::string_view part_value = Trim(part.substr(eq + 1));
    std::string upper = ToUpper(key);
    std::optional<std::string>* slot = nullptr;
    if (upper == kConnAccessKey) slot = &access_key;
    if (upper == kConnSecretKey) slot = &secret_key;
    if (upper == kConnSessionToken) slot = &session_token;
    if (slot == nullptr) {
      std::string shown = IsPrintableKeyName(key) ? "unknown key '" + std::string(key) + "'"
                                                  : "part " + std::to_string(part_number) +
                                                        " has no valid key";
      return InvalidArgument(where + ": " + shown + expected);
    }
    if (slot->has_value()) return InvalidArgument(where + ": " + upper + " is given twice");
    if (part_value.empty()) return InvalidArgument(where + ": " + upper + " is empty");
    *slot = std::string(part_value);
  }
  if (!access_key) return InvalidArgument(where + ": missing AWS_ACCESS_KEY" + expected);
  if (!secret_key) return InvalidArgument(where + ": missing AWS_SECRET_KEY" + expected);
  AwsCredentials creds;
  creds.access_key_id = std::move(*access_key);
  creds.secret_access_key = std::move(*secret_key);
  creds.session_token = session_token.value_or("");
  return creds;
}

Result<ConnectionsFile> ConnectionsFile::Parse(std::string_view text, const std::string& path) {
  ConnectionsFile file;
  file.path_ = path;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line.empty() || line[0] == '#') continue;

    const std::string where = path + " line " + std::to_string(line_number);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument(where + ": expected 'NAME = AWS_ACCESS_KEY=...;AWS_SECRET_KEY=...'");
    }
    std::string name(Trim(line.substr(0, eq)));
    if (name.empty()) return InvalidArgument(where + ": missing connection name before '='");
    if (!IsValidConnectionName(name)) {
      // Not echoed: a line-wrapped secret containing '=' would otherwise show up as a "name".
      return InvalidArgument(where + ": invalid connection name (use letters, digits, '_', '-', "
                             "'.', starting with a letter or '_')");
    }
    for (const Entry& entry : file.entries_) {
      if (EqualsIgnoreCase(entry.name, name)) {
        return InvalidArgument(where + ": connection '" + name +
                               "' is defined twice (names are case-insensitive)");
      }
    }
    file.entries_.push_back({std::move(name), std::string(Trim(line.substr(eq + 1))), line_number});
  }
  return file;
}

Result<ConnectionsFile> ConnectionsFile::Load(const std::string& path) {
  KI_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadTextFileIfExists(path));
  if (!text) return NotFound("connections file '" + path + "' does not exist");
  return Parse(*text, path);
}

Result<AwsCredentials> ConnectionsFile::Lookup(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (!EqualsIgnoreCase(entry.name, name)) continue;
    Result<AwsCredentials> parsed = ParseConnectionValue(entry.value, entry.name);
    if (!parsed.ok()) return parsed.status().WithContext(path_ + " line " + std::to_string(entry.line));
    AwsCredentials creds = std::move(parsed).value();
    creds.source = "connection '" + entry.name + "' in " + path_;
    return creds;
  }
  std::string available;
  for (const Entry& entry : entries_) {
    available += (available.empty() ? "" : ", ") + entry.name;
  }
  return NotFound("connection '" + std::string(name) + "' not found in " + path_ + "; " +
                  (available.empty() ? "the file defines no connections"
                                     : "available: " + available));
}

std::vector<std::string> ConnectionsFile::Names() const {
  std::vector<std::string> names;
  for (const Entry& entry : entries_) names.push_back(entry.name);
  return names;
}

std::string RedactAccessKey(std::string_view key) {
  if (key.size() <= 4) return "****";
  return std::string(key.substr(0, 4)) + "****";
}

}  // namespace ki
