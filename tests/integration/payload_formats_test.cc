// Payload formats and the bad-record policies end to end: records produced by independent tools
// (aws-kinesis-agg for KPL aggregates, Node's zlib for gzip, the AWS SDK as producer) in a real
// emulator, imported by the real binary into a real DuckDB file.
#include <simdjson.h>

#include "common/base64.h"
#include "duckdb_file.h"
#include "test_support.h"

namespace ki::test {
namespace {

constexpr char kEventsTable[] =
    "CREATE TABLE events(a BIGINT, name VARCHAR, amount DECIMAL(9,2), kinesis_shard_id VARCHAR, "
    "shard_sequence_number VARCHAR, kinesis_subsequence_number BIGINT, kinesis_partition_key VARCHAR, "
    "kinesis_explicit_hash_key VARCHAR)";

std::string Events(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += "{\"a\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\", \"amount\": " +
           std::to_string(i) + ".25}\n";
  return out;
}

class PayloadFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    db_ = dir_.File("formats.duckdb");
    stream_ = UniqueName("formats");
    auto r = Cli({"stream", "create", "--stream", stream_, "--shards", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    DuckDbCsv(db_, kEventsTable);
  }
  ProcessResult Cli(std::vector<std::string> args) {
    for (auto a : {"--endpoint-url", endpoint_.c_str(), "--region", "us-east-1"}) args.push_back(a);
    return RunCli(args);
  }
  // Puts through the Node SDK with one of sdk_client.js's put commands.
  void NodePut(const std::string& command, const std::string& lines, std::vector<std::string> extra = {}) {
    WriteFile(dir_.File("in.txt"), lines);
    std::vector<std::string> args{command, "--file", dir_.File("in.txt"), "--endpoint", endpoint_,
                                  "--stream", stream_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunNode("sdk_client.js", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessResult Run(std::vector<std::string> extra = {}, const std::string& table = "events") {
    std::vector<std::string> args{"run", "--stream", stream_, "--table", table, "--db", db_, "--output", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }

  TempDir dir_;
  std::string endpoint_, db_, stream_;
};

TEST_F(PayloadFormatsTest, KplAggregatesImportExactlyTheUserRecords) {
  // One aggregate of 100 user records, then aggregates of 7, and one with a corrupted MD5 that
  // must be passed through as a plain record (here: not JSON, so a bad record).
  NodePut("put-kpl", Events(1, 100), {"--per", "100"});
  NodePut("put-kpl", Events(101, 121), {"--per", "7"});
  NodePut("put-kpl", Events(500, 502), {"--per", "3", "--bad-md5", "1"});
  auto r = Run({"--on-error", "dead-letter"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 121);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 1);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT a), min(a), max(a), sum(amount) FROM events"),
            "121,121,1,121,7411.25\n");
  // Each user record has its own partition key from the aggregate's key table (pk<i%3>) and its
  // subsequence number inside the aggregate.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE kinesis_partition_key <> 'pk' || (CASE WHEN a <= 100 THEN a - 1 ELSE a - 101 END) % 3"), "0\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE a <= 100 AND kinesis_subsequence_number <> a - 1"), "0\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE a > 100 AND kinesis_subsequence_number <> (a - 101) % 7"), "0\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(DISTINCT shard_sequence_number) FROM events"), "4\n");  // 1 + 3 aggregates
  // Every 4th user record was given an explicit hash key (its index times 1000003); it is kept.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE a <= 100 AND kinesis_explicit_hash_key IS DISTINCT FROM "
                     "CASE WHEN (a - 1) % 4 = 0 THEN ((a - 1) * 1000003)::VARCHAR END"),
            "0\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(kinesis_explicit_hash_key) FROM events"), "31\n");
  // The bad-MD5 aggregate went to the rejects table whole, as received.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), min(subsequence_number IS NULL)::INT, min(octet_length(payload) > 20)::INT FROM events_rejects"),
            "1,1,1\n");
  auto again = Run({"--on-error", "dead-letter"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events_rejects"), "1\n");
}

TEST_F(PayloadFormatsTest, CapInsideAnAggregateResumesAtTheNextUserRecordExactlyOnce) {
  NodePut("put-kpl", Events(1, 25), {"--per", "10"});  // aggregates of 10, 10, 5
  std::vector<int64_t> imported;
  for (int run = 0; run < 5; ++run) {
    auto r = Run({"--max-records-per-run", "7"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    imported.push_back(ReportField(r, "total_records"));
  }
  EXPECT_EQ(imported, (std::vector<int64_t>{7, 7, 7, 4, 0}));
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT a), sum(a) FROM events"), "25,25,325\n");
}

TEST_F(PayloadFormatsTest, GzipRecords) {
  NodePut("put-gzip", Events(1, 20));
  auto r = Run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), sum(a), min(name), sum(amount) FROM events"), "20,210,n1,215.00\n");
}

// Issue 8 case 8: whole aggregates gzip-compressed (aws-kinesis-agg, then Node's zlib) are
// de-aggregated into their user records, and an empty aggregate (magic + MD5 of an empty
// protobuf) is consumed as zero user records; with --on-error fail, both used to fail the run.
TEST_F(PayloadFormatsTest, GzipWrappedAggregatesAndEmptyAggregates) {
  NodePut("put-kpl", Events(1, 10), {"--per", "4", "--gzip", "1"});  // 4 + 4 + 2 user records
  const std::string md5_of_nothing("\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e", 16);
  const std::string empty_aggregate = std::string("\xf3\x89\x9a\xc2", 4) + md5_of_nothing;
  NodePut("put-raw-b64", Base64Encode(Events(11, 11)) + "\n" + Base64Encode(empty_aggregate) + "\n");
  auto r = Run({"--on-error", "fail"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 11);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 0);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT a), sum(a), sum(amount) FROM events"),
            "11,11,66,68.75\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE a <= 10 AND kinesis_subsequence_number <> (a - 1) % 4"),
            "0\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(DISTINCT shard_sequence_number) FROM events"), "4\n");
  // The empty aggregate (the last record) was consumed: the stored position is past every row.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT (SELECT max(sequence_number) FROM kinesis_import_positions) > "
                     "(SELECT max(shard_sequence_number) FROM events)"),
            "true\n");
  auto again = Run({"--on-error", "fail"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
  EXPECT_EQ(ReportField(again, "total_bad_records"), 0);
}

TEST_F(PayloadFormatsTest, NdjsonRecordsBecomeSeveralRows) {
  std::string b64;
  for (int rec = 0; rec < 4; ++rec) {
    std::string payload = Events(rec * 3 + 1, rec * 3 + 3);  // three lines per record
    b64 += Base64Encode(payload) + "\n";
  }
  NodePut("put-raw-b64", b64);
  auto r = Run({"--format", "ndjson"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 12);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT a), count(DISTINCT shard_sequence_number) FROM events"), "12,12,4\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events WHERE kinesis_subsequence_number <> (a - 1) % 3"), "0\n");
}

TEST_F(PayloadFormatsTest, RawPayloadsIntoVarcharAndBlob) {
  DuckDbCsv(db_, "CREATE TABLE raw_text(body VARCHAR, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR);"
           "CREATE TABLE raw_bytes(body BLOB, shard_sequence_number VARCHAR)");
  // Text (not JSON at all) and one binary payload that is not UTF-8.
  NodePut("put-raw-b64", Base64Encode("plain text; not json") + "\n" + Base64Encode("second \xc3\xa9") + "\n" +
                             Base64Encode(std::string("\x00\xff\xfe binary", 10)) + "\n");
  auto bytes = Run({"--format", "raw"}, "raw_bytes");
  ASSERT_EQ(bytes.exit_code, 0) << bytes.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), sum(octet_length(body)) FROM raw_bytes"), "3,39\n");
  // Into VARCHAR, the binary payload is a bad record; with skip the two text ones land.
  auto text = Run({"--format", "raw", "--on-error", "skip"}, "raw_text");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(ReportField(text, "total_bad_records"), 1);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT body FROM raw_text ORDER BY shard_sequence_number"), "plain text; not json\nsecond \xc3\xa9\n");
}

TEST_F(PayloadFormatsTest, NestedPathsEpochMillisecondsAndStrictKeys) {
  DuckDbCsv(db_, "CREATE TABLE readings(device_id VARCHAR, ts TIMESTAMP, temp DOUBLE, kinesis_shard_id VARCHAR)");
  std::string b64;
  for (const char* l : {R"({"device": {"id": "d1", "site": "x"}, "ts": 1700000000123, "temp": 1.5})",
                        R"({"device": {"id": "d2"}, "ts": 1700000001000, "temp": -2})",
                        R"({"device": {"id": "d3"}, "ts": 1700000002000, "temp": 3, "zzz": true})"})
    b64 += Base64Encode(l) + "\n";
  NodePut("put-raw-b64", b64);
  auto r = Run({"--map", "device_id=$.device.id", "--epoch-unit", "ms", "--strict-keys", "--on-error", "skip"},
               "readings");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 2);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 1);  // the unknown key "zzz"
  EXPECT_EQ(DuckDbCsv(db_, "SELECT device_id, strftime(ts, '%Y-%m-%d %H:%M:%S.%g'), temp FROM readings ORDER BY 1"),
            "d1,2023-11-14 22:13:20.123,1.5\nd2,2023-11-14 22:13:21.000,-2.0\n");
}

class BadRecordPolicyTest : public PayloadFormatsTest {
 protected:
  void SetUp() override {
    PayloadFormatsTest::SetUp();
    // 10 good records and three bad ones: malformed JSON, a type mismatch, a decimal overflow.
    std::string lines = Events(1, 4) + "{\"a\": 5, \"name\": \"broken\"\n" + Events(6, 7) +
                        "{\"a\": \"eight\", \"name\": \"n8\"}\n" + Events(9, 10) +
                        "{\"a\": 11, \"amount\": 12345678901.5}\n" + Events(12, 13);
    std::string b64;
    for (const auto& l : Lines(lines)) b64 += Base64Encode(l) + "\n";
    NodePut("put-raw-b64", b64);
  }
};

TEST_F(BadRecordPolicyTest, FailCommitsNothingAndNamesTheRecord) {
  auto r = Run({"--on-error", "fail"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("sequence number"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(stream_), std::string::npos) << r.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events"), "0\n");
  // The positions table was created inside the rolled-back transaction: it is gone too.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kinesis_import_positions'"), "0\n");
}

TEST_F(BadRecordPolicyTest, SkipCountsAndReportsAndMovesOn) {
  auto r = Run({"--on-error", "skip", "--output", "text"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 bad record(s) skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column 'a'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column 'amount'"), std::string::npos) << r.out;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), sum(a) FROM events"), "10,67\n");
  auto again = Run({"--on-error", "skip"});
  EXPECT_EQ(ReportField(again, "total_records"), 0);
  EXPECT_EQ(ReportField(again, "total_bad_records"), 0);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events"), "10\n");
}

TEST_F(BadRecordPolicyTest, DeadLetterKeepsPayloadsForReplayInTheSameTransaction) {
  auto r = Run({"--on-error", "dead-letter", "--rejects-table", "bad_events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 10);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 3);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM bad_events"), "3\n");
  // The payload bytes are exactly what was put; the error names the column or the JSON problem.
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM bad_events WHERE decode(payload) = '{\"a\": \"eight\", \"name\": \"n8\"}' "
                     "AND error LIKE '%column ''a''%' AND shard_id = 'shardId-000000000000' AND stream_name = '" + stream_ + "'"),
            "1\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM bad_events WHERE error LIKE '%amount%'"), "1\n");
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM bad_events WHERE error ILIKE '%json%'"), "1\n");
  // Rows + rejects = what was put; nothing twice on the next run.
  EXPECT_EQ(ReportField(Run({"--on-error", "dead-letter", "--rejects-table", "bad_events"}), "total_records"), 0);
  EXPECT_EQ(DuckDbCsv(db_, "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM bad_events)"), "13\n");
}

TEST_F(BadRecordPolicyTest, MaxBadRecordsRollsTheRunBack) {
  auto r = Run({"--on-error", "dead-letter", "--max-bad-records", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("more than 2 bad records"), std::string::npos) << r.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM events"), "0\n");
  auto ok = Run({"--on-error", "dead-letter", "--max-bad-records", "3"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM events_rejects)"), "13\n");
}

}  // namespace
}  // namespace ki::test
