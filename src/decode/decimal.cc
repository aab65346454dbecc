#include "decode/decimal.h"

#include <algorithm>
#include <array>

namespace ki {
namespace {

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Exponents saturate here; with inputs far below 10^15 digits this cannot change a result.
constexpr int64_t kExponentLimit = 1'000'000'000'000'000;
constexpr unsigned __int128 kMaxU128 = ~static_cast<unsigned __int128>(0);
// 10^39 > 2^128 > 10^38: a scaled value with 40 or more integer digits always overflows.
constexpr int64_t kMaxU128Digits = 39;

constexpr std::array<unsigned __int128, 39> MakePowersOfTen() {
  std::array<unsigned __int128, 39> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr std::array<unsigned __int128, 39> kPowersOfTen = MakePowersOfTen();

// The parts of a number's text: sign, integer digits, fraction digits, exponent. False when the
// text is not a number in `syntax`.
struct DecimalLexeme {
  bool negative = false;
  const char* int_begin = nullptr;
  int64_t num_int = 0;
  const char* frac_begin = nullptr;
  int64_t num_frac = 0;
  int64_t exponent = 0;
  unsigned digit(int64_t i) const {
    return static_cast<unsigned>((i < num_int ? int_begin[i] : frac_begin[i - num_int]) - '0');
  }
};

bool LexDecimal(std::string_view text, DecimalSyntax syntax, DecimalLexeme* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  DecimalLexeme x;
  if (p < end && *p == '-') {
    x.negative = true;
    ++p;
  } else if (syntax == DecimalSyntax::kLenient && p < end && *p == '+') {
    ++p;
  }
  x.int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  x.num_int = p - x.int_begin;
  x.frac_begin = p;
  bool has_point = false;
  if (p < end && *p == '.') {
    has_point = true;
    x.frac_begin = ++p;
    while (p < end && IsDigit(*p)) ++p;
  }
  x.num_frac = has_point ? p - x.frac_begin : 0;
  if (syntax == DecimalSyntax::kJson) {
    if (x.num_int == 0 || (x.num_int > 1 && *x.int_begin == '0') || (has_point && x.num_frac == 0)) {
      return false;
    }
  } else if (x.num_int + x.num_frac == 0) {
    return false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exponent_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exponent_negative = *p == '-';
      ++p;
    }
    if (p == end || !IsDigit(*p)) return false;
    for (; p < end && IsDigit(*p); ++p) {
      if (x.exponent < kExponentLimit) x.exponent = x.exponent * 10 + (*p - '0');
    }
    if (exponent_negative) x.exponent = -x.exponent;
  }
  if (p != end) return false;
  *out = x;
  return true;
}

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  if (text.size() <= kMaxShown) return std::string(text);
  return std::string(text.substr(0, kMaxShown)) + "...";
}

}  // namespace

unsigned __int128 PowerOfTen(int n) { return kPowersOfTen[static_cast<size_t>(n)]; }

DecimalParseError ParseScaledDecimal(std::string_view text, uint8_t scale,
                                     unsigned __int128 max_magnitude, DecimalSyntax syntax,
                                     ScaledDecimal* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  {
    // Fast path: a plain integer of 1..18 digits (sensor ids, temperatures, counters): no
    // rounding, no exponent, and magnitude * 10^scale cannot overflow 128 bits.
    const char* q = p + (p < end && *p == '-');
    const char* const digits_begin = q;
    uint64_t m = 0;
    while (q < end && IsDigit(*q)) m = m * 10 + static_cast<unsigned>(*q++ - '0');
    const auto n = q - digits_begin;
    if (q == end && n > 0 && n <= 18 && scale <= 20 &&
        (syntax == DecimalSyntax::kLenient || n == 1 || *digits_begin != '0')) {
      const unsigned __int128 magnitude = static_cast<unsigned __int128>(m) * kPowersOfTen[scale];
      if (magnitude > max_magnitude) return DecimalParseError::kOverflow;
      out->magnitude = magnitude;
      out->negative = digits_begin != p && magnitude != 0;
      out->exact = true;
      return DecimalParseError::kOk;
    }
  }
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  } else if (syntax == DecimalSyntax::kLenient && p < end && *p == '+') {
    ++p;
  }
  const char* const int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  const char* const int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  bool has_point = false;
  if (p < end && *p == '.') {
    has_point = true;
    frac_begin = ++p;
    while (p < end && IsDigit(*p)) ++p;
    frac_end = p;
  }
  const int64_t num_int = int_end - int_begin;
  const int64_t num_frac = frac_end - frac_begin;
  if (syntax == DecimalSyntax::kJson) {
    if (num_int == 0 || (num_int > 1 && *int_begin == '0') || (has_point && num_frac == 0)) {
      return DecimalParseError::kSyntax;
    }
  } else if (num_int + num_frac == 0) {
    return DecimalParseError::kSyntax;
  }
  int64_t exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exponent_negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
      exponent_negative = *p == '-';
      ++p;
    }
    if (p == end || !IsDigit(*p)) return DecimalParseError::kSyntax;
    for (; p < end && IsDigit(*p); ++p) {
      if (exponent < kExponentLimit) exponent = exponent * 10 + (*p - '0');
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (p != end) return DecimalParseError::kSyntax;

  // The digits are the integer digits followed by the fraction digits; the number is
  // digits * 10^(exponent - num_frac), so the scaled value is digits * 10^shift.
  const int64_t total = num_int + num_frac;
  auto digit_at = [&](int64_t i) -> unsigned {
    return static_cast<unsigned>((i < num_int ? int_begin[i] : frac_begin[i - num_int]) - '0');
  };
  int64_t first = 0;
  while (first < total && digit_at(first) == 0) ++first;
  *out = ScaledDecimal{};
  if (first == total) return DecimalParseError::kOk;  // zero, whatever its sign and exponent

  const int64_t significant = total - first;
  const int64_t shift = exponent - num_frac + scale;
  const int64_t kept = significant + shift;  // integer digits of the scaled value
  if (kept > kMaxU128Digits) return DecimalParseError::kOverflow;

  const int64_t take = std::min(significant, kept);  // may be <= 0: everything is rounded away
  unsigned __int128 magnitude = 0;
  if (take <= 19) {
    // Fast path (every BIGINT and DECIMAL(18,s)): 19 digits cannot overflow 64 bits.
    uint64_t m = 0;
    for (int64_t i = 0; i < take; ++i) m = m * 10 + digit_at(first + i);
    magnitude = m;
  } else {
    for (int64_t i = 0; i < take; ++i) {
      const unsigned d = digit_at(first + i);
      if (magnitude > (kMaxU128 - d) / 10) return DecimalParseError::kOverflow;
      magnitude = magnitude * 10 + d;
    }
  }
  for (int64_t i = 0; i < shift; ++i) {  // shift < 40 here because kept <= 39
    if (magnitude > kMaxU128 / 10) return DecimalParseError::kOverflow;
    magnitude *= 10;
  }
  bool exact = true;
  if (take < significant) {
    // Round half away from zero on the magnitude: only the first dropped digit decides
    // (an implicit 0 when take < 0); any non-zero dropped digit makes the result inexact.
    const int64_t drop_from = std::max<int64_t>(take, 0);
    for (int64_t i = drop_from; i < significant; ++i) {
      if (digit_at(first + i) != 0) {
        exact = false;
        break;
      }
    }
    if (take >= 0 && digit_at(first + take) >= 5) {
      if (magnitude == kMaxU128) return DecimalParseError::kOverflow;
      ++magnitude;
    }
  }
  if (magnitude > max_magnitude) return DecimalParseError::kOverflow;
  out->magnitude = magnitude;
  out->negative = negative && magnitude != 0;
  out->exact = exact;
  return DecimalParseError::kOk;
}

DecimalParseError ParseDecimalText(std::string_view text, int scale, int64_t max_integer_digits,
                                   DecimalSyntax syntax, std::string* out, bool* exact) {
  out->clear();
  *exact = true;
  DecimalLexeme x;
  if (!LexDecimal(text, syntax, &x)) return DecimalParseError::kSyntax;
  const int64_t total = x.num_int + x.num_frac;
  int64_t first = 0;
  while (first < total && x.digit(first) == 0) ++first;
  // The value's own scale: its fraction digits once the exponent is applied (1.50 -> 2,
  // 1.5e-3 -> 4, 1e3 -> 0), as PostgreSQL's numeric input counts them.
  const int64_t own_scale = std::max<int64_t>(0, x.num_frac - x.exponent);
  if (scale < 0 && own_scale > kMaxNumericScale) return DecimalParseError::kOverflow;
  const int64_t target_scale = scale < 0 ? own_scale : scale;
  if (first == total) {  // zero, whatever its sign and exponent
    out->push_back('0');
    if (target_scale > 0) {
      out->push_back('.');
      out->append(static_cast<size_t>(target_scale), '0');
    }
    return DecimalParseError::kOk;
  }
  const int64_t significant = total - first;
  // Integer digits of the value (from its first non-zero digit); <= 0 when it is below 1.
  const int64_t point = significant + x.exponent - x.num_frac;
  if (point > max_integer_digits) return DecimalParseError::kOverflow;  // also before rounding
  const int64_t kept = point + target_scale;  // digits kept from the first non-zero one
  if (x.negative) out->push_back('-');
  const size_t digits_begin = out->size();
  const int64_t take = std::clamp<int64_t>(kept, 0, significant);
  for (int64_t i = 0; i < take; ++i) out->push_back(static_cast<char>('0' + x.digit(first + i)));
  if (kept > significant) out->append(static_cast<size_t>(kept - significant), '0');
  if (kept < significant) {
    // Round half away from zero: the first dropped digit decides (an implicit 0 when kept < 0);
    // any non-zero dropped digit makes the result inexact.
    for (int64_t i = std::max<int64_t>(kept, 0); i < significant; ++i) {
      if (x.digit(first + i) != 0) {
        *exact = false;
        break;
      }
    }
    if (kept >= 0 && x.digit(first + kept) >= 5) {
      size_t i = out->size();
      while (i > digits_begin && (*out)[i - 1] == '9') (*out)[--i] = '0';
      if (i > digits_begin) {
        ++(*out)[i - 1];
      } else {
        out->insert(out->begin() + static_cast<std::ptrdiff_t>(digits_begin), '1');
      }
    }
  }
  const int64_t length = static_cast<int64_t>(out->size() - digits_begin);
  if (length == 0) {  // everything rounded away: zero, without a sign
    out->clear();
    out->push_back('0');
    if (target_scale > 0) {
      out->push_back('.');
      out->append(static_cast<size_t>(target_scale), '0');
    }
    return DecimalParseError::kOk;
  }
  const int64_t integer_digits = length - target_scale;
  if (integer_digits > max_integer_digits) return DecimalParseError::kOverflow;
  if (target_scale > 0) {
    if (integer_digits > 0) {
      out->insert(out->begin() + static_cast<std::ptrdiff_t>(digits_begin + integer_digits), '.');
    } else {
      out->insert(digits_begin, static_cast<size_t>(-integer_digits), '0');
      out->insert(digits_begin, "0.");
    }
  }
  return DecimalParseError::kOk;
}

Result<__int128> ParseDecimal(std::string_view text, uint8_t width, uint8_t scale) {
  if (width < 1 || width > kMaxDecimalWidth || scale > width) {
    return InvalidArgument("invalid DECIMAL(" + std::to_string(width) + "," +
                           std::to_string(scale) + ")");
  }
  ScaledDecimal d;
  switch (ParseScaledDecimal(text, scale, PowerOfTen(width) - 1, DecimalSyntax::kLenient, &d)) {
    case DecimalParseError::kOk:
      break;
    case DecimalParseError::kSyntax:
      return BadRecord("'" + Quote(text) + "' is not a number");
    case DecimalParseError::kOverflow:
      return BadRecord("value " + Quote(text) + " does not fit DECIMAL(" + std::to_string(width) +
                       "," + std::to_string(scale) + ")");
  }
  // magnitude <= 10^38 - 1 < 2^127: the conversion is exact.
  const auto v = static_cast<__int128>(d.magnitude);
  return d.negative ? -v : v;
}

void AppendDecimal(__int128 value, uint8_t scale, std::string* out) {
  const bool negative = value < 0;
  // Negate in unsigned arithmetic so that the minimum value is handled.
  unsigned __int128 magnitude =
      negative ? ~static_cast<unsigned __int128>(value) + 1 : static_cast<unsigned __int128>(value);
  char digits[296];  // least significant first: 39 digits, or scale (<= 255) + 1
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= scale) digits[n++] = '0';  // a digit before the point
  if (negative) out->push_back('-');
  for (size_t i = n; i-- > 0;) {
    out->push_back(digits[i]);
    if (i == scale && scale != 0) out->push_back('.');
  }
}

std::string FormatDecimal(__int128 value, uint8_t scale) {
  std::string out;
  out.reserve(44);
  AppendDecimal(value, scale, &out);
  return out;
}

}  // namespace ki
