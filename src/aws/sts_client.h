// The two STS calls the credentials chain needs, over the Query API (form-encoded POST, XML
// answer), as the AWS SDKs send them:
// - AssumeRole, signed with SigV4 (service "sts") by the source credentials;
// - AssumeRoleWithWebIdentity, unsigned (the web identity token is the proof).
// Thread-safe if the HttpClient is. Errors name the action and the role ARN, carry the STS error
// code and request id in ErrorDetail, and never contain a secret, session token or web identity
// token; transport failures and 5xx/throttling are kRetriable, everything else kFatal.
#pragma once

#include <string>

#include "aws/aws_credentials.h"
#include "aws/environment.h"
#include "common/clock.h"
#include "common/status.h"
#include "http/http_client.h"

namespace ki {

// AWS_ENDPOINT_URL_STS (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else the regional
// endpoint https://sts.<region>.amazonaws.com (".amazonaws.com.cn" for "cn-" regions); an empty
// region means us-east-1. InvalidArgument for a bad URL or region.
Result<std::string> ResolveStsEndpoint(const std::string& region, const Environment& env);

struct StsTarget {
  std::string endpoint;  // from ResolveStsEndpoint
  std::string region;    // signing region ("" -> us-east-1)
};

struct AssumeRoleRequest {
  std::string role_arn;
  std::string role_session_name;
  std::string external_id;  // "" -> not sent
  int duration_seconds = 0;  // 0 -> not sent (STS default: 3600)
};

Result<AwsCredentials> StsAssumeRole(HttpClient& http, Clock& clock, const StsTarget& target,
                                     const AwsCredentials& source, const AssumeRoleRequest& request);

Result<AwsCredentials> StsAssumeRoleWithWebIdentity(HttpClient& http, const StsTarget& target,
                                                    const std::string& role_arn,
                                                    const std::string& role_session_name,
                                                    const std::string& web_identity_token);

// Public for unit tests: the Credentials of an AssumeRole*Response (action "AssumeRole" or
// "AssumeRoleWithWebIdentity"), or the error of an ErrorResponse with HTTP status `status`.
Result<AwsCredentials> ParseStsResponse(long status, const std::string& body,
                                        const std::string& action, const std::string& role_arn);

// application/x-www-form-urlencoded value encoding (RFC 3986 unreserved kept, the rest %XX).
std::string FormUrlEncode(const std::string& value);

}  // namespace ki
