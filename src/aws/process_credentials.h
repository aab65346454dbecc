// credential_process: a profile names a command whose stdout is a JSON document
//   {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration": ...}
// (SessionToken and Expiration optional). The command runs through /bin/sh -c with this process's
// environment; its stderr goes to ours (so the user sees why it failed), its stdout is never
// printed. Blocks until the command exits.
#pragma once

#include <string>

#include "aws/aws_credentials.h"
#include "common/status.h"

namespace ki {

// `origin` names the profile in errors and becomes AwsCredentials::source. Errors (kFatal): the
// command cannot be started, exits with a non-zero status or a signal, or prints something that
// is not the JSON above. The command line is not quoted in errors (it may carry secrets).
Result<AwsCredentials> RunCredentialProcess(const std::string& command, const std::string& origin);

}  // namespace ki
