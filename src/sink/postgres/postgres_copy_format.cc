#include "sink/postgres/postgres_copy_format.h"

#include <limits>

namespace ki {

namespace {

constexpr uint64_t kPow10[5] = {1, 10, 100, 1000, 10000};

// The base-10000 digits of `m` / 10^scale aligned on the decimal point, least significant first
// (the last is never zero); none for zero. A scale that is not a multiple of 4 makes the lowest
// digit a partial one: its decimal digits are shifted to the top of the group.
template <typename U>
size_t ScaledGroups(U m, unsigned scale, uint16_t* groups) {
  size_t n = 0;
  if (m == 0) return 0;
  const unsigned partial = scale % 4;
  if (partial != 0) {
    const U p = static_cast<U>(kPow10[partial]);
    groups[n++] = static_cast<uint16_t>(static_cast<uint64_t>(m % p) * kPow10[4 - partial]);
    m /= p;
  }
  if constexpr (sizeof(U) > sizeof(uint64_t)) {
    // 128-bit division is a library call: only while the value does not fit 64 bits.
    while (m > static_cast<U>(std::numeric_limits<uint64_t>::max())) {
      groups[n++] = static_cast<uint16_t>(static_cast<uint64_t>(m % 10000));
      m /= 10000;
    }
  }
  for (auto v = static_cast<uint64_t>(m); v != 0; v /= 10000) {
    groups[n++] = static_cast<uint16_t>(v % 10000);
  }
  return n;
}

// numeric: ndigits, weight (of the first base-10000 digit), sign, dscale, then the digits;
// `groups` as ScaledGroups returns them. Trailing zero digits are left out (PostgreSQL's own
// form; dscale keeps the scale).
void PutNumericGroups(std::string& out, const uint16_t* groups, size_t n, bool negative,
                      unsigned scale) {
  size_t first = 0;
  while (first < n && groups[first] == 0) ++first;
  const size_t ndigits = n - first;
  const int fraction_groups = static_cast<int>((scale + 3) / 4);
  const int weight = ndigits == 0 ? 0 : static_cast<int>(n) - 1 - fraction_groups;
  PutUInt32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  PutUInt16(out, static_cast<uint16_t>(ndigits));
  PutUInt16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  PutUInt16(out, negative && ndigits != 0 ? 0x4000 : 0x0000);
  PutUInt16(out, static_cast<uint16_t>(scale));
  for (size_t i = n; i-- > first;) PutUInt16(out, groups[i]);
}

}  // namespace

void PutNumericScaledField(std::string& out, uint64_t magnitude, bool negative, uint8_t scale) {
  uint16_t groups[8];  // 2^64 < 10^20: at most one partial and 5 whole digits
  PutNumericGroups(out, groups, ScaledGroups(magnitude, scale, groups), negative, scale);
}

void PutNumericScaledField(std::string& out, unsigned __int128 magnitude, bool negative,
                           uint8_t scale) {
  uint16_t groups[12];  // 2^128 < 10^39: at most one partial and 10 whole digits
  PutNumericGroups(out, groups, ScaledGroups(magnitude, scale, groups), negative, scale);
}

void PutNumericTextField(std::string& out, std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  const size_t point = text.find('.');
  std::string_view integer = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  const size_t integer_groups = (integer.size() + 3) / 4;
  const size_t groups = integer_groups + (fraction.size() + 3) / 4;
  const size_t pad = integer_groups * 4 - integer.size();  // zeros before the first digit
  auto group = [&](size_t k) {
    unsigned v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const size_t at = k * 4 + j;  // in the digits aligned on the point
      char digit = '0';
      if (k < integer_groups) {
        if (at >= pad) digit = integer[at - pad];
      } else if (at - integer_groups * 4 < fraction.size()) {
        digit = fraction[at - integer_groups * 4];
      }
      v = v * 10 + static_cast<unsigned>(digit - '0');
    }
    return static_cast<uint16_t>(v);
  };
  size_t first = 0;
  while (first < groups && group(first) == 0) ++first;
  size_t last = groups;
  while (last > first && group(last - 1) == 0) --last;
  const size_t ndigits = last - first;
  const int weight = ndigits == 0 ? 0 : static_cast<int>(integer_groups) - 1 - static_cast<int>(first);
  PutUInt32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  PutUInt16(out, static_cast<uint16_t>(ndigits));
  PutUInt16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  PutUInt16(out, negative && ndigits != 0 ? 0x4000 : 0x0000);
  PutUInt16(out, static_cast<uint16_t>(fraction.size()));
  for (size_t k = first; k < last; ++k) PutUInt16(out, group(k));
}

}  // namespace ki
