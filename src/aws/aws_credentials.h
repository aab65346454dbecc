// AWS credentials as resolved by the credentials chain and consumed by the SigV4 signer.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ki {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
  std::string source;         // where they came from, for messages ("environment", "profile 'x' in ~/.aws/credentials", ...); never the secret
  // When temporary credentials (STS, IMDS, container, credential_process) stop working; nullopt
  // for long-term keys. CachingCredentialsSource refreshes ahead of it.
  std::optional<std::chrono::system_clock::time_point> expiration = std::nullopt;
};

}  // namespace ki
