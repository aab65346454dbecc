// The JSON documents that carry temporary credentials: the EC2 instance metadata service's
// security-credentials answer, the ECS/EKS container endpoint's answer, and a credential_process's
// stdout. They share the field names AccessKeyId, SecretAccessKey, Expiration; the session token
// is "Token" (IMDS, container) or "SessionToken" (credential_process).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "aws/aws_credentials.h"
#include "common/status.h"

namespace ki {

// `origin` names the document in errors ("instance metadata at http://...", "credential_process
// of profile 'x'"). With `require_version_1` the document must have "Version": 1 (the
// credential_process contract). A "Code" other than "Success" (IMDS) is an error naming the code.
// Errors are kFatal and never quote the document (it holds the secret).
Result<AwsCredentials> ParseCredentialsJson(std::string_view body, const std::string& origin,
                                            bool require_version_1);

// ISO-8601 ("2026-12-01T14:00:00Z") -> time point; InvalidArgument naming `origin`.
Result<std::chrono::system_clock::time_point> ParseExpiration(std::string_view text,
                                                              const std::string& origin);

}  // namespace ki
