// The AWS credentials chain: an ordered list of providers, the first that has credentials wins.
//
// Default precedence (DefaultCredentialsChain, documented for users in docs/configuration.md):
//   1. --connection NAME: a named connection from the connections file. When given it is the ONLY
//      source; a failure is the error, nothing else is tried.
//   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN). Skipped when --profile is
//      given: an explicit --profile beats the environment, as in the AWS CLI (AWS_PROFILE does not).
//   3. Web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN -> STS
//      AssumeRoleWithWebIdentity (web_identity_provider.h). Skipped when --profile is given.
//   4. The shared files: profile --profile, else AWS_PROFILE, else "default", looked up in the
//      credentials file first, then in the config file's [profile NAME]. A profile may assume a
//      role (role_arn + source_profile / credential_source / web_identity_token_file), have
//      static keys, or run a credential_process (profile_credentials.h).
//   5. Container credentials (ECS, EKS Pod Identity) and 6. EC2 instance metadata (IMDSv2)
//      (metadata_credentials.h).
// Providers 3, 5, 6 and the role/process parts of 4 need a CredentialsContext with an HTTP client;
// without one (the two-argument DefaultCredentialsChain) only the local sources are used.
//
// Secrets and session tokens never appear in any message or Describe() text; access key ids only
// through RedactAccessKey().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_config.h"
#include "aws/aws_credentials.h"
#include "aws/environment.h"
#include "common/clock.h"
#include "common/status.h"
#include "http/http_client.h"

namespace ki {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // nullopt: this source is not configured, try the next one. Error: it is configured but broken
  // (half-set variables, a malformed file, an explicitly requested profile that is missing); the
  // chain stops there, because silently using other credentials would be worse.
  virtual Result<std::optional<AwsCredentials>> Load() = 0;
  // Where this provider looks, for the "no credentials found" message. No secrets.
  virtual std::string Describe() const = 0;
};

class CredentialsChain {
 public:
  void AddProvider(std::unique_ptr<CredentialsProvider> provider);
  // The first provider's credentials, or its error. With no credentials anywhere: FatalError
  // "no AWS credentials found; looked in: 1) ..., 2) ...". Not thread-safe (providers may cache).
  Result<AwsCredentials> Resolve() const;
  // Each provider's Describe(), in order.
  std::vector<std::string> DescribeProviders() const;

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

struct CredentialOptions {
  std::string connection_name;   // --connection
  std::string connections_file;  // --connections-file
  std::string profile;           // --profile
};

// What the network providers need. `http` and `clock` must outlive the chain; `env` too (the
// providers that read a token file or run a process keep a reference).
struct CredentialsContext {
  HttpClient* http = nullptr;  // nullptr: only the local sources (environment, static profile keys)
  Clock* clock = nullptr;      // signing time of STS AssumeRole
  std::string region;          // the region for STS ("" -> us-east-1)
};

// The chain described at the top of this file. Reads what it needs from `env` now; `env` need
// not outlive the chain. Local sources only (no STS, container, IMDS, credential_process).
CredentialsChain DefaultCredentialsChain(const CredentialOptions& options, const Environment& env);
// The full chain. `env` must outlive the chain.
CredentialsChain DefaultCredentialsChain(const CredentialOptions& options, const Environment& env,
                                         const CredentialsContext& context);

// --- The providers ---------------------------------------------------------------------------

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (empty counts as unset).
// Only one of the pair set: InvalidArgument naming the missing variable.
class EnvironmentCredentialsProvider : public CredentialsProvider {
 public:
  explicit EnvironmentCredentialsProvider(const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  std::optional<std::string> access_key_id_;
  std::optional<std::string> secret_access_key_;
  std::optional<std::string> session_token_;
};

// Static keys (aws_access_key_id, aws_secret_access_key, aws_session_token) of one profile in the
// shared credentials file ([NAME]) or, if that has none, the config file ([profile NAME]).
// With a CredentialsContext (http set) the profile may also assume a role, use a web identity
// token file or run a credential_process (see profile_credentials.h); without one such a profile
// is a FatalError naming the key.
class SharedFilesCredentialsProvider : public CredentialsProvider {
 public:
  SharedFilesCredentialsProvider(ProfileSelection profile, SharedFilePaths paths);
  SharedFilesCredentialsProvider(ProfileSelection profile, SharedFilePaths paths,
                                 const CredentialsContext& context, const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  ProfileSelection profile_;
  SharedFilePaths paths_;
  std::optional<CredentialsContext> context_;
  const Environment* env_ = nullptr;
};

// One named connection from the connections file. Never returns nullopt: it is only used when the
// user asked for the connection, so every failure is an error.
class ConnectionCredentialsProvider : public CredentialsProvider {
 public:
  // `explicit_file` is --connections-file ("" if not given); see ConnectionsFilePath.
  ConnectionCredentialsProvider(std::string connection_name, const std::string& explicit_file,
                                const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  std::string connection_name_;
  Result<std::string> path_;
};

// --- Connections file ------------------------------------------------------------------------
//
// One connection per line, "NAME = VALUE" split at the first '=', both trimmed; lines starting with
// '#' and blank lines are skipped. VALUE is "AWS_ACCESS_KEY=...;AWS_SECRET_KEY=...[;
// AWS_SESSION_TOKEN=...]" (the Exasol connector's format): parts separated by ';', each split at
// its first '=', keys case-insensitive, whitespace around parts trimmed. Connection names are
// case-insensitive (Exasol identifiers are) and consist of letters, digits, '_', '-' and '.',
// starting with a letter or '_'.

// --connections-file, else KINESIS_IMPORT_CONNECTIONS_FILE, else
// $HOME/.config/kinesis-import/connections. InvalidArgument when HOME is needed but unset.
Result<std::string> ConnectionsFilePath(const std::string& explicit_file, const Environment& env);

// Parses one connection's VALUE. InvalidArgument naming the connection and the missing, empty,
// repeated or unknown key; the value itself is never part of a message.
Result<AwsCredentials> ParseConnectionValue(std::string_view value,
                                            std::string_view connection_name);

class ConnectionsFile {
 public:
  // `path` names the file in messages and in AwsCredentials::source. InvalidArgument for a line
  // without '=' or with an empty or invalid name, and for a name defined twice (names compared
  // case-insensitively); messages give the line number, never the line.
  static Result<ConnectionsFile> Parse(std::string_view text, const std::string& path);
  // NotFound when the file does not exist; IoError when it cannot be read.
  static Result<ConnectionsFile> Load(const std::string& path);

  // The credentials of connection `name` (case-insensitive). NotFound listing the file and the
  // available names (never values); InvalidArgument from ParseConnectionValue, prefixed with the
  // file and line of the entry.
  Result<AwsCredentials> Lookup(std::string_view name) const;
  // Names as written in the file, in file order.
  std::vector<std::string> Names() const;
  const std::string& path() const { return path_; }

 private:
  struct Entry {
    std::string name;
    std::string value;
    int line = 0;  // 1-based, for messages
  };
  std::string path_;
  std::vector<Entry> entries_;
};

// For logs: the first 4 characters of an access key id followed by "****" ("AKIA****"); keys of
// 4 characters or fewer become just "****". Never use this on secrets or tokens: those are never
// printed at all.
std::string RedactAccessKey(std::string_view key);

}  // namespace ki
