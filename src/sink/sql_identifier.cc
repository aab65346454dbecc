#include "sink/sql_identifier.h"

namespace ki {
namespace {
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.push_back('"');
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

Result<std::vector<std::string>> SplitQualifiedName(const std::string& name, UnquotedCase unquoted,
                                                    std::string_view three_parts) {
  std::vector<std::string> parts;
  size_t i = 0;
  const size_t n = name.size();
  auto malformed = [&](const std::string& why) {
    return InvalidArgument("table name '" + name + "' is malformed: " + why);
  };
  while (true) {
    while (i < n && IsSpace(name[i])) ++i;
    std::string part;
    if (i < n && name[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (name[i] == '"') {
          if (i + 1 < n && name[i + 1] == '"') {
            part.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        part.push_back(name[i++]);
      }
      if (!closed) return malformed("a double quote is not closed");
      if (part.empty()) return malformed("empty quoted identifier");
      while (i < n && IsSpace(name[i])) ++i;
    } else {
      while (i < n && name[i] != '.' && name[i] != '"') {
        const char c = name[i++];
        const bool fold = unquoted == UnquotedCase::kFoldToLower && c >= 'A' && c <= 'Z';
        part.push_back(fold ? static_cast<char>(c - 'A' + 'a') : c);
      }
      while (!part.empty() && IsSpace(part.back())) part.pop_back();
      if (part.empty()) return malformed("empty name part");
      if (i < n && name[i] == '"') return malformed("a double quote inside an unquoted name");
    }
    parts.push_back(std::move(part));
    if (i == n) break;
    if (name[i] != '.') return malformed("expected '.' after a quoted identifier");
    ++i;
  }
  if (parts.size() > 3) return malformed("more than three parts (" + std::string(three_parts) + ")");
  return parts;
}

}  // namespace ki
