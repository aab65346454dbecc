// Splits and merges while records flow: for one partition key, records must be imported in the
// order the stream holds them, so a child shard may only be read after its parents are read to
// their end. Producers put per-key counters ({"k": "key3", "n": 17}, each key's records in
// order); at every commit the test can observe, each key's imported counters must be exactly
// 1..k. A gap would mean a child was read ahead of its parent.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "key_counters.h"
#include "duckdb_file.h"
#include "postgres_db.h"
#include "test_support.h"

namespace ki::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kKeys = 8;

const char* kCountersSql =
    "SELECT k, count(*), count(DISTINCT n), min(n), max(n) FROM %s GROUP BY k ORDER BY k";

std::string CountersSql(const std::string& table) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kCountersSql, table.c_str());
  return buf;
}

class ReshardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    stream_ = UniqueName("reshard");
  }
  std::vector<std::string> Aws() const { return {"--endpoint-url", endpoint_, "--region", "us-east-1"}; }
  std::vector<std::string> Node(std::vector<std::string> args) const {
    args.insert(args.end(), {"--endpoint", endpoint_, "--stream", stream_});
    return args;
  }
  ProcessResult Cli(std::vector<std::string> args) {
    for (auto& a : Aws()) args.push_back(a);
    return RunCli(args);
  }
  void Sdk(const std::vector<std::string>& args) {
    auto r = RunNode("sdk_client.js", Node(args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Split shard 0 into two children, then merge the upper child with shard 1, while the
  // producer runs: three generations of shards, every one with records. Each step waits until
  // `imported()` (rows the importer has committed) shows the stream moved on.
  void Reshard(const std::function<int64_t()>& imported) {
    WaitFor(imported, 20 * kKeys);
    Sdk({"split", "--shard", "shardId-000000000000"});
    const int64_t after_split = imported();
    WaitFor(imported, after_split + 40 * kKeys);
    Sdk({"merge", "--shard", "shardId-000000000003", "--adjacent", "shardId-000000000001"});
  }
  static void WaitFor(const std::function<int64_t()>& imported, int64_t rows) {
    auto deadline = std::chrono::steady_clock::now() + seconds(60);
    while (imported() < rows) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the importer did not reach " << rows << " rows";
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  std::string Shards() {
    auto r = Cli({"shards", "--stream", stream_});
    return r.out;
  }

  TempDir dir_;
  std::string endpoint_;
  std::string stream_;
};

// follow into PostgreSQL (readable while follow writes), split and merge while producing.
TEST_F(ReshardTest, FollowKeepsEachKeysOrderAcrossSplitAndMerge) {
  const std::string url = PostgresUrl();
  const std::string schema = "reshard_" + RandomSuffix();
  const std::string table = schema + ".t";
  PostgresCsv(url, "CREATE SCHEMA " + schema + "; CREATE TABLE " + table +
                       "(k text, n bigint, kinesis_shard_id text, shard_sequence_number text)");
  Sdk({"create", "--shards", "2"});
  constexpr int kRounds = 200;
  ChildProcess producer(NodeArgv("sdk_client.js", Node({"produce", "--keys", std::to_string(kKeys), "--rounds",
                                                         std::to_string(kRounds), "--interval-ms", "20"})),
                        dir_.File("producer"));
  std::vector<std::string> args{"follow", "--stream", stream_, "--table", table, "--db", url,
                                "--commit-interval", "200ms", "--shard-refresh", "1s"};
  for (auto& a : Aws()) args.push_back(a);
  ChildProcess follow(CliArgv(args), dir_.File("follow"));

  std::atomic<bool> done{false};
  std::atomic<int64_t> seen{0};
  std::string violation;
  int observed = 0;
  std::thread observer([&] {
    while (!done && violation.empty()) {
      int64_t rows = 0;
      std::string v = CheckKeyCounters(PostgresCsv(url, CountersSql(table)), 0, &rows);
      if (!v.empty()) violation = v;
      seen = rows;
      ++observed;
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  Reshard([&] { return seen.load(); });
  ASSERT_EQ(producer.Wait(seconds(120)), 0) << producer.Err();
  const int64_t expected = int64_t{kKeys} * kRounds;
  int64_t total = 0;
  auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (std::chrono::steady_clock::now() < deadline && violation.empty()) {
    CheckKeyCounters(PostgresCsv(url, CountersSql(table)), 0, &total);
    if (total >= expected) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  done = true;
  observer.join();
  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(10)), 0) << follow.Err();
  EXPECT_EQ(violation, "") << "observed " << observed << " times";
  std::cout << "observed the table " << observed << " times while following\n";
  EXPECT_EQ(CheckKeyCounters(PostgresCsv(url, CountersSql(table)), 0, &total), "");
  EXPECT_EQ(total, expected) << follow.Err() << "\n" << Shards();
  EXPECT_EQ(PostgresCsv(url, "SELECT count(*) FROM (SELECT DISTINCT kinesis_shard_id FROM " + table + ") s"),
            "5\n")
      << "every generation of shards had records";
  PostgresCsv(url, "DROP SCHEMA " + schema + " CASCADE");
}

// The same with `run` capped at 100 records per shard, again and again, into DuckDB.
TEST_F(ReshardTest, CappedRunsKeepEachKeysOrderAcrossSplitAndMerge) {
  const std::string db = dir_.File("t.duckdb");
  ExecDuckDbFile(db, "CREATE TABLE t(k VARCHAR, n BIGINT, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)");
  Sdk({"create", "--shards", "2"});
  constexpr int kRounds = 200;
  ChildProcess producer(NodeArgv("sdk_client.js", Node({"produce", "--keys", std::to_string(kKeys), "--rounds",
                                                         std::to_string(kRounds), "--interval-ms", "20"})),
                        dir_.File("producer"));
  std::atomic<bool> done{false};
  std::atomic<int64_t> seen{0};
  std::string violation;
  int runs = 0;
  std::thread runner([&] {
    while (!done && violation.empty()) {
      auto r = Cli({"run", "--stream", stream_, "--table", "t", "--db", db, "--max-records-per-run", "100"});
      if (r.exit_code != 0) {
        violation = "run failed: " + r.err;
        break;
      }
      ++runs;
      int64_t rows = 0;
      std::string v = CheckKeyCounters(DuckDbCsv(db, CountersSql("t")), 0, &rows);
      if (!v.empty()) violation = v;
      seen = rows;
    }
  });
  Reshard([&] { return violation.empty() ? seen.load() : INT64_MAX; });
  ASSERT_EQ(producer.Wait(seconds(120)), 0) << producer.Err();
  done = true;
  runner.join();
  ASSERT_EQ(violation, "") << "after " << runs << " runs";
  const int64_t expected = int64_t{kKeys} * kRounds;
  int64_t total = 0;
  for (int i = 0; i < 40 && total < expected; ++i) {
    auto r = Cli({"run", "--stream", stream_, "--table", "t", "--db", db, "--max-records-per-run", "100"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(CheckKeyCounters(DuckDbCsv(db, CountersSql("t")), 0, &total), "");
  }
  std::cout << runs << " capped runs while producing and resharding\n";
  EXPECT_EQ(total, expected);

  // The closed shards are finished now: a further run makes no GetRecords call on them.
  auto r = Cli({"run", "-v", "--stream", stream_, "--table", "t", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* closed : {"shardId-000000000000", "shardId-000000000001", "shardId-000000000003"}) {
    EXPECT_EQ(r.err.find(std::string("GetRecords ") + closed), std::string::npos)
        << closed << " is finished and must not be read again:\n" << r.err;
  }
  EXPECT_NE(r.err.find("GetRecords shardId-000000000004"), std::string::npos) << r.err;
  auto shown = RunCli({"positions", "show", "--stream", stream_, "--table", "t", "--db", db, "--output", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("\"finished\":true"), std::string::npos) << shown.out;
}

}  // namespace
}  // namespace ki::test
