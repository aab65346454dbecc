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
