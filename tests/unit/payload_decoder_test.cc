#include "decode/payload_decoder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kinesis/kpl_aggregation.h"

namespace ki {
namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

std::string ReadKplVector(const std::string& name) {
  const auto path =
      std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "kpl" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string GzipCompress(std::string_view data) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A KPL aggregate of (partition key, data) pairs, built by hand: magic + protobuf + MD5.
std::string Aggregate(const std::vector<std::pair<std::string, std::string>>& entries) {
  auto varint = [](uint64_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    out.push_back(static_cast<char>(v));
    return out;
  };
  auto bytes = [&](int field, std::string_view value) {
    return varint((field << 3) | 2) + varint(value.size()) + std::string(value);
  };
  std::string proto;
  std::vector<std::string> keys;
  std::string records;
  for (const auto& [key, data] : entries) {
    size_t index = 0;
    while (index < keys.size() && keys[index] != key) ++index;
    if (index == keys.size()) {
      keys.push_back(key);
      proto += bytes(1, key);
    }
    records += bytes(3, varint(1 << 3) + varint(index) + bytes(3, data));
  }
  proto += records;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(proto.data(), proto.size(), md, &n, EVP_md5(), nullptr);
  return std::string(kKplMagic) + proto + std::string(reinterpret_cast<char*>(md), n);
}

ColumnSpec Column(std::string name, ColumnType type, std::string type_name) {
  ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.type_name = std::move(type_name);
  c.metadata = MetadataColumnFromName(c.name);
  return c;
}

// The seed table plus the partition key and subsequence number metadata columns.
TableSchema SensorTable() {
  ColumnSpec id = Column("sensorId", ColumnType::kDecimal, "DECIMAL(18,0)");
  id.decimal_width = 18;
  TableSchema t;
  t.table = "sensors";
  t.columns = {id,
               Column("status", ColumnType::kVarchar, "VARCHAR"),
               Column("kinesis_shard_id", ColumnType::kVarchar, "VARCHAR"),
               Column("shard_sequence_number", ColumnType::kVarchar, "VARCHAR"),
               Column("kinesis_partition_key", ColumnType::kVarchar, "VARCHAR"),
               Column("kinesis_subsequence_number", ColumnType::kBigInt, "BIGINT")};
  return t;
}
enum SensorColumn { kSensorId, kStatus, kShard, kSequence, kPartitionKey, kSubsequence };

TableSchema RawTable(ColumnType data_type, const std::string& type_name) {
  TableSchema t;
  t.table = "raw";
  t.columns = {Column("kinesis_shard_id", ColumnType::kVarchar, "VARCHAR"),
               Column("body", data_type, type_name),
               Column("kinesis_arrival_time", ColumnType::kTimestampTz, "TIMESTAMPTZ"),
               Column("kinesis_partition_key", ColumnType::kVarchar, "VARCHAR"),
               Column("kinesis_subsequence_number", ColumnType::kInteger, "INTEGER"),
               Column("shard_sequence_number", ColumnType::kVarchar, "VARCHAR")};
  return t;
}

struct Reported {
  int64_t subsequence_number;
  std::string partition_key;
  std::string payload;
  std::string message;
};

class PayloadDecoderTest : public ::testing::Test {
 protected:
  void Use(const TableSchema& schema, PayloadOptions options = {}) {
    auto decoder = PayloadDecoder::Create(schema, DecoderOptions{}, options);
    ASSERT_TRUE(decoder.ok()) << decoder.status().message();
    decoder_.emplace(std::move(decoder).value());
    batch_.Reset(schema.columns.size());
  }

  DecodeOutcome Decode(std::string_view data, int64_t resume_after = -1,
                       int64_t max_user_records = kNoLimit, bool continue_on_bad = true) {
    PayloadRecord record;
    record.shard_id = "shardId-000000000007";
    record.sequence_number = "49590338271490256608559692538361571095921575989136588898";
    record.partition_key = "outer-key";
    record.arrival_time_us = 1'700'000'000'123'000;
    record.data = data;
    auto outcome = decoder_->Decode(record, resume_after, max_user_records, batch_,
                                    [&](const BadUserRecord& bad) {
                                      EXPECT_EQ(bad.error.kind(), ErrorKind::kBadRecord);
                                      bad_.push_back({bad.subsequence_number,
                                                      std::string(bad.partition_key),
                                                      std::string(bad.payload),
                                                      bad.error.message()});
                                      return continue_on_bad;
                                    });
    EXPECT_TRUE(outcome.ok()) << outcome.status().message();
    return outcome.ok() ? *outcome : DecodeOutcome{};
  }

  int64_t I64(size_t row, size_t col) const { return batch_.Get(row, col).i64; }
  std::string Str(size_t row, size_t col) const { return std::string(batch_.GetString(row, col)); }

  std::optional<PayloadDecoder> decoder_;
  RowBatch batch_;
  std::vector<Reported> bad_;
};

// ---- One JSON object per user record -----------------------------------------------------------

TEST_F(PayloadDecoderTest, PlainJson) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(R"({"sensorId": 17, "status": "ok"})");
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.rows, 1);
  EXPECT_EQ(o.bad, 0);
  EXPECT_EQ(o.last_subsequence_number, -1);
  EXPECT_FALSE(o.stopped);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(I64(0, kSensorId), 17);
  EXPECT_EQ(Str(0, kStatus), "ok");
  EXPECT_EQ(Str(0, kShard), "shardId-000000000007");
  EXPECT_EQ(Str(0, kSequence), "49590338271490256608559692538361571095921575989136588898");
  EXPECT_EQ(Str(0, kPartitionKey), "outer-key");
  EXPECT_TRUE(batch_.IsNull(0, kSubsequence));
}

TEST_F(PayloadDecoderTest, GzipJson) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(GzipCompress(R"({"sensorId": 18, "status": "zipped"})"));
  EXPECT_EQ(o.rows, 1);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(I64(0, kSensorId), 18);
  EXPECT_EQ(Str(0, kStatus), "zipped");
}

TEST_F(PayloadDecoderTest, GzipIgnoredWhenDisabled) {
  PayloadOptions options;
  options.inflate_gzip = false;
  Use(SensorTable(), options);
  const std::string gz = GzipCompress(R"({"sensorId": 18})");
  const DecodeOutcome o = Decode(gz);
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].payload, gz);
  EXPECT_EQ(bad_[0].message.find("gzip"), std::string::npos) << bad_[0].message;  // a JSON error
}

TEST_F(PayloadDecoderTest, BadJsonIsReportedWithTheRecord) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(R"({"sensorId": "abc"})");
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.rows, 0);
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(batch_.num_rows(), 0u);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, -1);
  EXPECT_EQ(bad_[0].partition_key, "outer-key");
  EXPECT_EQ(bad_[0].payload, R"({"sensorId": "abc"})");
  EXPECT_NE(bad_[0].message.find("sensorId"), std::string::npos);
}

TEST_F(PayloadDecoderTest, GzipBombAndCorruptGzipAreBadRecords) {
  PayloadOptions options;
  options.max_inflated_bytes = 1 << 20;
  Use(SensorTable(), options);
  const std::string bomb = GzipCompress(std::string(16 << 20, ' '));
  DecodeOutcome o = Decode(bomb);
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(o.rows, 0);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].message, "gzip data inflates to more than 1048576 bytes");
  EXPECT_EQ(bad_[0].payload, bomb);  // as received, compressed

  std::string corrupt = GzipCompress(R"({"sensorId": 1})");
  corrupt.resize(corrupt.size() - 3);
  o = Decode(corrupt);
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(bad_.size(), 2u);
  EXPECT_NE(bad_[1].message.find("truncated gzip data"), std::string::npos);
  // The decoder keeps working.
  o = Decode(GzipCompress(R"({"sensorId": 2})"));
  EXPECT_EQ(o.rows, 1);
}

// ---- KPL aggregates ----------------------------------------------------------------------------

TEST_F(PayloadDecoderTest, KplAggregateFromTheNodeLibrary) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(ReadKplVector("agg3.bin"));
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 3);
  EXPECT_EQ(o.bad, 0);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(batch_.num_rows(), 3u);
  const char* keys[] = {"pk-alpha", "pk-beta", "pk-alpha"};
  const char* statuses[] = {"ok", "warn", "fail"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(I64(i, kSensorId), static_cast<int64_t>(i + 1));
    EXPECT_EQ(Str(i, kStatus), statuses[i]);
    EXPECT_EQ(Str(i, kPartitionKey), keys[i]);
    EXPECT_EQ(I64(i, kSubsequence), static_cast<int64_t>(i));
    EXPECT_EQ(Str(i, kShard), "shardId-000000000007");
  }
}

TEST_F(PayloadDecoderTest, HundredRecordAggregate) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(ReadKplVector("agg100.bin"));
  EXPECT_EQ(o.rows, 100);
  ASSERT_EQ(batch_.num_rows(), 100u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(I64(i, kSensorId), static_cast<int64_t>(1000 + i));
    EXPECT_EQ(Str(i, kPartitionKey), "device-" + std::to_string(i % 7));
    EXPECT_EQ(I64(i, kSubsequence), static_cast<int64_t>(i));
  }
}

TEST_F(PayloadDecoderTest, BadMd5AggregateIsAPlainRecord) {
  Use(SensorTable());
  const std::string bytes = ReadKplVector("agg3_bad_md5.bin");
  const DecodeOutcome o = Decode(bytes);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.rows, 0);
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, -1);
  EXPECT_EQ(bad_[0].partition_key, "outer-key");
  EXPECT_EQ(bad_[0].payload, bytes);
  // The JSON decoder's complaint about the bytes, not a KPL one.
  EXPECT_EQ(bad_[0].message.find("KPL"), std::string::npos) << bad_[0].message;
}

TEST_F(PayloadDecoderTest, MalformedAggregateIsOneBadRecord) {
  Use(SensorTable());
  // Magic and MD5 right, but a record points past the partition key table.
  std::string proto = std::string("\x0a\x01k") + "\x1a\x05\x08\x03\x1a\x01x";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(proto.data(), proto.size(), md, &n, EVP_md5(), nullptr);
  const std::string bytes =
      std::string(kKplMagic) + proto + std::string(reinterpret_cast<char*>(md), n);
  const DecodeOutcome o = Decode(bytes);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, -1);
  EXPECT_EQ(bad_[0].payload, bytes);
  EXPECT_NE(bad_[0].message.find("malformed KPL aggregated record"), std::string::npos)
      << bad_[0].message;
}

TEST_F(PayloadDecoderTest, AggregateWithoutDeaggregationIsAPlainRecord) {
  PayloadOptions options;
  options.deaggregate_kpl = false;
  Use(SensorTable(), options);
  const DecodeOutcome o = Decode(ReadKplVector("agg3.bin"));
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(o.rows, 0);
}

TEST_F(PayloadDecoderTest, ResumeInsideAnAggregate) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(ReadKplVector("agg3.bin"), /*resume_after=*/1);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.rows, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(I64(0, kSubsequence), 2);
  EXPECT_EQ(I64(0, kSensorId), 3);
  // Resuming after the last entry: nothing left, the record is done.
  const DecodeOutcome done = Decode(ReadKplVector("agg3.bin"), 2);
  EXPECT_EQ(done.user_records, 0);
  EXPECT_EQ(done.last_subsequence_number, -1);
  EXPECT_EQ(batch_.num_rows(), 1u);
}

TEST_F(PayloadDecoderTest, MaxUserRecordsStopsInsideAnAggregate) {
  Use(SensorTable());
  const std::string bytes = ReadKplVector("agg3.bin");
  DecodeOutcome o = Decode(bytes, -1, 2);
  EXPECT_EQ(o.user_records, 2);
  EXPECT_EQ(o.rows, 2);
  EXPECT_EQ(o.last_subsequence_number, 1);
  // The next call resumes where that one stopped.
  o = Decode(bytes, o.last_subsequence_number, 2);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(batch_.num_rows(), 3u);
  EXPECT_EQ(I64(2, kSubsequence), 2);
  // A limit that ends exactly at the last entry consumes the record.
  o = Decode(bytes, -1, 3);
  EXPECT_EQ(o.last_subsequence_number, -1);
  // A limit of one on a plain record.
  o = Decode(R"({"sensorId": 5})", -1, 1);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);
}

TEST_F(PayloadDecoderTest, GzipInsideAggregateEntries) {
  Use(SensorTable());
  const DecodeOutcome o = Decode(Aggregate({{"a", GzipCompress(R"({"sensorId": 1})")},
                                            {"b", R"({"sensorId": 2})"},
                                            {"c", GzipCompress("not json")}}));
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 2);
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, 2);
  EXPECT_EQ(bad_[0].partition_key, "c");
  EXPECT_TRUE(bad_[0].payload.size() >= 2 && bad_[0].payload[0] == '\x1f');  // compressed bytes
  ASSERT_EQ(batch_.num_rows(), 2u);
  EXPECT_EQ(Str(1, kPartitionKey), "b");
}

// Issue 8 case 8: a gzip-compressed record holding a KPL aggregate is de-aggregated (it was one
// bad record); its entries may be gzip again, and resuming inside it works as for a plain one.
TEST_F(PayloadDecoderTest, GzipWrappedAggregateIsDeaggregated) {
  Use(SensorTable());
  const std::string wrapped = GzipCompress(Aggregate({{"a", R"({"sensorId": 1})"},
                                                      {"b", GzipCompress(R"({"sensorId": 2})")},
                                                      {"c", R"({"sensorId": 3})"}}));
  DecodeOutcome o = Decode(wrapped);
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 3);
  EXPECT_EQ(o.bad, 0);
  ASSERT_EQ(batch_.num_rows(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(I64(i, kSensorId), static_cast<int64_t>(i + 1));
    EXPECT_EQ(I64(i, kSubsequence), static_cast<int64_t>(i));
  }
  EXPECT_EQ(Str(1, kPartitionKey), "b");
  // Resume after subsequence number 0, stop after one user record: inside the aggregate.
  batch_.Clear();
  o = Decode(wrapped, 0, 1);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.last_subsequence_number, 1);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(I64(0, kSensorId), 2);
  // A bad entry is one bad user record with its subsequence number; a gzip record that is not
  // an aggregate is still a plain record, and a malformed aggregate inside gzip says both.
  batch_.Clear();
  o = Decode(GzipCompress(Aggregate({{"a", R"({"sensorId": 1})"}, {"b", "nope"}})));
  EXPECT_EQ(o.rows, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, 1);
  EXPECT_EQ(bad_[0].payload, "nope");
  batch_.Clear();
  o = Decode(GzipCompress(R"({"sensorId": 9})"));
  EXPECT_EQ(o.rows, 1);
  EXPECT_EQ(I64(0, kSensorId), 9);
}

// Issue 8 case 8: an aggregate with a valid MD5 but no user records yields zero user records
// (the record is consumed), not a bad record; also when it is gzip-wrapped.
TEST_F(PayloadDecoderTest, EmptyAggregateYieldsNoUserRecords) {
  Use(SensorTable());
  for (const std::string& bytes : {Aggregate({}), GzipCompress(Aggregate({}))}) {
    const DecodeOutcome o = Decode(bytes);
    EXPECT_EQ(o.user_records, 0);
    EXPECT_EQ(o.rows, 0);
    EXPECT_EQ(o.bad, 0);
    EXPECT_EQ(o.last_subsequence_number, -1);
    EXPECT_FALSE(o.stopped);
  }
  EXPECT_TRUE(bad_.empty()) << bad_[0].message;
  EXPECT_EQ(batch_.num_rows(), 0u);
}

TEST_F(PayloadDecoderTest, OnBadFalseStopsAtOnce) {
  Use(SensorTable());
  const std::string bytes =
      Aggregate({{"a", R"({"sensorId": 1})"}, {"b", "bad"}, {"c", R"({"sensorId": 3})"}});
  const DecodeOutcome o = Decode(bytes, -1, kNoLimit, /*continue_on_bad=*/false);
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.user_records, 2);
  EXPECT_EQ(o.rows, 1);
  EXPECT_EQ(o.bad, 1);
  EXPECT_EQ(o.last_subsequence_number, 1);
  EXPECT_EQ(batch_.num_rows(), 1u);
}

// ---- NDJSON ------------------------------------------------------------------------------------

TEST_F(PayloadDecoderTest, NdjsonLinesAreUserRecords) {
  PayloadOptions options;
  options.format = PayloadFormat::kNdjson;
  Use(SensorTable(), options);
  const DecodeOutcome o =
      Decode("{\"sensorId\": 1}\r\n\n   \n{\"sensorId\": 2}\n\t\r\n{\"sensorId\": 3}");
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 3);
  EXPECT_EQ(o.last_subsequence_number, -1);
  ASSERT_EQ(batch_.num_rows(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(I64(i, kSensorId), static_cast<int64_t>(i + 1));
    EXPECT_EQ(I64(i, kSubsequence), static_cast<int64_t>(i));
    EXPECT_EQ(Str(i, kPartitionKey), "outer-key");
  }
}

TEST_F(PayloadDecoderTest, NdjsonWithAMalformedLine) {
  PayloadOptions options;
  options.format = PayloadFormat::kNdjson;
  Use(SensorTable(), options);
  const DecodeOutcome o = Decode("{\"sensorId\": 1}\n{\"sensorId\": \n{\"sensorId\": 3}\n");
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 2);
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, 1);
  EXPECT_EQ(bad_[0].payload, "{\"sensorId\": ");
  ASSERT_EQ(batch_.num_rows(), 2u);
  EXPECT_EQ(I64(0, kSubsequence), 0);
  EXPECT_EQ(I64(1, kSubsequence), 2);
  EXPECT_EQ(I64(1, kSensorId), 3);
}

TEST_F(PayloadDecoderTest, NdjsonLimitAndResume) {
  PayloadOptions options;
  options.format = PayloadFormat::kNdjson;
  Use(SensorTable(), options);
  const std::string data =
      GzipCompress("{\"sensorId\": 1}\n{\"sensorId\": 2}\n{\"sensorId\": 3}\n\n");
  DecodeOutcome o = Decode(data, -1, 2);
  EXPECT_EQ(o.user_records, 2);
  EXPECT_EQ(o.last_subsequence_number, 1);
  o = Decode(data, 1, 2);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.last_subsequence_number, -1);  // the trailing blank line is no user record
  ASSERT_EQ(batch_.num_rows(), 3u);
  EXPECT_EQ(I64(2, kSensorId), 3);
  EXPECT_EQ(I64(2, kSubsequence), 2);
  // Blank lines only: nothing, and the record is done.
  o = Decode("\n \r\n");
  EXPECT_EQ(o.user_records, 0);
  EXPECT_EQ(o.last_subsequence_number, -1);
}

TEST_F(PayloadDecoderTest, NdjsonInsideAnAggregateKeepsEntriesWhole) {
  PayloadOptions options;
  options.format = PayloadFormat::kNdjson;
  Use(SensorTable(), options);
  const std::string bytes = Aggregate({{"a", "{\"sensorId\": 1}\n{\"sensorId\": 2}\n"},
                                       {"b", "{\"sensorId\": 3}\n\n{\"sensorId\": x}\n"},
                                       {"c", GzipCompress("{\"sensorId\": 4}")}});
  DecodeOutcome o = Decode(bytes);
  EXPECT_EQ(o.user_records, 3);
  EXPECT_EQ(o.rows, 3);
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(batch_.num_rows(), 3u);  // entry b left no rows behind
  EXPECT_EQ(I64(0, kSubsequence), 0);
  EXPECT_EQ(I64(1, kSubsequence), 0);
  EXPECT_EQ(I64(1, kSensorId), 2);
  EXPECT_EQ(I64(2, kSubsequence), 2);
  EXPECT_EQ(Str(2, kPartitionKey), "c");
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].subsequence_number, 1);
  EXPECT_EQ(bad_[0].payload, "{\"sensorId\": 3}\n\n{\"sensorId\": x}\n");
  EXPECT_EQ(bad_[0].message.rfind("NDJSON line 3: ", 0), 0u) << bad_[0].message;
  // Limits count entries.
  o = Decode(bytes, -1, 1);
  EXPECT_EQ(o.user_records, 1);
  EXPECT_EQ(o.rows, 2);
  EXPECT_EQ(o.last_subsequence_number, 0);
}

// ---- Raw ---------------------------------------------------------------------------------------

TEST_F(PayloadDecoderTest, RawIntoVarchar) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  Use(RawTable(ColumnType::kVarchar, "VARCHAR"), options);
  DecodeOutcome o = Decode("plain text, not JSON \xc3\xa9");
  EXPECT_EQ(o.rows, 1);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(Str(0, 0), "shardId-000000000007");
  EXPECT_EQ(Str(0, 1), "plain text, not JSON \xc3\xa9");
  EXPECT_EQ(I64(0, 2), 1'700'000'000'123'000);
  EXPECT_EQ(Str(0, 3), "outer-key");
  EXPECT_TRUE(batch_.IsNull(0, 4));
  EXPECT_EQ(Str(0, 5), "49590338271490256608559692538361571095921575989136588898");

  o = Decode("bytes \xff\xfe");
  EXPECT_EQ(o.bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].message, "column 'body' (VARCHAR): payload is not valid UTF-8");
  EXPECT_EQ(batch_.num_rows(), 1u);

  // Gzip first, then the raw text; aggregates give subsequence numbers.
  o = Decode(Aggregate({{"k1", GzipCompress("zipped text")}, {"k2", "more"}}));
  EXPECT_EQ(o.rows, 2);
  ASSERT_EQ(batch_.num_rows(), 3u);
  EXPECT_EQ(Str(1, 1), "zipped text");
  EXPECT_EQ(I64(1, 4), 0);
  EXPECT_EQ(Str(2, 3), "k2");
  EXPECT_EQ(I64(2, 4), 1);
}

TEST_F(PayloadDecoderTest, RawIntoVarcharWithALengthLimit) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  TableSchema t = RawTable(ColumnType::kVarchar, "VARCHAR(3)");
  t.columns[1].max_length = 3;
  Use(t, options);
  EXPECT_EQ(Decode("\xc3\xa9\xc3\xa9\xc3\xa9").rows, 1);  // 3 characters, 6 bytes
  EXPECT_EQ(Decode("abcd").bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_NE(bad_[0].message.find("4 characters is too long"), std::string::npos);
}

TEST_F(PayloadDecoderTest, RawIntoBlob) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  Use(RawTable(ColumnType::kBlob, "BLOB"), options);
  const std::string binary("\x00\xff\xfe\x01 binary", 10);
  const DecodeOutcome o = Decode(binary);
  EXPECT_EQ(o.rows, 1);
  ASSERT_EQ(batch_.num_rows(), 1u);
  EXPECT_EQ(Str(0, 1), binary);
  EXPECT_EQ(Decode("").rows, 1);  // an empty payload is an empty BLOB
  EXPECT_EQ(Str(1, 1), "");
}

TEST_F(PayloadDecoderTest, RawIntoJsonValidatesJson) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  Use(RawTable(ColumnType::kJson, "JSON"), options);
  EXPECT_EQ(Decode(R"({"any": ["json", 1]})").rows, 1);
  EXPECT_EQ(Decode("[1, 2]").rows, 1);
  EXPECT_EQ(Str(1, 1), "[1, 2]");
  EXPECT_EQ(Decode("{not json").bad, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].message.rfind("column 'body' (JSON): payload is not valid JSON", 0), 0u)
      << bad_[0].message;
}

// Issue 8 case 5: in the raw format too, what the column cannot hold (PostgreSQL text and
// NUL, jsonb and \u0000, a NUL in a KPL partition key for a text column) is a bad record.
TEST_F(PayloadDecoderTest, RawValuesTheSinkCannotStoreAreBadRecords) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  TableSchema text = RawTable(ColumnType::kVarchar, "text");
  text.columns[1].rejects_nul = true;
  text.columns[3].rejects_nul = true;
  Use(text, options);
  EXPECT_EQ(Decode(std::string("a\0b", 3)).bad, 1);
  EXPECT_EQ(Decode("fine").rows, 1);
  EXPECT_EQ(Decode(Aggregate({{std::string("k\0", 2), "x"}, {"k", "y"}})).rows, 1);
  ASSERT_EQ(bad_.size(), 2u);
  EXPECT_EQ(bad_[0].message,
            "column 'body' (text): payload contains a NUL character (U+0000), which this column "
            "cannot store");
  EXPECT_EQ(bad_[1].subsequence_number, 0);
  EXPECT_EQ(bad_[1].message,
            "column 'kinesis_partition_key' (VARCHAR): value contains a NUL character (U+0000), "
            "which this column cannot store");

  TableSchema jsonb = RawTable(ColumnType::kJson, "jsonb");
  jsonb.columns[1].rejects_nul_escape = true;
  Use(jsonb, options);
  bad_.clear();
  EXPECT_EQ(Decode(R"({"a": "x\u0000"})").bad, 1);
  EXPECT_EQ(Decode(R"({"a": "x\\u0000"})").rows, 1);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].message,
            "column 'body' (jsonb): payload contains the escape \\u0000 (a NUL character), which "
            "this column cannot store");
}

TEST_F(PayloadDecoderTest, RawNotNullSubsequence) {
  PayloadOptions options;
  options.format = PayloadFormat::kRaw;
  TableSchema t = RawTable(ColumnType::kVarchar, "VARCHAR");
  t.columns[4].not_null = true;
  Use(t, options);
  EXPECT_EQ(Decode("plain").bad, 1);  // no subsequence number for a plain record
  EXPECT_EQ(batch_.num_rows(), 0u);
  EXPECT_EQ(Decode(Aggregate({{"k", "in aggregate"}})).rows, 1);
}

TEST(PayloadDecoderCreateTest, RawNeedsExactlyOneUsableDataColumn) {
  PayloadOptions raw;
  raw.format = PayloadFormat::kRaw;
  TableSchema two = SensorTable();
  auto r = PayloadDecoder::Create(two, DecoderOptions{}, raw);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.status().message().find("found 2: 'sensorId' (DECIMAL(18,0)), 'status' (VARCHAR)"),
            std::string::npos)
      << r.status().message();

  TableSchema t = RawTable(ColumnType::kVarchar, "VARCHAR");
  t.columns.push_back(Column("extra", ColumnType::kVarchar, "TEXT"));
  r = PayloadDecoder::Create(t, DecoderOptions{}, raw);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.status().message().find("exactly one data column"), std::string::npos);
  EXPECT_NE(r.status().message().find("'body' (VARCHAR), 'extra' (TEXT)"), std::string::npos)
      << r.status().message();

  t = RawTable(ColumnType::kVarchar, "VARCHAR");
  t.columns.erase(t.columns.begin() + 1);
  r = PayloadDecoder::Create(t, DecoderOptions{}, raw);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("found 0"), std::string::npos) << r.status().message();

  r = PayloadDecoder::Create(RawTable(ColumnType::kDouble, "DOUBLE"), DecoderOptions{}, raw);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("VARCHAR, JSON or BLOB"), std::string::npos);

  t = RawTable(ColumnType::kBlob, "BLOB");
  t.columns[2].type = ColumnType::kDate;
  t.columns[2].type_name = "DATE";
  r = PayloadDecoder::Create(t, DecoderOptions{}, raw);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'kinesis_arrival_time' (DATE)"), std::string::npos);

  EXPECT_TRUE(PayloadDecoder::Create(RawTable(ColumnType::kBlob, "BLOB"), DecoderOptions{}, raw)
                  .ok());
}

TEST(PayloadDecoderCreateTest, JsonFormatsUseTheJsonDecoderRules) {
  TableSchema only_metadata;
  only_metadata.table = "m";
  only_metadata.columns = {Column("kinesis_shard_id", ColumnType::kVarchar, "VARCHAR")};
  auto r = PayloadDecoder::Create(only_metadata, DecoderOptions{}, PayloadOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(PayloadDecoderTest, UsageErrors) {
  Use(SensorTable());
  RowBatch narrow(2);
  PayloadRecord record;
  record.data = "{}";
  auto on_bad = [](const BadUserRecord&) { return true; };
  auto r = decoder_->Decode(record, -1, kNoLimit, narrow, on_bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
  r = decoder_->Decode(record, -1, 0, batch_, on_bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace ki
