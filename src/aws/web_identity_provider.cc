#include "aws/web_identity_provider.h"

#include "aws/ini_file.h"
#include "aws/sts_client.h"

namespace ki {

std::string DefaultRoleSessionName(const CredentialsContext& context) {
  auto now = context.clock ? context.clock->Now() : std::chrono::system_clock::now();
  return "kinesis-import-" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

Result<AwsCredentials> AssumeRoleWithWebIdentity(const WebIdentitySettings& settings,
                                                 const CredentialsContext& context,
                                                 const Environment& env) {
  std::optional<std::string> path = ExpandHome(settings.token_file, env);
  if (!path) return InvalidArgument(settings.origin + ": cannot expand '~' in the web identity token file: HOME is not set");
  KI_ASSIGN_OR_RETURN(std::optional<std::string> token, ReadTextFileIfExists(*path));
  if (!token) {
    return NotFound(settings.origin + ": web identity token file '" + *path + "' does not exist");
  }
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r' || token->back() == ' ')) {
    token->pop_back();
  }
  if (token->empty()) {
    return InvalidArgument(settings.origin + ": web identity token file '" + *path + "' is empty");
  }
  if (context.http == nullptr) return InternalError("web identity credentials need an HTTP client");
  KI_ASSIGN_OR_RETURN(std::string endpoint, ResolveStsEndpoint(context.region, env));
  std::string session = settings.role_session_name.empty() ? DefaultRoleSessionName(context)
                                                           : settings.role_session_name;
  Result<AwsCredentials> creds = StsAssumeRoleWithWebIdentity(
      *context.http, StsTarget{endpoint, context.region}, settings.role_arn, session, *token);
  if (!creds.ok()) return creds.status().WithContext(settings.origin);
  creds->source = "web identity token " + *path + " (" + settings.origin + ") -> role " + settings.role_arn;
  return creds;
}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(const CredentialsContext& context,
                                                               const Environment& env)
    : context_(context),
      env_(env),
      token_file_(GetNonEmpty(env, "AWS_WEB_IDENTITY_TOKEN_FILE")),
      role_arn_(GetNonEmpty(env, "AWS_ROLE_ARN")),
      session_name_(GetNonEmpty(env, "AWS_ROLE_SESSION_NAME").value_or("")) {}

Result<std::optional<AwsCredentials>> WebIdentityCredentialsProvider::Load() {
  if (!token_file_ && !role_arn_) return std::optional<AwsCredentials>();
  if (!token_file_ || !role_arn_) {
    const char* set = token_file_ ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN";
    const char* missing = token_file_ ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE";
    return InvalidArgument(std::string("environment variable ") + set + " is set but " + missing +
                           " is not; set both or neither");
  }
  KI_ASSIGN_OR_RETURN(AwsCredentials creds,
                      AssumeRoleWithWebIdentity({*token_file_, *role_arn_, session_name_, "environment"},
                                                context_, env_));
  return std::optional<AwsCredentials>(std::move(creds));
}

std::string WebIdentityCredentialsProvider::Describe() const {
  return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN" +
         std::string(token_file_ || role_arn_ ? ")" : " not set)");
}

}  // namespace ki
