// Several `follow --worker-id` processes sharing one stream through leases in PostgreSQL
// (docs/scale-out.md), against kinesis-local, with real processes and real signals. Producers put
// per-key counters ({"k": "key3", "n": 17}); in the end every key must hold exactly 1..N: a
// counter twice is a duplicate (a fenced commit that got through), a missing one a loss.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "key_counters.h"
#include "postgres_db.h"
#include "sink/postgres/postgres_sql.h"
#include "test_support.h"

namespace ki::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class LeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    stream_ = UniqueName("leases");
    url_ = PostgresUrl();
    schema_ = "leases_" + RandomSuffix();
    table_ = schema_ + ".t";
    PostgresCsv(url_, "CREATE SCHEMA " + schema_ + "; CREATE TABLE " + table_ +
                          "(k text, n bigint, kinesis_shard_id text, shard_sequence_number text)");
  }
  void TearDown() override { PostgresCsv(url_, "DROP SCHEMA " + schema_ + " CASCADE"); }

  std::vector<std::string> Node(std::vector<std::string> args) const {
    args.insert(args.end(), {"--endpoint", endpoint_, "--stream", stream_});
    return args;
  }
  void Sdk(const std::vector<std::string>& args) {
    auto r = RunNode("sdk_client.js", Node(args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::unique_ptr<ChildProcess> Produce(int keys, int first, int rounds) {
    return std::make_unique<ChildProcess>(
        NodeArgv("sdk_client.js", Node({"produce", "--keys", std::to_string(keys), "--rounds", std::to_string(rounds),
                                        "--first", std::to_string(first), "--interval-ms", "10"})),
        dir_.File("producer" + std::to_string(first)));
  }
  std::unique_ptr<ChildProcess> Worker(const std::string& id, const std::string& commit_interval = "200ms") {
    // application_name tells the test which server sessions are this worker's (AppendedUncommitted).
    std::string db = url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "application_name=ki_" + id;
    std::vector<std::string> args{"follow", "--stream", stream_, "--table", table_, "--db", db,
                                  "--worker-id", id, "--lease-ttl", "2s", "--commit-interval", commit_interval,
                                  "--shard-refresh", "1s", "--endpoint-url", endpoint_, "--region", "us-east-1"};
    return std::make_unique<ChildProcess>(CliArgv(args), dir_.File(id));
  }
  // owner -> live open leases it holds.
  std::map<std::string, int> Owners() {
    std::map<std::string, int> out;
    // Before the first worker has created the lease table, nobody holds anything.
    auto rows = RunPostgresSql(url_, "SELECT owner, count(*) FROM " + schema_ +
                                         ".kinesis_import_leases WHERE state = 'open' AND owner IS NOT NULL"
                                         " AND expires_at > clock_timestamp() GROUP BY owner");
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      if (row.size() == 2 && row[0] && row[1]) out[*row[0]] = std::stoi(*row[1]);
    }
    return out;
  }
  std::string Describe(const std::map<std::string, int>& owners) {
    std::string s;
    for (const auto& [o, n] : owners) s += o + "=" + std::to_string(n) + " ";
    return s;
  }
  // Whether worker `id` holds rows it appended but did not commit: one of its sessions is idle in
  // a transaction that has written (an xid) and whose last statement was the rows' COPY.
  bool AppendedUncommitted(const std::string& id) {
    auto rows = RunPostgresSql(url_,
                               "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ki_" + id +
                                   "' AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
                                   " AND query LIKE 'COPY %'");
    return rows.ok() && rows->size() == 1 && (*rows)[0].size() == 1 && (*rows)[0][0] && *(*rows)[0][0] != "0";
  }
  // Waits until `pred(Owners())`; the time it took.
  double WaitOwners(const std::function<bool(const std::map<std::string, int>&)>& pred, seconds limit,
                    const std::string& what) {
    auto start = Clock::now();
    std::map<std::string, int> o;
    while (!pred(o = Owners())) {
      if (Clock::now() - start > limit) {
        ADD_FAILURE() << what << ": not within " << limit.count() << " s; leases: " << Describe(o);
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  }
  int64_t Total(int64_t rounds, std::string* violation) {
    int64_t total = 0;
    std::string v = CheckKeyCounters(
        PostgresCsv(url_, "SELECT k, count(*), count(DISTINCT n), min(n), max(n) FROM " + table_ + " GROUP BY k"),
        rounds, &total);
    if (!v.empty() && violation->empty()) *violation = v;
    return total;
  }
  void WaitTotal(int64_t expected, int64_t rounds, std::string* violation) {
    auto deadline = Clock::now() + seconds(30);
    while (Total(rounds, violation) < expected && violation->empty() && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(100));
  }

  TempDir dir_;
  std::string endpoint_, stream_, url_, schema_, table_;
};

// 3 workers share 12 shards; one is killed (-9), a 4th joins, is paused past its TTL with rows
// appended but not committed (SIGSTOP), wakes up (its commit is refused); one leaves with
// SIGTERM (its shards are taken at once). Every counter exactly once.
TEST_F(LeasesTest, WorkersShareShardsThroughKillJoinPauseAndShutdown) {
  constexpr int kKeys = 48;
  Sdk({"create", "--shards", "12"});
  auto w1 = Worker("w1"), w2 = Worker("w2"), w3 = Worker("w3");
  int first = 1;
  auto producer = Produce(kKeys, first, 150);
  first += 150;
  auto is_even = [](const std::map<std::string, int>& o) {
    int sum = 0;
    for (const auto& [k, n] : o) {
      if (n < 3 || n > 5) return false;
      sum += n;
    }
    return o.size() == 3 && sum == 12;
  };
  WaitOwners(is_even, seconds(20), "3 workers with about 4 shards each");
  std::cout << "3 workers: " << Describe(Owners()) << "\n";
  {
    // `status` names each shard's holder and epoch (a claim counts from 1).
    ChildProcess status(CliArgv({"status", "--stream", stream_, "--table", table_, "--db", url_, "--output", "json",
                                 "--endpoint-url", endpoint_, "--region", "us-east-1"}),
                        dir_.File("status"));
    ASSERT_EQ(status.Wait(seconds(30)), 0) << status.Err();
    const std::string json = status.Out();
    for (const char* owner : {"\"owner\":\"w1\"", "\"owner\":\"w2\"", "\"owner\":\"w3\""})
      EXPECT_NE(json.find(owner), std::string::npos) << json;
    EXPECT_EQ(json.find("\"epoch\":null"), std::string::npos) << json;
    EXPECT_EQ(json.find("\"epoch\":0"), std::string::npos) << json;
  }

  // kill -9: its leases expire after the TTL (2 s), the others take them.
  w3->Signal(SIGKILL);
  w3->Wait(seconds(5));
  double took = WaitOwners(
      [](const std::map<std::string, int>& o) {
        return o.count("w3") == 0 && o.size() == 2 && o.at("w1") + o.at("w2") == 12;
      },
      seconds(10), "w3's shards taken after kill -9");
  std::cout << "after kill -9 of w3, its shards were taken in " << took << " s\n";
  EXPECT_LT(took, 2 + 5);
  ASSERT_EQ(producer->Wait(seconds(60)), 0) << producer->Err();

  // A 4th worker with a long commit interval joins and takes its share by handover.
  producer = Produce(kKeys, first, 150);
  first += 150;
  auto w4 = Worker("w4", "60s");
  took = WaitOwners([](const std::map<std::string, int>& o) { return o.size() == 3 && o.count("w4") && o.at("w4") >= 3; },
                    seconds(20), "w4 takes its share");
  std::cout << "w4 joined and holds its share after " << took << " s: " << Describe(Owners()) << "\n";
  ASSERT_TRUE(w1->running() && w2->running()) << "w1: " << w1->Err() << "\nw2: " << w2->Err();
  // Records flow into w4's shards for a while; it appends them but does not commit (60 s).
  std::string violation;
  const int64_t before = Total(0, &violation);
  auto flow_deadline = Clock::now() + seconds(15);
  while (Total(0, &violation) < before + 100 * 2 && Clock::now() < flow_deadline)
    std::this_thread::sleep_for(milliseconds(50));
  // Stopped with appended, uncommitted rows: checked again once it is stopped, since a lease
  // change may have made it commit between the check and the signal.
  bool stopped_with_rows = false;
  while (!stopped_with_rows && Clock::now() < flow_deadline + seconds(15)) {
    if (!AppendedUncommitted("w4")) {
      std::this_thread::sleep_for(milliseconds(20));
      continue;
    }
    w4->Signal(SIGSTOP);
    std::this_thread::sleep_for(milliseconds(100));  // let the server see what w4 last sent
    stopped_with_rows = AppendedUncommitted("w4");
    if (!stopped_with_rows) w4->Signal(SIGCONT);
  }
  ASSERT_TRUE(stopped_with_rows) << "w4 never held appended, uncommitted rows: " << w4->Err();
  // Taken, not only expired: an expired lease nobody claimed yet is still w4's (same epoch), and
  // w4 may renew it when it wakes up, which is safe and not what this step is about.
  took = WaitOwners(
      [](const std::map<std::string, int>& o) {
        return o.count("w4") == 0 && o.size() == 2 && o.at("w1") + o.at("w2") == 12;
      },
      seconds(10), "w4's shards taken by the others while it is stopped");
  std::cout << "w4 stopped; its shards taken after " << took << " s\n";
  w4->Signal(SIGCONT);
  auto logged_deadline = Clock::now() + seconds(20);
  while (w4->Err().find("the commit was refused") == std::string::npos && Clock::now() < logged_deadline)
    std::this_thread::sleep_for(milliseconds(50));
  EXPECT_NE(w4->Err().find("lost the lease"), std::string::npos) << "w4: " << w4->Err() << "\nw1: " << w1->Err();
  EXPECT_NE(w4->Err().find("the commit was refused"), std::string::npos) << w4->Err();
  ASSERT_EQ(producer->Wait(seconds(90)), 0) << producer->Err();

  // SIGTERM: w1 commits, releases; the others take its shards at once (not after the TTL).
  WaitOwners([](const std::map<std::string, int>& o) { return o.count("w1") > 0; }, seconds(10), "w1 holds shards");
  auto sigterm = Clock::now();
  w1->Signal(SIGTERM);
  EXPECT_EQ(w1->Wait(seconds(10)), 0) << w1->Err();
  took = WaitOwners(
      [](const std::map<std::string, int>& o) {
        int sum = 0;
        for (const auto& [k, n] : o) sum += n;
        return o.count("w1") == 0 && sum == 12;
      },
      seconds(10), "w1's shards taken after SIGTERM");
  took = std::chrono::duration<double>(Clock::now() - sigterm).count();
  std::cout << "after SIGTERM of w1, its shards were taken within " << took << " s\n";
  EXPECT_LT(took, 5);

  // w4 commits only every 60 s: its SIGTERM commits what it read and hands its shards to w2.
  w4->Signal(SIGTERM);
  EXPECT_EQ(w4->Wait(seconds(10)), 0) << w4->Err();
  const int64_t rounds = first - 1;
  WaitTotal(int64_t{kKeys} * rounds, rounds, &violation);
  EXPECT_EQ(violation, "");
  EXPECT_EQ(Total(rounds, &violation), int64_t{kKeys} * rounds) << w2->Err();
  w2->Signal(SIGTERM);
  EXPECT_EQ(w2->Wait(seconds(10)), 0) << w2->Err();
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + schema_ +
                                  ".kinesis_import_leases WHERE owner IS NOT NULL AND expires_at > clock_timestamp()"),
            "0\n")
      << "every lease released at SIGTERM";
}

// A split and a merge while two workers share the stream: a child is read only after its parent
// is finished (by whichever worker holds it), so each key's counters are 1..k at every moment.
TEST_F(LeasesTest, SplitAndMergeKeepEachKeysOrderAcrossWorkers) {
  constexpr int kKeys = 8, kRounds = 200;
  Sdk({"create", "--shards", "2"});
  auto w1 = Worker("a1"), w2 = Worker("a2");
  auto producer = Produce(kKeys, 1, kRounds);
  std::atomic<bool> done{false};
  std::atomic<int64_t> seen{0};
  std::string violation;
  std::thread observer([&] {
    while (!done && violation.empty()) {
      std::string v;
      seen = Total(0, &v);
      if (!v.empty()) violation = v;
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  auto wait_rows = [&](int64_t rows) {
    auto deadline = Clock::now() + seconds(30);
    while (seen < rows && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(50));
  };
  wait_rows(20 * kKeys);
  Sdk({"split", "--shard", "shardId-000000000000"});
  wait_rows(seen + 40 * kKeys);
  Sdk({"merge", "--shard", "shardId-000000000003", "--adjacent", "shardId-000000000001"});
  ASSERT_EQ(producer->Wait(seconds(60)), 0) << producer->Err();
  const int64_t expected = int64_t{kKeys} * kRounds;
  auto deadline = Clock::now() + seconds(30);
  while (seen < expected && violation.empty() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(50));
  done = true;
  observer.join();
  EXPECT_EQ(violation, "");
  EXPECT_EQ(Total(kRounds, &violation), expected) << w1->Err() << w2->Err();
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM (SELECT DISTINCT kinesis_shard_id FROM " + table_ + ") s"), "5\n")
      << "every generation of shards had records";
  EXPECT_EQ(PostgresCsv(url_, "SELECT string_agg(shard_id, ' ' ORDER BY shard_id) FROM " + schema_ +
                                  ".kinesis_import_leases WHERE state = 'finished'"),
            "shardId-000000000000 shardId-000000000001 shardId-000000000003\n");
  for (auto* w : {w1.get(), w2.get()}) {
    w->Signal(SIGTERM);
    EXPECT_EQ(w->Wait(seconds(10)), 0) << w->Err();
  }
}

// DuckDB cannot be shared: --worker-id with a DuckDB target is refused, pointing at PostgreSQL.
TEST_F(LeasesTest, WorkerIdWithDuckDbIsRefused) {
  auto r = RunCli({"follow", "--stream", stream_, "--table", "t", "--db", dir_.File("t.duckdb"), "--worker-id", "x",
                   "--endpoint-url", endpoint_, "--region", "us-east-1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("DuckDB"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PostgreSQL"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ki::test
