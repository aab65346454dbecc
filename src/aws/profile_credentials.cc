#include "aws/profile_credentials.h"

#include <algorithm>

#include "aws/aws_config.h"
#include "aws/metadata_credentials.h"
#include "aws/process_credentials.h"
#include "aws/sts_client.h"
#include "aws/web_identity_provider.h"

namespace ki {
namespace {

using MaybeCredentials = std::optional<AwsCredentials>;

struct ProfileSections {
  const IniFile::Section* credentials = nullptr;
  const IniFile::Section* config = nullptr;
  // The key's value, the credentials file's section first (botocore merges them that way).
  std::string Get(const char* key) const {
    for (const IniFile::Section* s : {credentials, config}) {
      if (s == nullptr) continue;
      auto it = s->find(key);
      if (it != s->end() && !it->second.empty()) return it->second;
    }
    return "";
  }
  bool exists() const { return credentials != nullptr || config != nullptr; }
};

ProfileSections Sections(const SharedFiles& files, const std::string& profile) {
  ProfileSections s;
  if (files.credentials) s.credentials = files.credentials->FindSection(profile);
  if (files.config) s.config = FindConfigProfile(*files.config, profile);
  return s;
}

// Static keys, the credentials file's section as a whole first (see SharedFilesCredentialsProvider).
Result<MaybeCredentials> StaticKeys(const SharedFiles& files, const ProfileSections& s,
                                    const std::string& profile) {
  for (auto [section_binding, name] : {std::pair{s.credentials, &files.credentials_name},
                                       std::pair{s.config, &files.config_name}}) {
    // A named copy: clang 14 cannot capture a structured binding in the lambda below.
    const IniFile::Section* section = section_binding;
    if (section == nullptr) continue;
    auto value = [&](const char* key) {
      auto it = section->find(key);
      return it == section->end() ? std::string() : it->second;
    };
    std::string id = value("aws_access_key_id"), secret = value("aws_secret_access_key");
    if (id.empty() && secret.empty() && value("aws_session_token").empty()) continue;
    const std::string source = "profile '" + profile + "' in " + *name;
    if (id.empty() || secret.empty()) {
      return InvalidArgument(source + " has no " + (id.empty() ? "aws_access_key_id" : "aws_secret_access_key") +
                             " (both aws_access_key_id and aws_secret_access_key are required)");
    }
    AwsCredentials creds{id, secret, value("aws_session_token"), source, std::nullopt};
    return MaybeCredentials(std::move(creds));
  }
  return MaybeCredentials();
}

Result<AwsCredentials> CredentialSource(const std::string& name, const std::string& where,
                                        const CredentialsContext& context, const Environment& env) {
  std::unique_ptr<CredentialsProvider> provider;
  if (name == "Environment") provider = std::make_unique<EnvironmentCredentialsProvider>(env);
  if (name == "Ec2InstanceMetadata") provider = std::make_unique<ImdsCredentialsProvider>(*context.http, env);
  if (name == "EcsContainer") provider = std::make_unique<ContainerCredentialsProvider>(*context.http, env);
  if (!provider) {
    return InvalidArgument(where + ": credential_source '" + name +
                           "' is not one of Environment, Ec2InstanceMetadata, EcsContainer");
  }
  Result<MaybeCredentials> loaded = provider->Load();
  if (!loaded.ok()) return loaded.status().WithContext(where + " (credential_source " + name + ")");
  if (!loaded->has_value()) {
    return FatalError(where + ": credential_source " + name + " has no credentials: " +
                      provider->Describe());
  }
  return std::move(**loaded);
}

}  // namespace

Result<MaybeCredentials> ResolveProfileCredentials(const SharedFiles& files, const std::string& profile,
                                                   const CredentialsContext& context,
                                                   const Environment& env,
                                                   std::vector<std::string>& chain) {
  ProfileSections s = Sections(files, profile);
  if (!s.exists()) return MaybeCredentials();
  const std::string where = "profile '" + profile + "'";
  chain.push_back(profile);

  std::string role_arn = s.Get("role_arn");
  if (!role_arn.empty()) {
    std::string source_profile = s.Get("source_profile");
    std::string credential_source = s.Get("credential_source");
    std::string token_file = s.Get("web_identity_token_file");
    std::string session_name = s.Get("role_session_name");
    std::string region = s.Get("region").empty() ? context.region : s.Get("region");
    CredentialsContext sts_context = context;
    sts_context.region = region;
    if (!s.Get("mfa_serial").empty()) {
      return FatalError(where + " uses mfa_serial, which kinesis-import does not support (it cannot prompt)");
    }
    int sources = !source_profile.empty() + !credential_source.empty() + !token_file.empty();
    if (sources != 1) {
      return InvalidArgument(where + " has role_arn and " +
                             (sources == 0 ? std::string("none") : std::string("more than one")) +
                             " of source_profile, credential_source, web_identity_token_file");
    }
    if (!token_file.empty()) {
      KI_ASSIGN_OR_RETURN(AwsCredentials creds,
                          AssumeRoleWithWebIdentity({token_file, role_arn, session_name, where},
                                                    sts_context, env));
      return MaybeCredentials(std::move(creds));
    }
    AwsCredentials source;
    if (!credential_source.empty()) {
      KI_ASSIGN_OR_RETURN(source, CredentialSource(credential_source, where, context, env));
    } else if (source_profile == profile) {
      KI_ASSIGN_OR_RETURN(MaybeCredentials own, StaticKeys(files, s, profile));
      if (!own) {
        return InvalidArgument(where + " is its own source_profile but has no static keys");
      }
      source = std::move(*own);
    } else {
      if (std::find(chain.begin(), chain.end(), source_profile) != chain.end()) {
        std::string cycle;
        for (const std::string& p : chain) cycle += p + " -> ";
        return FatalError("source_profile cycle: " + cycle + source_profile);
      }
      KI_ASSIGN_OR_RETURN(MaybeCredentials from_source,
                          ResolveProfileCredentials(files, source_profile, context, env, chain));
      if (!from_source) {
        return NotFound(where + ": source_profile '" + source_profile +
                        "' does not exist or has no credentials");
      }
      source = std::move(*from_source);
    }
    AssumeRoleRequest request;
    request.role_arn = role_arn;
    request.role_session_name = session_name.empty() ? DefaultRoleSessionName(context) : session_name;
    request.external_id = s.Get("external_id");
    if (std::string d = s.Get("duration_seconds"); !d.empty()) {
      bool digits = d.size() <= 6 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return InvalidArgument(where + ": duration_seconds '" + d + "' is not a whole number");
      request.duration_seconds = std::stoi(d);
    }
    KI_ASSIGN_OR_RETURN(std::string endpoint, ResolveStsEndpoint(region, env));
    Result<AwsCredentials> assumed = StsAssumeRole(*context.http, *context.clock,
                                                   StsTarget{endpoint, region}, source, request);
    if (!assumed.ok()) return assumed.status().WithContext(where);
    assumed->source = where + " -> role " + role_arn + " (source: " + source.source + ")";
    return MaybeCredentials(std::move(*assumed));
  }

  KI_ASSIGN_OR_RETURN(MaybeCredentials keys, StaticKeys(files, s, profile));
  if (keys) return keys;

  std::string process = s.Get("credential_process");
  if (!process.empty()) {
    KI_ASSIGN_OR_RETURN(AwsCredentials creds, RunCredentialProcess(process, where));
    return MaybeCredentials(std::move(creds));
  }
  for (const char* key : {"sso_session", "sso_start_url"}) {
    if (!s.Get(key).empty()) {
      return FatalError(where + " uses '" + key + "' (IAM Identity Center), which kinesis-import "
                        "does not support; run `aws configure export-credentials` or use a role");
    }
  }
  return MaybeCredentials();
}

}  // namespace ki
