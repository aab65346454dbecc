// Web identity (EKS IAM Roles for Service Accounts): a token file the platform rotates, exchanged
// with STS AssumeRoleWithWebIdentity (unsigned). The token file is read on every Load, so a
// rotated token is used at the next refresh.
#pragma once

#include <optional>
#include <string>

#include "aws/credentials_provider.h"

namespace ki {

struct WebIdentitySettings {
  std::string token_file;
  std::string role_arn;
  std::string role_session_name;  // "" -> "kinesis-import-<unix seconds>"
  std::string origin;             // for messages: "environment" or "profile 'x' in <file>"
};

// One exchange. Errors: the token file is missing or empty (NotFound / InvalidArgument naming the
// file), or STS refused (see sts_client.h).
Result<AwsCredentials> AssumeRoleWithWebIdentity(const WebIdentitySettings& settings,
                                                 const CredentialsContext& context,
                                                 const Environment& env);

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME). Neither set: nullopt;
// only one of the two: InvalidArgument naming the missing variable.
class WebIdentityCredentialsProvider : public CredentialsProvider {
 public:
  WebIdentityCredentialsProvider(const CredentialsContext& context, const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  CredentialsContext context_;
  const Environment& env_;
  std::optional<std::string> token_file_;
  std::optional<std::string> role_arn_;
  std::string session_name_;
};

// A role session name for an unnamed session: "kinesis-import-<unix seconds>".
std::string DefaultRoleSessionName(const CredentialsContext& context);

}  // namespace ki
