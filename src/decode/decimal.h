// Exact decimal text <-> scaled integer conversion, for DECIMAL(p,s) columns, integer columns
// and numeric metadata. Never goes through a double: "0.1" into DECIMAL(18,1) is exactly 1.
// Pure functions, thread-safe, no allocation except in FormatDecimal and in error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ki {

inline constexpr uint8_t kMaxDecimalWidth = 38;
// Exact decimals wider than 128 bits (PostgreSQL numeric(p,s) with p > 38, and unconstrained
// numeric) go as canonical text (ParseDecimalText): PostgreSQL's limits.
inline constexpr int kMaxNumericPrecision = 1000;          // numeric(p,s): p <= 1000
inline constexpr int64_t kMaxNumericIntegerDigits = 131072;  // unconstrained: before the point
inline constexpr int64_t kMaxNumericScale = 16383;          // unconstrained: after the point

// Which spellings of a number are accepted.
enum class DecimalSyntax {
  // A JSON number token: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  kJson,
  // Text in a string value or a metadata field: also a leading '+', leading zeros, ".5", "5.".
  kLenient,
};

enum class DecimalParseError {
  kOk,
  kSyntax,    // not a number in the requested syntax (empty, garbage, inf, nan, ...)
  kOverflow,  // the scaled magnitude exceeds the limit
};

// The scaled magnitude and sign of a parsed number; value = (negative ? -1 : 1) * magnitude.
struct ScaledDecimal {
  unsigned __int128 magnitude = 0;
  bool negative = false;  // never set for zero ("-0" parses as 0)
  bool exact = true;      // false when non-zero digits were rounded away
};

// Parses `text` as a number, multiplies it by 10^scale and rounds half away from zero (as SQL
// CAST does). Fails with kOverflow when the rounded magnitude exceeds `max_magnitude`. Exponents
// of any size are accepted (1e-400 is 0, inexact; 1e400 overflows) without looping over them.
DecimalParseError ParseScaledDecimal(std::string_view text, uint8_t scale,
                                     unsigned __int128 max_magnitude, DecimalSyntax syntax,
                                     ScaledDecimal* out);

// Parses `text` as an exact decimal of any size into its canonical text, appended to `*out`
// (cleared first): "[-]digits[.digits]", no leading zeros ("0.5"), no sign on zero. With
// `scale` >= 0 exactly `scale` fraction digits, rounded half away from zero (*exact false when
// non-zero digits were dropped); with `scale` < 0 the value's own scale, its fraction digits
// once the exponent is applied, as PostgreSQL's numeric input counts them ("1.50" -> "1.50",
// "1.5e-3" -> "0.0015", "1e3" -> "1000"), at most kMaxNumericScale. kOverflow when more than
// `max_integer_digits` integer digits remain (checked before any digit is written, so 1e999999
// costs nothing). No allocation once `*out` has the capacity.
DecimalParseError ParseDecimalText(std::string_view text, int scale, int64_t max_integer_digits,
                                   DecimalSyntax syntax, std::string* out, bool* exact);

// 10^n for 0 <= n <= 38.
unsigned __int128 PowerOfTen(int n);

// The DECIMAL(width,scale) value of `text` (lenient syntax), as the integer value * 10^scale.
// Errors: kInvalidArgument for an impossible width/scale; kBadRecord "'x' is not a number" or
// "value x does not fit DECIMAL(p,s)".
Result<__int128> ParseDecimal(std::string_view text, uint8_t width, uint8_t scale);

// The canonical text of a scaled value: FormatDecimal(-5, 2) == "-0.05", FormatDecimal(7, 0) == "7".
std::string FormatDecimal(__int128 value, uint8_t scale);
// The same text appended to `out` (no allocation once `out` has the capacity).
void AppendDecimal(__int128 value, uint8_t scale, std::string* out);

}  // namespace ki
