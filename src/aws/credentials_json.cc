#include "aws/credentials_json.h"

#include <simdjson.h>

#include "common/time_format.h"

namespace ki {

Result<std::chrono::system_clock::time_point> ParseExpiration(std::string_view text,
                                                              const std::string& origin) {
  Result<int64_t> micros = ParseIso8601Micros(text);
  if (!micros.ok()) {
    return InvalidArgument(origin + ": Expiration '" + std::string(text.substr(0, 40)) +
                           "' is not an ISO-8601 time");
  }
  return std::chrono::system_clock::time_point(std::chrono::microseconds(*micros));
}

Result<AwsCredentials> ParseCredentialsJson(std::string_view body, const std::string& origin,
                                            bool require_version_1) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    return FatalError(origin + " did not return a JSON object");
  }
  auto text_field = [&](const char* name) -> std::string {
    std::string_view value;
    if (doc[name].get_string().get(value) != simdjson::SUCCESS) return "";
    return std::string(value);
  };
  if (require_version_1) {
    int64_t version = 0;
    if (doc["Version"].get_int64().get(version) != simdjson::SUCCESS || version != 1) {
      return FatalError(origin + " returned JSON without \"Version\": 1");
    }
  }
  std::string code = text_field("Code");
  if (!code.empty() && code != "Success") {
    // The code is an AWS identifier ("AssumeRoleUnauthorizedAccess"), never a secret.
    return FatalError(origin + " answered Code '" + code.substr(0, 80) + "'");
  }
  AwsCredentials creds;
  creds.access_key_id = text_field("AccessKeyId");
  creds.secret_access_key = text_field("SecretAccessKey");
  creds.session_token = text_field("Token");
  if (creds.session_token.empty()) creds.session_token = text_field("SessionToken");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return FatalError(origin + " returned no AccessKeyId/SecretAccessKey");
  }
  std::string expiration = text_field("Expiration");
  if (!expiration.empty()) {
    KI_ASSIGN_OR_RETURN(creds.expiration, ParseExpiration(expiration, origin));
  }
  creds.source = origin;
  return creds;
}

}  // namespace ki
