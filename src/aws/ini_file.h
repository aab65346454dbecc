// A reader for the AWS shared configuration files (~/.aws/credentials, ~/.aws/config): the INI
// dialect the AWS CLI accepts, read-only.
//
//   [section name]        ; section names are trimmed, kept verbatim otherwise ("profile dev")
//   key = value           # split at the first '=', key and value trimmed; keys case-sensitive
//   s3 =                  # a key with nested settings: lines indented deeper than the key
//       max_concurrent_requests = 20    are part of it and ignored (we need none of them)
//
// Whole-line comments start with '#' or ';'. Values are taken literally: "key = a # b" has the
// value "a # b", as in botocore. A repeated section is merged; a repeated key keeps the last value.
// Error messages name the file and line but never echo a line's content, which may hold a secret.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ki {

class IniFile {
 public:
  using Section = std::map<std::string, std::string, std::less<>>;

  // Parses `text`; `origin` names the file in error messages. Errors: InvalidArgument for a line
  // that is neither a comment, a [section], nor key = value, or a key before the first section.
  static Result<IniFile> Parse(std::string_view text, const std::string& origin);

  // Reads and parses the file at `path`. nullopt when the file does not exist; IoError when it
  // exists but cannot be read.
  static Result<std::optional<IniFile>> LoadIfExists(const std::string& path);

  // The section with exactly this (trimmed) name, or nullptr.
  const Section* FindSection(std::string_view name) const;

  // Section names in order of first appearance.
  const std::vector<std::string>& SectionNames() const { return order_; }

 private:
  std::map<std::string, Section, std::less<>> sections_;
  std::vector<std::string> order_;
};

// The whole content of a small local file. nullopt when it does not exist; IoError when it exists
// but is not a regular file or cannot be read. Shared by the INI and connections-file readers.
Result<std::optional<std::string>> ReadTextFileIfExists(const std::string& path);

}  // namespace ki
