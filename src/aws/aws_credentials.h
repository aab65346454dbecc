// AWS credentials as resolved by the credentials chain and consumed by the SigV4 signer.
#pragma once

#include <string>

namespace ki {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
  std::string source;         // where they came from, for messages ("environment", "profile 'x' in ~/.aws/credentials", ...); never the secret
};

}  // namespace ki
