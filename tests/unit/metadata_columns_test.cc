// decode/metadata_columns.h: one rule for the Kinesis metadata columns, whatever the payload
// format. Every case runs through --format json (JsonRecordDecoder) and --format raw (the raw
// path of PayloadDecoder) and expects the same verdict, message and cells.
#include "decode/metadata_columns.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "decode/payload_decoder.h"

namespace ki {
namespace {

ColumnSpec Column(std::string name, ColumnType type, std::string type_name) {
  ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.type_name = std::move(type_name);
  c.metadata = MetadataColumnFromName(c.name);
  return c;
}

ColumnSpec Decimal(std::string name, uint16_t width, uint16_t scale, std::string type_name) {
  ColumnSpec c = Column(std::move(name), ColumnType::kDecimal, std::move(type_name));
  c.decimal_width = width;
  c.decimal_scale = scale;
  return c;
}

TableSchema WithMetadata(const ColumnSpec& metadata) {
  TableSchema t;
  t.table = "t";
  t.columns = {Column("body", ColumnType::kVarchar, "VARCHAR"), metadata};
  return t;
}

Result<PayloadDecoder> Create(const TableSchema& t, PayloadFormat format) {
  PayloadOptions options;
  options.format = format;
  return PayloadDecoder::Create(t, DecoderOptions{}, options);
}

constexpr char kSequence[] = "49590338271490256608559692538361571095921575989136588898";

// The record's metadata cell (column 1) as text, or the bad record's message.
struct Cell {
  bool ok = false;
  bool null = false;
  int64_t i64 = 0;
  __int128 i128 = 0;
  std::string text;
  std::string message;
};

Cell DecodeOne(PayloadDecoder& decoder, PayloadFormat format, const ColumnSpec& spec,
               std::string_view partition_key = "pk") {
  PayloadRecord record;
  record.shard_id = "shardId-000000000007";
  record.sequence_number = kSequence;
  record.partition_key = partition_key;
  record.arrival_time_us = 1'700'000'000'123'000;
  const std::string json = R"({"body":"x"})";
  record.data = format == PayloadFormat::kRaw ? std::string_view("x") : std::string_view(json);
  RowBatch batch(2);
  Cell cell;
  auto outcome = decoder.Decode(record, -1, INT64_MAX, batch, [&](const BadUserRecord& bad) {
    cell.message = bad.error.message();
    return true;
  });
  EXPECT_TRUE(outcome.ok()) << outcome.status().message();
  if (batch.num_rows() != 1) return cell;
  cell.ok = true;
  cell.null = batch.IsNull(0, 1);
  if (cell.null) return cell;
  switch (spec.type) {
    case ColumnType::kVarchar: cell.text = std::string(batch.GetString(0, 1)); break;
    case ColumnType::kDecimal:
      if (IsTextDecimal(spec)) {
        cell.text = std::string(batch.GetString(0, 1));
      } else if (spec.decimal_width > 18) {
        cell.i128 = batch.Get(0, 1).i128;
      } else {
        cell.i64 = batch.Get(0, 1).i64;
      }
      break;
    case ColumnType::kHugeInt: cell.i128 = batch.Get(0, 1).i128; break;
    default: cell.i64 = batch.Get(0, 1).i64; break;
  }
  return cell;
}

struct Case {
  ColumnSpec column;
  bool accepted;
};

std::vector<Case> Cases() {
  ColumnSpec numeric = Column("shard_sequence_number", ColumnType::kDecimal, "numeric");
  numeric.decimal_unconstrained = true;
  ColumnSpec varchar129 = Column("shard_sequence_number", ColumnType::kVarchar, "varchar(129)");
  varchar129.max_length = 129;
  ColumnSpec varchar56 = Column("shard_sequence_number", ColumnType::kVarchar, "varchar(56)");
  varchar56.max_length = 56;
  return {
      {Column("shard_sequence_number", ColumnType::kVarchar, "VARCHAR"), true},
      {varchar129, true},
      {varchar56, false},  // holds today's 56 digits, not every sequence number
      {numeric, true},
      {Decimal("shard_sequence_number", 129, 0, "numeric(129,0)"), true},
      {Decimal("shard_sequence_number", 131, 2, "numeric(131,2)"), true},
      {Decimal("shard_sequence_number", 60, 0, "numeric(60,0)"), false},
      {Decimal("shard_sequence_number", 38, 0, "DECIMAL(38,0)"), false},  // was json-only
      {Column("shard_sequence_number", ColumnType::kHugeInt, "HUGEINT"), false},
      {Column("shard_sequence_number", ColumnType::kBigInt, "BIGINT"), false},
      {Column("kinesis_shard_id", ColumnType::kVarchar, "VARCHAR"), true},
      {Column("kinesis_shard_id", ColumnType::kBlob, "BLOB"), false},
      {Column("kinesis_partition_key", ColumnType::kVarchar, "TEXT"), true},
      {Column("kinesis_partition_key", ColumnType::kJson, "JSON"), false},
      {Column("kinesis_arrival_time", ColumnType::kTimestampTz, "TIMESTAMPTZ"), true},
      {Column("kinesis_arrival_time", ColumnType::kTimestamp, "TIMESTAMP"), true},
      {Column("kinesis_arrival_time", ColumnType::kDate, "DATE"), false},
      {Column("kinesis_arrival_time", ColumnType::kBigInt, "BIGINT"), false},
      {Column("kinesis_subsequence_number", ColumnType::kBigInt, "BIGINT"), true},
      {Column("kinesis_subsequence_number", ColumnType::kInteger, "INTEGER"), true},
      {Column("kinesis_subsequence_number", ColumnType::kSmallInt, "SMALLINT"), true},  // was json-only
      {Column("kinesis_subsequence_number", ColumnType::kUBigInt, "UBIGINT"), true},  // was json-only
      {Decimal("kinesis_subsequence_number", 10, 2, "DECIMAL(10,2)"), true},  // was json-only
      {Column("kinesis_subsequence_number", ColumnType::kVarchar, "VARCHAR"), false},
      {Column("kinesis_subsequence_number", ColumnType::kDouble, "DOUBLE"), false},
  };
}

TEST(MetadataColumnsTest, JsonAndRawAcceptTheSameTypes) {
  for (const Case& c : Cases()) {
    const TableSchema t = WithMetadata(c.column);
    auto json = Create(t, PayloadFormat::kJson);
    auto raw = Create(t, PayloadFormat::kRaw);
    const std::string what = c.column.name + " " + c.column.type_name;
    EXPECT_EQ(json.ok(), c.accepted) << what << ": " << json.status().message();
    EXPECT_EQ(raw.ok(), c.accepted) << what << ": " << raw.status().message();
    if (!json.ok() && !raw.ok()) {
      EXPECT_EQ(json.status().kind(), ErrorKind::kInvalidArgument);
      EXPECT_EQ(json.status().message(), raw.status().message());
      EXPECT_NE(json.status().message().find("metadata column '" + c.column.name + "' (" +
                                             c.column.type_name + ") cannot hold its metadata"),
                std::string::npos)
          << json.status().message();
    }
    if (c.column.metadata == MetadataColumn::kSequenceNumber) {
      EXPECT_EQ(SequenceNumberColumnIsWide(c.column), c.accepted) << what;
    }
  }
}

TEST(MetadataColumnsTest, JsonAndRawFillTheSameCells) {
  for (const Case& c : Cases()) {
    if (!c.accepted) continue;
    const TableSchema t = WithMetadata(c.column);
    auto json = Create(t, PayloadFormat::kJson);
    auto raw = Create(t, PayloadFormat::kRaw);
    ASSERT_TRUE(json.ok() && raw.ok()) << c.column.type_name;
    const Cell a = DecodeOne(*json, PayloadFormat::kJson, c.column);
    const Cell b = DecodeOne(*raw, PayloadFormat::kRaw, c.column);
    const std::string what = c.column.name + " " + c.column.type_name;
    ASSERT_TRUE(a.ok) << what << ": " << a.message;
    ASSERT_TRUE(b.ok) << what << ": " << b.message;
    EXPECT_EQ(a.null, b.null) << what;
    EXPECT_EQ(a.i64, b.i64) << what;
    EXPECT_TRUE(a.i128 == b.i128) << what;
    EXPECT_EQ(a.text, b.text) << what;
    if (c.column.metadata == MetadataColumn::kSequenceNumber) {
      const bool scaled = c.column.type == ColumnType::kDecimal && !c.column.decimal_unconstrained &&
                          c.column.decimal_scale > 0;
      EXPECT_EQ(a.text, scaled ? std::string(kSequence) + ".00" : std::string(kSequence)) << what;
    }
    if (c.column.metadata == MetadataColumn::kArrivalTime) {
      EXPECT_EQ(a.i64, 1'700'000'000'123'000);
    }
    if (c.column.metadata == MetadataColumn::kSubsequenceNumber) {
      EXPECT_TRUE(a.null) << what;  // a plain record
    }
  }
}

TEST(MetadataColumnsTest, SubsequenceNumbersAreRangeCheckedAlike) {
  // KPL aggregate entries get subsequence numbers 0..n-1, checked against the column type.
  MetadataColumns m;
  TableSchema t = WithMetadata(Decimal("kinesis_subsequence_number", 3, 2, "DECIMAL(3,2)"));
  ASSERT_TRUE(m.Init(t).ok());
  RowBatch batch(2);
  RecordMetadata meta;
  meta.subsequence_number = 7;
  size_t row = batch.AddRow();
  ASSERT_TRUE(m.Fill(meta, row, batch).ok());
  EXPECT_EQ(batch.Get(row, 1).i64, 700);
  meta.subsequence_number = 10;
  Status s = m.Fill(meta, row, batch);
  EXPECT_EQ(s.kind(), ErrorKind::kBadRecord);
  EXPECT_EQ(s.message(),
            "column 'kinesis_subsequence_number' (DECIMAL(3,2)): value 10 does not fit DECIMAL(3,2)");

  t = WithMetadata(Column("kinesis_subsequence_number", ColumnType::kTinyInt, "TINYINT"));
  ASSERT_TRUE(m.Init(t).ok());
  meta.subsequence_number = 128;
  s = m.Fill(meta, row, batch);
  EXPECT_EQ(s.message(), "column 'kinesis_subsequence_number' (TINYINT): value 128 is out of range");
}

TEST(MetadataColumnsTest, NotNullAndTooLongAreBadRecordsInBothFormats) {
  ColumnSpec key = Column("kinesis_partition_key", ColumnType::kVarchar, "varchar(3)");
  key.max_length = 3;
  ColumnSpec subsequence = Column("kinesis_subsequence_number", ColumnType::kBigInt, "BIGINT");
  subsequence.not_null = true;
  for (const ColumnSpec& spec : {key, subsequence}) {
    const TableSchema t = WithMetadata(spec);
    auto json = Create(t, PayloadFormat::kJson);
    auto raw = Create(t, PayloadFormat::kRaw);
    ASSERT_TRUE(json.ok() && raw.ok());
    const Cell a = DecodeOne(*json, PayloadFormat::kJson, spec, "four");
    const Cell b = DecodeOne(*raw, PayloadFormat::kRaw, spec, "four");
    EXPECT_FALSE(a.ok);
    EXPECT_FALSE(b.ok);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.message, spec.not_null ? "column 'kinesis_subsequence_number' (BIGINT): NULL "
                                         "metadata for a NOT NULL column"
                                       : "column 'kinesis_partition_key' (varchar(3)): value of "
                                         "4 characters is too long");
  }
}

}  // namespace
}  // namespace ki
