#include "common/canonical_text.h"

#include <charconv>
#include <cmath>

namespace ki {

bool ParseUuidText(std::string_view s, unsigned __int128* out) {
  const bool hyphenated = s.size() == 36;
  if (!hyphenated && s.size() != 32) return false;
  unsigned __int128 v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-') return false;
      continue;
    }
    const char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

void AppendUuidText(unsigned __int128 v, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out->push_back('-');
    out->push_back(kHex[static_cast<unsigned>(v >> (124 - 4 * i)) & 0xF]);
  }
}

void AppendCanonicalDouble(double d, bool is_float, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char text[40];
  const auto end = is_float ? std::to_chars(text, text + sizeof(text), static_cast<float>(d)).ptr
                            : std::to_chars(text, text + sizeof(text), d).ptr;
  out->append(text, static_cast<size_t>(end - text));
}

bool JsonTextHasNulEscape(std::string_view json_text) {
  constexpr std::string_view kEscape = "\\u0000";
  for (size_t i = json_text.find(kEscape); i != std::string_view::npos;
       i = json_text.find(kEscape, i + 1)) {
    // The backslash at i starts an escape unless an odd number of backslashes precede it.
    size_t before = 0;
    while (before < i && json_text[i - before - 1] == '\\') ++before;
    if (before % 2 == 0) return true;
  }
  return false;
}

}  // namespace ki
