#include "decode/decimal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ki {
namespace {

struct DecimalCase {
  std::string text;
  uint8_t width;
  uint8_t scale;
  std::string expected;  // FormatDecimal of the result, or "" when a bad record is expected
};

const std::string k38Nines(38, '9');

std::vector<DecimalCase> Cases() {
  return {
      {"0", 18, 0, "0"},
      {"-0", 18, 0, "0"},
      {"-0.000", 18, 2, "0.00"},
      {"17", 18, 0, "17"},
      {"-17", 18, 0, "-17"},
      {"12345678901234567890123456789012345678", 38, 0, "12345678901234567890123456789012345678"},
      {"-12345678901234567890123456789012345678", 38, 0, "-12345678901234567890123456789012345678"},
      {k38Nines, 38, 0, k38Nines},
      {"-" + k38Nines, 38, 0, "-" + k38Nines},
      {"1" + std::string(38, '0'), 38, 0, ""},  // 39 digits: overflow by one digit
      {k38Nines + ".4", 38, 0, k38Nines},
      {k38Nines + ".5", 38, 0, ""},  // rounds up to 39 digits
      {"0.99999999999999999999999999999999999999", 38, 38, "0.99999999999999999999999999999999999999"},
      {"1", 38, 38, ""},
      {"1234567890123456789012345678.1234567891", 38, 10, "1234567890123456789012345678.1234567891"},
      {"999999999999999999", 18, 0, "999999999999999999"},
      {"1000000000000000000", 18, 0, ""},
      // Rounding half away from zero, decided on the exact text (1.45 is 1.4499999... as a double).
      {"0.5", 18, 0, "1"},
      {"-0.5", 18, 0, "-1"},
      {"0.49", 18, 0, "0"},
      {"-0.49", 18, 0, "0"},
      {"2.5", 18, 0, "3"},
      {"0.05", 18, 1, "0.1"},
      {"-0.05", 18, 1, "-0.1"},
      {"1.45", 18, 1, "1.5"},
      {"-1.45", 18, 1, "-1.5"},
      {"1.44999999999999999999999", 18, 1, "1.4"},
      {"1.450000000000000000000000001", 18, 1, "1.5"},
      {"12.345", 10, 2, "12.35"},
      {"999.994", 5, 2, "999.99"},
      {"999.995", 5, 2, ""},  // rounds to 1000.00
      {"1000", 5, 2, ""},
      {"-999.99", 5, 2, "-999.99"},
      // Exponents.
      {"1e2", 18, 0, "100"},
      {"1E+2", 18, 0, "100"},
      {"1.5e-1", 18, 2, "0.15"},
      {"123e-2", 18, 2, "1.23"},
      {"5e-1", 18, 0, "1"},
      {"4e-1", 18, 0, "0"},
      {"1e-400", 18, 0, "0"},
      {"-1e-400", 18, 0, "0"},
      {"1e400", 18, 0, ""},
      {"1e999999999999999999999", 38, 0, ""},
      {"0e999999999999999999999", 38, 0, "0"},
      {"1e37", 38, 0, "10000000000000000000000000000000000000"},
      {"1e38", 38, 0, ""},
      {"0.000123e3", 18, 3, "0.123"},
      {"12300e-2", 18, 0, "123"},
      // Lenient spellings.
      {"+5", 18, 0, "5"},
      {".5", 18, 1, "0.5"},
      {"5.", 18, 1, "5.0"},
      {"007", 18, 0, "7"},
      {"-.5", 18, 0, "-1"},
      // Garbage.
      {"", 18, 0, ""},
      {"-", 18, 0, ""},
      {"+", 18, 0, ""},
      {".", 18, 0, ""},
      {"abc", 18, 0, ""},
      {"1x", 18, 0, ""},
      {"1e", 18, 0, ""},
      {"1e+", 18, 0, ""},
      {"e5", 18, 0, ""},
      {"inf", 18, 0, ""},
      {"-inf", 18, 0, ""},
      {"nan", 18, 0, ""},
      {"Infinity", 18, 0, ""},
      {" 1", 18, 0, ""},
      {"1 ", 18, 0, ""},
      {"--1", 18, 0, ""},
      {"+-1", 18, 0, ""},
      {"1..2", 18, 0, ""},
      {"1.2.3", 18, 0, ""},
      {"0x10", 18, 0, ""},
      {"1,5", 18, 0, ""},
  };
}

TEST(DecimalTest, ParseTable) {
  for (const DecimalCase& c : Cases()) {
    SCOPED_TRACE("text='" + c.text + "' DECIMAL(" + std::to_string(c.width) + "," +
                 std::to_string(c.scale) + ")");
    Result<__int128> r = ParseDecimal(c.text, c.width, c.scale);
    if (c.expected.empty()) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().kind(), ErrorKind::kBadRecord);
    } else {
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(FormatDecimal(*r, c.scale), c.expected);
    }
  }
}

TEST(DecimalTest, ErrorMessages) {
  Result<__int128> overflow = ParseDecimal("1000", 5, 2);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(), "value 1000 does not fit DECIMAL(5,2)");
  Result<__int128> garbage = ParseDecimal("12a", 5, 2);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().message(), "'12a' is not a number");
}

TEST(DecimalTest, RejectsImpossibleWidthAndScale) {
  EXPECT_EQ(ParseDecimal("1", 0, 0).status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseDecimal("1", 39, 0).status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(ParseDecimal("1", 5, 6).status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(ParseDecimal("1", 38, 38).status().kind() == ErrorKind::kBadRecord);
}

TEST(DecimalTest, JsonSyntaxIsStrict) {
  const unsigned __int128 kMax = ~static_cast<unsigned __int128>(0);
  ScaledDecimal d;
  for (const char* ok : {"0", "-0", "0.0", "1e5", "-1.5E-3", "10", "0e0"}) {
    EXPECT_EQ(ParseScaledDecimal(ok, 0, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk)
        << ok;
  }
  for (const char* bad : {"+1", ".5", "5.", "01", "-01", "00", "-", "1e", "1.e5", "- 1", ""}) {
    EXPECT_EQ(ParseScaledDecimal(bad, 0, kMax, DecimalSyntax::kJson, &d),
              DecimalParseError::kSyntax)
        << bad;
  }
}

TEST(DecimalTest, ReportsExactness) {
  const unsigned __int128 kMax = ~static_cast<unsigned __int128>(0);
  ScaledDecimal d;
  ASSERT_EQ(ParseScaledDecimal("1.0", 0, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk);
  EXPECT_TRUE(d.exact);
  ASSERT_EQ(ParseScaledDecimal("1.5", 0, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk);
  EXPECT_FALSE(d.exact);
  EXPECT_EQ(static_cast<uint64_t>(d.magnitude), 2u);
  ASSERT_EQ(ParseScaledDecimal("1.50", 1, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk);
  EXPECT_TRUE(d.exact);
  EXPECT_EQ(static_cast<uint64_t>(d.magnitude), 15u);
  ASSERT_EQ(ParseScaledDecimal("1e-9", 0, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk);
  EXPECT_FALSE(d.exact);
  EXPECT_EQ(static_cast<uint64_t>(d.magnitude), 0u);
  ASSERT_EQ(ParseScaledDecimal("-1.2e1", 0, kMax, DecimalSyntax::kJson, &d), DecimalParseError::kOk);
  EXPECT_TRUE(d.exact);
  EXPECT_TRUE(d.negative);
  EXPECT_EQ(static_cast<uint64_t>(d.magnitude), 12u);
}

TEST(DecimalTest, FullUnsigned128BitRange) {
  const unsigned __int128 kMax = ~static_cast<unsigned __int128>(0);
  ScaledDecimal d;
  // 2^128 - 1 = 340282366920938463463374607431768211455
  ASSERT_EQ(ParseScaledDecimal("340282366920938463463374607431768211455", 0, kMax,
                               DecimalSyntax::kJson, &d),
            DecimalParseError::kOk);
  EXPECT_EQ(d.magnitude, kMax);
  EXPECT_EQ(ParseScaledDecimal("340282366920938463463374607431768211456", 0, kMax,
                               DecimalSyntax::kJson, &d),
            DecimalParseError::kOverflow);
  EXPECT_EQ(ParseScaledDecimal("340282366920938463463374607431768211455.5", 0, kMax,
                               DecimalSyntax::kJson, &d),
            DecimalParseError::kOverflow);
}

// Issue 8 case 4: decimals wider than 128 bits (PostgreSQL numeric(p > 38), unconstrained
// numeric) as exact canonical text.
TEST(DecimalTextTest, FixedScaleRoundsHalfAwayFromZeroAndChecksTheIntegerDigits) {
  struct Case {
    std::string text;
    int scale;
    int64_t max_integer_digits;
    std::string expected;  // "" for kOverflow
    bool exact = true;
  };
  const std::string digits56 = "49590338271490256608559692538361571095921575989136588898";
  for (const Case& c : std::vector<Case>{
           {digits56, 0, 60, digits56},
           {"-" + digits56, 0, 60, "-" + digits56},
           {digits56, 0, 55, ""},
           {"1.5", 10, 40, "1.5000000000"},
           {"0.12345678901234567890123456789012345678901234567", 40, 10,
            "0.1234567890123456789012345678901234567890", false},
           {"0.12345678901234567890123456789012345678951", 40, 10,
            "0.1234567890123456789012345678901234567895", false},
           {"1.005", 2, 3, "1.01", false},
           {"-1.005", 2, 3, "-1.01", false},
           {"999.995", 2, 3, ""},
           {"999.994", 2, 3, "999.99", false},
           {"9.995", 2, 2, "10.00", false},
           {"0.005", 2, 1, "0.01", false},
           {"-0.001", 2, 1, "0.00", false},
           {"-0", 0, 1, "0"},
           {"0e5", 3, 1, "0.000"},
           {"1e2", 0, 3, "100"},
           {"1e3", 0, 3, ""},
           {"12e-1", 1, 1, "1.2"},
           {"1e-400", 5, 1, "0.00000", false},
           {"1e999999999999999999999", 0, 1000, ""},
       }) {
    std::string out = "junk";
    bool exact = false;
    const DecimalParseError error =
        ParseDecimalText(c.text, c.scale, c.max_integer_digits, DecimalSyntax::kJson, &out, &exact);
    if (c.expected.empty()) {
      EXPECT_EQ(error, DecimalParseError::kOverflow) << c.text << " -> " << out;
      continue;
    }
    ASSERT_EQ(error, DecimalParseError::kOk) << c.text;
    EXPECT_EQ(out, c.expected) << c.text;
    EXPECT_EQ(exact, c.exact) << c.text;
  }
}

TEST(DecimalTextTest, OwnScaleKeepsTheDigitsAsWritten) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{{"1.5", "1.5"},
                                         {"123.4560", "123.4560"},
                                         {"-0.0", "0.0"},
                                         {"0.0015", "0.0015"},
                                         {"1.5e-3", "0.0015"},
                                         {"1.50e1", "15.0"},
                                         {"1e3", "1000"},
                                         {"7", "7"},
                                         {"-12.000", "-12.000"},
                                         {"00012.5", "12.5"}}) {
    std::string out;
    bool exact = false;
    ASSERT_EQ(ParseDecimalText(c.text, -1, kMaxNumericIntegerDigits, DecimalSyntax::kLenient, &out,
                               &exact),
              DecimalParseError::kOk)
        << c.text;
    EXPECT_EQ(out, c.expected) << c.text;
    EXPECT_TRUE(exact);
  }
  std::string out;
  bool exact = true;
  // PostgreSQL's limits: 131072 digits before the point, 16383 after.
  EXPECT_EQ(ParseDecimalText("1e131071", -1, kMaxNumericIntegerDigits, DecimalSyntax::kJson, &out,
                             &exact),
            DecimalParseError::kOk);
  EXPECT_EQ(out.size(), 131072u);
  EXPECT_EQ(ParseDecimalText("1e131072", -1, kMaxNumericIntegerDigits, DecimalSyntax::kJson, &out,
                             &exact),
            DecimalParseError::kOverflow);
  EXPECT_EQ(ParseDecimalText("1e-16383", -1, kMaxNumericIntegerDigits, DecimalSyntax::kJson, &out,
                             &exact),
            DecimalParseError::kOk);
  EXPECT_EQ(ParseDecimalText("1e-16384", -1, kMaxNumericIntegerDigits, DecimalSyntax::kJson, &out,
                             &exact),
            DecimalParseError::kOverflow);
  for (const char* bad : {"", "-", "1.", ".5", "01", "1e", "+1", "nan", "1 "}) {
    EXPECT_EQ(ParseDecimalText(bad, -1, 10, DecimalSyntax::kJson, &out, &exact),
              DecimalParseError::kSyntax)
        << bad;
  }
  EXPECT_EQ(ParseDecimalText("+.5", -1, 10, DecimalSyntax::kLenient, &out, &exact),
            DecimalParseError::kOk);
  EXPECT_EQ(out, "0.5");
}

TEST(DecimalTest, Format) {
  EXPECT_EQ(FormatDecimal(0, 0), "0");
  EXPECT_EQ(FormatDecimal(0, 2), "0.00");
  EXPECT_EQ(FormatDecimal(-5, 2), "-0.05");
  EXPECT_EQ(FormatDecimal(12345, 2), "123.45");
  EXPECT_EQ(FormatDecimal(7, 0), "7");
  const auto kMin = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  const __int128 kMax = ~kMin;
  EXPECT_EQ(FormatDecimal(kMin, 0), "-170141183460469231731687303715884105728");
  EXPECT_EQ(FormatDecimal(kMax, 38),
            "1.70141183460469231731687303715884105727");
}

}  // namespace
}  // namespace ki
