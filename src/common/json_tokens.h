// Reading simdjson On-Demand tokens without copies, shared by the payload decoder (src/decode/)
// and the GetRecords envelope parser (src/kinesis/kinesis_client.cc).
#pragma once

#include <simdjson.h>

#include <string_view>

namespace ki {

// The key of a field. Keys without escapes (nearly all) are taken from the input as they are,
// which saves the unescaping copy; stage 1 has already checked that they are valid UTF-8 without
// control characters, and the padded buffer guarantees the closing quote.
inline simdjson::error_code FieldKey(simdjson::ondemand::field& field, std::string_view* key) {
  const char* const begin = field.key().raw();
  const char* end = begin;
  while (*end != '"' && *end != '\\') ++end;
  if (*end == '"') {
    *key = std::string_view(begin, static_cast<size_t>(end - begin));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(*key);
}

[[gnu::always_inline]] inline std::string_view TrimTrailingSpace(std::string_view token) {
  // raw_json_token() includes the whitespace up to the next token.
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

}  // namespace ki
