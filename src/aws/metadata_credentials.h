// Credentials from the machine the tool runs on: the EC2 instance metadata service (IMDSv2) and
// the ECS / EKS Pod Identity container credentials endpoint. Both are plain HTTP GETs through the
// injected HttpClient with short time limits (as the AWS SDKs: 1 s for IMDS, 2 s for the
// container endpoint), so a machine without them answers "not here" quickly.
//
// Not thread-safe on their own (CachingCredentialsSource serializes Load calls).
#pragma once

#include <optional>
#include <string>

#include "aws/credentials_provider.h"
#include "http/http_client.h"

namespace ki {

// IMDSv2 only: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 21600), then
// GET /latest/meta-data/iam/security-credentials/ (the role name) and .../<role> with
// X-aws-ec2-metadata-token. There is no IMDSv1 fallback: a service that refuses the token PUT is
// an error, not a reason to send unauthenticated GETs.
// Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
// AWS_EC2_METADATA_DISABLED=true: never contacted (Load returns nullopt).
// A service that does not answer (connection refused, timeout) is "not on EC2": nullopt.
class ImdsCredentialsProvider : public CredentialsProvider {
 public:
  ImdsCredentialsProvider(HttpClient& http, const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  HttpClient& http_;
  std::string endpoint_;
  bool disabled_ = false;
  std::string last_miss_;  // why the last Load found nothing, for Describe()
};

// The EC2 region from IMDS (GET /latest/meta-data/placement/region), for when nothing else names
// one. nullopt when IMDS is disabled, unreachable or does not answer with a region.
std::optional<std::string> ImdsRegion(HttpClient& http, const Environment& env);

// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on http://169.254.170.2), else
// AWS_CONTAINER_CREDENTIALS_FULL_URI, which over http must name a loopback host (127.0.0.0/8,
// localhost, [::1]) or one of the documented link-local endpoints (169.254.170.2,
// 169.254.170.23, [fd00:ec2::23]); https may name any host. The Authorization header is the
// content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every Load, so a rotated token is
// picked up), else AWS_CONTAINER_AUTHORIZATION_TOKEN. Neither URI set: nullopt. Set but failing:
// an error (the platform promised credentials there).
class ContainerCredentialsProvider : public CredentialsProvider {
 public:
  ContainerCredentialsProvider(HttpClient& http, const Environment& env);
  Result<std::optional<AwsCredentials>> Load() override;
  std::string Describe() const override;

 private:
  HttpClient& http_;
  std::optional<std::string> url_;
  std::string url_origin_;  // the variable the URL came from
  std::optional<std::string> token_file_;
  std::optional<std::string> token_;
};

}  // namespace ki
