// common/civil_time.h, and the promise that --start-position at_timestamp:... (ParseIso8601Micros,
// what src/cli/cli_common.cc ParseStartPosition calls) and a TIMESTAMP column through the JSON
// decoder accept and reject exactly the same text, with the same value.
#include "common/civil_time.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/time_format.h"
#include "decode/json_decoder.h"

namespace ki {
namespace {

const std::vector<std::string>& TimestampTexts() {
  // (Epoch numbers are not in the list: a TIMESTAMP column also takes those, in its epoch unit,
  // and the start position does not.)
  static const std::vector<std::string> texts = {
      // valid
      "1970-01-01", "1970-01-01T00:00:00Z", "2024-02-29T12:24:56.789Z", "2024-05-01 12:00",
      "2024-05-01t12:00:00z", "2024-05-01T12:00:00,25", "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.5Z",
      // leap second / out-of-range fields
      "2024-01-01T10:00:60Z", "2016-12-31T23:59:60Z", "2024-01-01T24:00:00Z",
      "2024-01-01T10:60:00Z", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32",
      // long fractions that round (also into the next second, day and year)
      "2024-05-01T12:00:00.1234565Z", "2024-05-01T12:00:00.1234564Z",
      "2024-05-01T12:00:00.9999995Z", "2024-12-31T23:59:59.999999999Z",
      "2024-05-01T12:00:00.123456789", "2024-05-01T12:00:00.1234567890Z",
      // years outside 0000..9999 UTC, also only after rounding or the offset
      "9999-12-31T23:59:59.9999995Z", "9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00+00:01",
      "0000-01-01T00:30:00+01:00",
      // offsets
      "2024-05-01T12:00:00+02:00", "2024-05-01T12:00:00+0200", "2024-05-01T12:00:00-05:30",
      "2024-05-01T12:00:00+02", "2024-05-01T12:00:00-0530", "2024-05-01T01:00:00+02:00",
      "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+02:60", "2024-05-01T12:00:00+2",
      "2024-05-01T12:00:00+02:0", "2024-05-01T12:00+02:00",
      // garbage
      "", "2024-01", "2024-1-01", "2024-01-01T", "2024-01-01T10", "2024-01-01T10:00:00.Z",
      "2024-01-01T10:00:00Zx", "2024-01-01X10:00", " 2024-01-01", "2024-01-01 ",
      "2024-01-01T10:00:00ZZ", "２０２４-01-01", "now", "2024-01-01T1:00:00"};
  return texts;
}

TEST(CivilTimeTest, StartPositionAndTimestampColumnAcceptTheSameText) {
  TableSchema schema;
  schema.table = "t";
  ColumnSpec ts;
  ts.name = "ts";
  ts.type = ColumnType::kTimestamp;
  schema.columns = {ts};
  auto decoder = JsonRecordDecoder::Create(schema);
  ASSERT_TRUE(decoder.ok()) << decoder.status().message();
  RowBatch batch;
  batch.Reset(1);
  int accepted = 0, rejected = 0;
  for (const std::string& text : TimestampTexts()) {
    const Result<int64_t> cli = ParseIso8601Micros(text);
    const std::string payload = "{\"ts\":\"" + text + "\"}";
    const Status column = decoder->Decode(payload, RecordMetadata{}, batch);
    ASSERT_EQ(cli.ok(), column.ok())
        << "'" << text << "': start position "
        << (cli.ok() ? "accepts" : "rejects (" + cli.status().message() + ")")
        << ", TIMESTAMP column " << (column.ok() ? "accepts" : "rejects (" + column.message() + ")");
    if (cli.ok()) {
      EXPECT_EQ(*cli, batch.Get(batch.num_rows() - 1, 0).i64) << text;
      int64_t canonical;
      ASSERT_TRUE(ParseTimestampText(text, &canonical)) << text;
      EXPECT_EQ(canonical, *cli) << text;
      ++accepted;
    } else {
      EXPECT_EQ(cli.status().kind(), ErrorKind::kInvalidArgument) << text;
      EXPECT_NE(cli.status().message().find("'" + text + "'"), std::string::npos)
          << cli.status().message();
      EXPECT_EQ(column.kind(), ErrorKind::kBadRecord) << text;
      ++rejected;
    }
  }
  // The list exercises both sides.
  EXPECT_GE(accepted, 20);
  EXPECT_GE(rejected, 25);
}

TEST(CivilTimeTest, RoundingAndLeapSecondRules) {
  int64_t v = 0;
  ASSERT_TRUE(ParseTimestampText("2024-12-31T23:59:59.9999995Z", &v));
  EXPECT_EQ(v, ParseIso8601Micros("2025-01-01T00:00:00Z").value());
  EXPECT_FALSE(ParseTimestampText("2016-12-31T23:59:60Z", &v));
  bool out_of_range = false;
  EXPECT_FALSE(ParseTimestampText("9999-12-31T23:59:59.9999995Z", &v, &out_of_range));
  EXPECT_TRUE(out_of_range);
  auto r = ParseIso8601Micros("9999-12-31T23:59:59-01:00");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("outside years 0000..9999"), std::string::npos)
      << r.status().message();
}

TEST(CivilTimeTest, DaysRoundTrip) {
  for (int64_t days : {int64_t{-719528}, int64_t{-1}, int64_t{0}, int64_t{59}, int64_t{60},
                       int64_t{19782}, int64_t{2932896}}) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
    std::string text;
    AppendDateText(days, &text);
    int64_t parsed;
    ASSERT_TRUE(ParseDateText(text, &parsed)) << text;
    EXPECT_EQ(parsed, days) << text;
  }
  std::string text;
  AppendTimestampText(-500000, true, &text);
  EXPECT_EQ(text, "1969-12-31T23:59:59.500000Z");
  text.clear();
  AppendTimeOfDayText(kMicrosPerDay, &text);
  EXPECT_EQ(text, "24:00:00");
}

}  // namespace
}  // namespace ki
