// `kinesis-import status` through the real binary, on kinesis-local and a real DuckDB file: the
// shard states after a split and an import (parent finished, children open), the lag of records
// put and not imported yet, exit 3 when --max-lag or --min-retention-left is crossed, the JSON
// field names, and that status moves no position (a run afterwards still imports every record).
// Then the stored state it reads on both SQL sinks: the gap count (Sink::CountGaps), and on
// PostgreSQL while a run holds the stream's lock (Sink::PeekPositions).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>
#include <vector>

#include "duckdb_file.h"
#include "pipeline/shard_status.h"
#include "postgres_db.h"
#include "sink/sink_factory.h"
#include "test_support.h"

namespace ki::test {
namespace {

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    stream_ = UniqueName("status");
    db_ = dir_.File("status.duckdb");
  }
  ProcessResult Cli(std::vector<std::string> args, const std::string& stdin_data = "") {
    args.insert(args.end(), {"--endpoint-url", endpoint_, "--region", "us-east-1"});
    return RunCli(args, stdin_data);
  }
  ProcessResult Status(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"status", "--stream", stream_, "--table", "t", "--db", db_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }
  void Sdk(const std::vector<std::string>& args) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--endpoint", endpoint_, "--stream", stream_});
    auto r = RunNode("sdk_client.js", a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Puts `n` records {"v": first..}; returns the shard ids that took them (put's report).
  std::vector<std::string> Put(int first, int n, const std::string& key = "") {
    std::string lines;
    for (int i = 0; i < n; ++i) lines += "{\"v\": " + std::to_string(first + i) + "}\n";
    std::vector<std::string> args{"put", "--stream", stream_};
    if (!key.empty()) args.insert(args.end(), {"--partition-key", key});
    auto r = Cli(args, lines);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> shards;
    for (const std::string& line : Lines(r.out)) {
      if (line.rfind("  shardId-", 0) == 0) shards.push_back(line.substr(2, line.find(':') - 2));
    }
    return shards;
  }

  TempDir dir_;
  std::string endpoint_;
  std::string stream_;
  std::string db_;
};

// Shard rows of status' JSON by shard id.
std::map<std::string, simdjson::dom::element> ShardsById(simdjson::dom::element doc) {
  std::map<std::string, simdjson::dom::element> out;
  simdjson::dom::array shards = doc["shards"].get_array().value();
  for (simdjson::dom::element s : shards) {
    std::string_view id = s["shard_id"].get_string().value();
    out[std::string(id)] = s;
  }
  return out;
}

TEST_F(StatusTest, StatesAfterASplitLagOfRecordsNotImportedAndThresholds) {
  const std::string parent = "shardId-000000000000";
  Sdk({"create", "--shards", "1"});
  Put(0, 5);
  Sdk({"split", "--shard", parent});
  // Line numbers as partition keys spread these over both children.
  const std::vector<std::string> children = Put(5, 20);
  ASSERT_EQ(children.size(), 2u) << "both children should take records";
  ExecDuckDbFile(db_, "CREATE TABLE t (v BIGINT, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)");
  auto run = Cli({"run", "--stream", stream_, "--table", "t", "--db", db_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(DuckDbCsv(db_, "SELECT count(*) FROM t"), "25\n");

  // Caught up: the parent finished, the children open, no lag; thresholds are not crossed.
  simdjson::dom::parser parser;
  {
    auto st = Status({"--output", "json", "--max-lag", "1ms", "--min-retention-left", "1h"});
    ASSERT_EQ(st.exit_code, 0) << st.out << st.err;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(st.out).get(doc), simdjson::SUCCESS) << st.out;
    EXPECT_EQ(std::string(doc["stream"].get_string().value()), stream_);
    EXPECT_EQ(std::string(doc["table"].get_string().value()), "t");
    auto shards = ShardsById(doc);
    ASSERT_EQ(shards.size(), 3u) << st.out;
    EXPECT_EQ(std::string(shards[parent]["state"].get_string().value()), "finished") << st.out;
    for (const std::string& child : children) {
      simdjson::dom::element row = shards[child];
      EXPECT_EQ(std::string(row["state"].get_string().value()), "open") << st.out;
      simdjson::dom::array parents = row["parents"].get_array().value();
      ASSERT_EQ(parents.size(), 1u);
      EXPECT_EQ(std::string(parents.at(0).get_string().value()), parent);
      EXPECT_TRUE(row["sequence_number"].is_string()) << st.out;
      EXPECT_EQ(row["behind_latest_ms"].get_int64().value(), 0) << st.out;
      EXPECT_TRUE(row["retention_left_s"].is_null()) << st.out;  // nothing waits
      EXPECT_TRUE(row["last_arrival_time"].is_string()) << st.out;
      EXPECT_TRUE(row["owner"].is_null());
      EXPECT_TRUE(row["epoch"].is_null());
    }
    EXPECT_EQ(doc["summary"]["gaps"].get_int64().value(), 0);
    EXPECT_EQ(doc["summary"]["behind_latest_ms"].get_int64().value(), 0);
  }

  // Records on one child, not imported: that child is behind, the other is not.
  const std::vector<std::string> took = Put(100, 3, "one-key");
  ASSERT_EQ(took.size(), 1u);
  const std::string behind = took[0];
  {
    auto st = Status({"--output", "json"});
    ASSERT_EQ(st.exit_code, 0) << st.out << st.err;  // no threshold given: 0 whatever the lag
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(st.out).get(doc), simdjson::SUCCESS) << st.out;
    auto shards = ShardsById(doc);
    EXPECT_GT(shards[behind]["behind_latest_ms"].get_int64().value(), 0) << st.out;
    // Its oldest waiting record is trimmed about a day from now (kinesis-local keeps 24 h).
    const int64_t left = shards[behind]["retention_left_s"].get_int64().value();
    EXPECT_GT(left, 23 * 3600) << st.out;
    EXPECT_LE(left, 24 * 3600) << st.out;
    for (const std::string& child : children) {
      if (child != behind) {
        EXPECT_EQ(shards[child]["behind_latest_ms"].get_int64().value(), 0) << st.out;
      }
    }
    EXPECT_EQ(std::string(doc["summary"]["worst_shard"].get_string().value()), behind) << st.out;
  }
  auto lag = Status({"--max-lag", "1ms"});
  EXPECT_EQ(lag.exit_code, 3) << lag.out << lag.err;
  EXPECT_NE(lag.err.find("shard " + behind + " is "), std::string::npos) << lag.err;
  EXPECT_NE(lag.out.find("finished"), std::string::npos) << lag.out;
  EXPECT_NE(lag.out.find("0 gap(s) recorded"), std::string::npos) << lag.out;
  auto retention = Status({"--min-retention-left", "25h"});
  EXPECT_EQ(retention.exit_code, 3) << retention.out << retention.err;
  auto relaxed = Status({"--max-lag", "1h", "--min-retention-left", "1h"});
  EXPECT_EQ(relaxed.exit_code, 0) << relaxed.out << relaxed.err;
  auto bad = Status({"--max-lag", "soon"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;

  // Status moved nothing: the next run imports exactly the three waiting records.
  run = Cli({"run", "--stream", stream_, "--table", "t", "--db", db_});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(DuckDbCsv(db_, "SELECT count(*), count(DISTINCT v) FROM t"), "28,28\n");
}


// The gaps status counts, on a real database: 0 before any gap made the gaps table, then the
// rows of this stream and table only; read in transactions that are rolled back.
// With `while_running`, a run of the stream holds its lock (PostgreSQL) during the last read.
void CheckGapCount(const std::string& db, const std::string& table, bool while_running = false) {
  auto count = [&]() -> int64_t {
    auto sink = OpenSink(db, DbAccess::kExisting);
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    if (!sink.ok()) return -1;
    auto stored = ReadStoredStatus(**sink, table, "s");
    EXPECT_TRUE(stored.ok()) << stored.status().message();
    return stored.ok() ? stored->gaps : -1;
  };
  EXPECT_EQ(count(), 0);
  {
    auto sink = OpenSink(db, DbAccess::kExisting);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    auto schema = (*sink)->DescribeTable(table);
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    ASSERT_TRUE((*sink)->Begin(*schema).ok());
    RetentionGap gap;
    gap.stream = "s";
    gap.shard_id = "shardId-000000000000";
    gap.last_sequence_number = "1";
    RetentionGap other = gap;
    other.stream = "other";
    Status saved = (*sink)->SaveGaps({gap, gap, other});
    ASSERT_TRUE(saved.ok()) << saved.message();
    saved = (*sink)->SavePositions("s", {{"shardId-000000000000", ShardPosition("1", -1)}});
    ASSERT_TRUE(saved.ok()) << saved.message();
    ASSERT_TRUE((*sink)->Commit().ok());
  }
  EXPECT_EQ(count(), 2);
  EXPECT_EQ(count(), 2);  // the read before took no lock it kept
  if (!while_running) return;
  auto running = OpenSink(db, DbAccess::kExisting);
  ASSERT_TRUE(running.ok()) << running.status().message();
  auto schema = (*running)->DescribeTable(table);
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE((*running)->Begin(*schema).ok());
  ASSERT_TRUE((*running)->LoadPositions("s").ok());  // takes the run's lock, kept until rollback
  EXPECT_EQ(count(), 2);
  (*running)->Rollback();
}

TEST(StatusGapCount, DuckDb) {
  TempDir dir;
  const std::string db = dir.File("gaps.duckdb");
  ExecDuckDbFile(db, "CREATE TABLE t (v BIGINT)");
  CheckGapCount(db, "t");
}

TEST(StatusGapCount, Postgres) {
  const std::string url = PostgresUrl();
  const std::string schema = "status_" + RandomSuffix();
  PostgresCsv(url, "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".t (v bigint)");
  CheckGapCount(url, schema + ".t", /*while_running=*/true);
}

}  // namespace
}  // namespace ki::test
