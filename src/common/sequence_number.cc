#include "common/sequence_number.h"

namespace ki {

int CompareSequenceNumbers(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    size_t i = 0;
    while (i + 1 < s.size() && s[i] == '0') ++i;
    return s.substr(i);
  };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool IsValidSequenceNumber(std::string_view s) {
  if (s.empty() || s.size() > 129) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace ki
