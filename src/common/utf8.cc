#include "common/utf8.h"

#include <simdjson.h>

#include <cstdint>
#include <cstring>

namespace ki {

bool IsValidUtf8(std::string_view s) {
  // Most cells checked here are short and ASCII (keys, ids, sequence numbers, enum-like values).
  // For those a word-at-a-time test is much cheaper than simdjson's call, which copies the tail of
  // every input into a padded block first (3% of an event-row import in the profile); longer or
  // non-ASCII text goes to simdjson's SIMD validator.
  constexpr size_t kShort = 64;
  if (s.size() <= kShort) {
    uint64_t high = 0;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, sizeof w);
      high |= w;
    }
    for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
    if ((high & 0x8080808080808080ull) == 0) return true;
  }
  return simdjson::validate_utf8(s.data(), s.size());
}

}  // namespace ki
