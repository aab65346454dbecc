// Tests for small shared utilities: base64, sequence-number comparison, ISO-8601 times.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/utf8.h"
#include "common/sequence_number.h"
#include "common/time_format.h"

namespace ki {
namespace {

// --- Base64 --------------------------------------------------------------------------------------

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\x00\xff\xfe", 3)), "AP/+");
}

TEST(Base64Test, RoundTripRandomBytesOfEveryLength) {
  std::mt19937 rng(12345);
  for (size_t len = 0; len <= 40; ++len) {
    for (int rep = 0; rep < 5; ++rep) {
      std::string bytes(len, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
      std::string encoded = Base64Encode(bytes);
      EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4);
      std::string decoded;
      ASSERT_TRUE(Base64Decode(encoded, decoded)) << "length " << len << " " << encoded;
      EXPECT_EQ(decoded, bytes) << "length " << len;
      // Unpadded input is accepted too.
      std::string unpadded = encoded.substr(0, encoded.find('='));
      std::string decoded2;
      ASSERT_TRUE(Base64Decode(unpadded, decoded2)) << unpadded;
      EXPECT_EQ(decoded2, bytes);
    }
  }
}

TEST(Base64Test, EncodeAndDecodeAppend) {
  std::string out = "prefix:";
  Base64Encode("foo", out);
  EXPECT_EQ(out, "prefix:Zm9v");
  std::string dec = "xy";
  ASSERT_TRUE(Base64Decode("Zm9vYmE=", dec));
  EXPECT_EQ(dec, "xyfooba");
}

TEST(Base64Test, DecodeRejectsBadLengthAndCharacters) {
  std::string out = "keep";
  EXPECT_FALSE(Base64Decode("a", out));
  EXPECT_FALSE(Base64Decode("ab$=", out));
  EXPECT_FALSE(Base64Decode("Zm9v!mFy", out));
  EXPECT_FALSE(Base64Decode("Zm9vY", out));  // 5 characters: one too many
  EXPECT_FALSE(Base64Decode("Zm9v YmFy", out));
  EXPECT_FALSE(Base64Decode("Zg==Zg==", out));  // padding in the middle
  // A failed decode leaves what was there before.
  EXPECT_EQ(out, "keep");
}

// --- UTF-8 --------------------------------------------------------------------------------------

// Short ASCII takes a fast path; anything else, and text over 64 bytes, simdjson's validator: the
// answer must not depend on which one ran, at any length or position.
TEST(Utf8Test, ValidAndInvalidAtEveryLengthAndPosition) {
  const std::vector<std::string> valid_multibyte = {"\xc3\xa9", "\xe2\x98\x83", "\xf0\x9f\x98\x80"};
  const std::vector<std::string> invalid = {"\xff", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3"};
  for (size_t len = 0; len <= 80; ++len) {
    const std::string ascii(len, 'a');
    EXPECT_TRUE(IsValidUtf8(ascii)) << len;
    for (size_t pos = 0; pos <= len; pos += (len > 20 ? 7 : 1)) {
      for (const auto& m : valid_multibyte)
        EXPECT_TRUE(IsValidUtf8(ascii.substr(0, pos) + m + ascii.substr(pos))) << len << " " << pos;
      for (const auto& bad : invalid)
        EXPECT_FALSE(IsValidUtf8(ascii.substr(0, pos) + bad + ascii.substr(pos))) << len << " " << pos;
    }
  }
}

// --- Sequence numbers ----------------------------------------------------------------------------

TEST(SequenceNumberTest, ShorterNumberIsSmaller) {
  EXPECT_LT(CompareSequenceNumbers("9", "10"), 0);
  EXPECT_GT(CompareSequenceNumbers("10", "9"), 0);
  EXPECT_LT(CompareSequenceNumbers("99999", "100000"), 0);
  EXPECT_LT(CompareSequenceNumbers("123", "124"), 0);
  EXPECT_EQ(CompareSequenceNumbers("123", "123"), 0);
}

TEST(SequenceNumberTest, LeadingZerosAreIgnored) {
  EXPECT_EQ(CompareSequenceNumbers("007", "7"), 0);
  EXPECT_EQ(CompareSequenceNumbers("0", "000"), 0);
  EXPECT_LT(CompareSequenceNumbers("0009", "10"), 0);
  EXPECT_GT(CompareSequenceNumbers("0011", "10"), 0);
}

TEST(SequenceNumberTest, RealisticAndMaximalLengths) {
  // Real Kinesis sequence numbers are 56 digits, the API allows up to 129.
  const std::string a = "49590338271490256608559692538361571095921575989136588898";
  const std::string b = "49590338271490256608559692540925702759324208523137515618";
  EXPECT_LT(CompareSequenceNumbers(a, b), 0);
  EXPECT_GT(CompareSequenceNumbers(b, a), 0);

  std::string big(129, '9');
  std::string big_minus_one = big;
  big_minus_one.back() = '8';
  EXPECT_GT(CompareSequenceNumbers(big, big_minus_one), 0);
  EXPECT_LT(CompareSequenceNumbers(big_minus_one, big), 0);
  EXPECT_EQ(CompareSequenceNumbers(big, big), 0);
  std::string one_then_zeros = "1" + std::string(128, '0');  // 129 digits
  EXPECT_GT(CompareSequenceNumbers(one_then_zeros, std::string(128, '9')), 0);
  EXPECT_TRUE(IsValidSequenceNumber(big));
}

TEST(SequenceNumberTest, Validity) {
  EXPECT_TRUE(IsValidSequenceNumber("0"));
  EXPECT_TRUE(IsValidSequenceNumber("49590338271490256608559692538361571095921575989136588898"));
  EXPECT_FALSE(IsValidSequenceNumber(""));
  EXPECT_FALSE(IsValidSequenceNumber("12a"));
  EXPECT_FALSE(IsValidSequenceNumber("-1"));
  EXPECT_FALSE(IsValidSequenceNumber(" 1"));
  EXPECT_FALSE(IsValidSequenceNumber(std::string(130, '1')));
}

// --- ISO-8601 ------------------------------------------------------------------------------------

constexpr int64_t kUsPerSec = 1000000;

int64_t ParseOk(const std::string& text) {
  auto r = ParseIso8601Micros(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : INT64_MIN;
}

TEST(TimeFormatTest, Epoch) {
  EXPECT_EQ(ParseOk("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseOk("1970-01-01"), 0);
}

TEST(TimeFormatTest, LeapDay) {
  // 2024-02-29T00:00:00Z = 1709164800 s.
  EXPECT_EQ(ParseOk("2024-02-29T00:00:00Z"), 1709164800 * kUsPerSec);
  EXPECT_EQ(ParseOk("2024-02-29"), 1709164800 * kUsPerSec);
  EXPECT_EQ(ParseOk("2000-02-29"), 951782400 * kUsPerSec);  // divisible by 400: leap
}

TEST(TimeFormatTest, RejectsDatesThatDoNotExist) {
  for (const char* text : {"2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10",
                           "2024-01-00", "2024-01-32"}) {
    auto r = ParseIso8601Micros(text);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().message();
    }
  }
}

TEST(TimeFormatTest, RejectsMalformedText) {
  for (const char* text : {"", "2024", "2024-1-01", "2024-01-01T", "2024-01-01T10",
                           "2024-01-01T25:00:00Z", "2024-01-01T10:60:00Z", "2024-01-01T10:00:00.Z",
                           "2024-01-01T10:00:00Zx", "2024-01-01T10:00:00+2", "2024-01-01X10:00",
                           "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:60Z",
                           "2024-01-01T10:00:00.1234567890Z"}) {
    EXPECT_FALSE(ParseIso8601Micros(text).ok()) << text;
  }
}

TEST(TimeFormatTest, OffsetsShiftToUtc) {
  const int64_t utc = ParseOk("2024-05-01T12:00:00Z");
  EXPECT_EQ(utc, 1714564800 * kUsPerSec);
  // 12:00 at +02:00 is 10:00 UTC.
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00+02:00"), utc - 2 * 3600 * kUsPerSec);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00+0200"), utc - 2 * 3600 * kUsPerSec);
  // 12:00 at -05:30 is 17:30 UTC.
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00-0530"), utc + (5 * 3600 + 30 * 60) * kUsPerSec);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00-05:30"), utc + (5 * 3600 + 30 * 60) * kUsPerSec);
  // An offset can move the instant across midnight.
  EXPECT_EQ(ParseOk("2024-05-01T01:00:00+02:00"), ParseOk("2024-04-30T23:00:00Z"));
}

TEST(TimeFormatTest, FractionalSeconds) {
  const int64_t base = ParseOk("2024-05-01T12:00:00Z");
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.5Z"), base + 500000);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.123Z"), base + 123000);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.123456Z"), base + 123456);
  // Beyond µs: rounded half away from zero, as for a TIMESTAMP column (civil_time.h).
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.1234569Z"), base + 123457);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.1234564Z"), base + 123456);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00,25Z"), base + 250000);
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00.5+01:00"), base - 3600 * kUsPerSec + 500000);
  // Before the epoch the fraction still counts forward from the second.
  EXPECT_EQ(ParseOk("1969-12-31T23:59:59.5Z"), -500000);
}

TEST(TimeFormatTest, NaiveTimeIsUtc) {
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00"), ParseOk("2024-05-01T12:00:00Z"));
  EXPECT_EQ(ParseOk("2024-05-01 12:00:00"), ParseOk("2024-05-01T12:00:00Z"));
  EXPECT_EQ(ParseOk("2024-05-01T12:00"), ParseOk("2024-05-01T12:00:00Z"));
  EXPECT_EQ(ParseOk("2024-05-01T12:00:00+00:00"), ParseOk("2024-05-01T12:00:00Z"));
}

TEST(TimeFormatTest, FormatMillis) {
  EXPECT_EQ(FormatIso8601Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(1709209496789), "2024-02-29T12:24:56.789Z");
  EXPECT_EQ(FormatIso8601Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Millis(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(FormatIso8601Millis(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(-86400001), "1969-12-30T23:59:59.999Z");
}

TEST(TimeFormatTest, FormatThenParseRoundTrips) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{999}, int64_t{-999},
                     int64_t{1709164800000}, int64_t{1714564800123}, int64_t{-2208988800000},
                     int64_t{253402300799999}}) {
    std::string text = FormatIso8601Millis(ms);
    EXPECT_EQ(ParseOk(text), ms * 1000) << text;
  }
}

}  // namespace
}  // namespace ki
