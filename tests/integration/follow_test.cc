// `kinesis-import follow` as a user runs it: a child process left running against kinesis-local,
// importing into a DuckDB file or PostgreSQL while the test puts records (tests/node/sdk_client.js,
// an independent client), queries the table, sends signals, kill -9s it, and stops the emulator
// or the database under it. Every wait has a deadline; the sleeps that remain are the scenario
// (Kinesis down for 20 s, the random kill moments).
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "child_process.h"
#include "duckdb_file.h"
#include "own_postgres.h"
#include "postgres_db.h"
#include "sink/postgres/postgres_sql.h"
#include "test_support.h"

namespace ki::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kTableColumns =
    "(k VARCHAR, n BIGINT, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)";

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

// PostgreSQL rows as the CSV PostgresCsv prints: "3,abc\n", NULL as "NULL".
std::string RowsCsv(const PostgresRows& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + row[i].value_or("NULL");
    out += "\n";
  }
  return out;
}

// Where follow writes: a DuckDB file, or a schema of its own on the shared PostgreSQL server.
class Target {
 public:
  Target(bool postgres, const TempDir& dir) : postgres_(postgres) {
    if (postgres_) {
      url_ = PostgresUrl();
      schema_ = "ki_follow_" + RandomSuffix();
      auto created = RunPostgresSql(url_, "CREATE SCHEMA " + schema_);
      EXPECT_TRUE(created.ok()) << created.status().message();
      db_ = url_ + "?options=-csearch_path%3D" + schema_;
    } else {
      db_ = dir.File("follow.duckdb");
    }
  }
  ~Target() {
    if (postgres_) (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + " CASCADE");
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const std::string& db() const { return db_; }
  bool postgres() const { return postgres_; }

  void CreateTable(const std::string& table) {
    std::string sql = "CREATE TABLE " + table + " " + kTableColumns;
    if (postgres_) PostgresCsv(db_, sql);
    else ExecDuckDbFile(db_, sql);
  }
  // The rows of `sql` as CSV without a header, or nullopt when the query failed (a DuckDB file
  // follow has open at this moment, a database restarting). DuckDB goes through the `sql`
  // command in its own process, as a user would query the file while follow runs.
  std::optional<std::string> TryQuery(const std::string& sql) const {
    if (postgres_) {
      auto r = RunPostgresSql(db_, sql);
      if (!r.ok()) return std::nullopt;
      return RowsCsv(*r);
    }
    auto r = RunCli({"sql", "--db", db_, "--csv", sql});
    if (r.exit_code != 0) return std::nullopt;
    size_t nl = r.out.find('\n');
    return nl == std::string::npos ? std::string() : r.out.substr(nl + 1);
  }
  // Retries TryQuery until it answers or the deadline passes (then fails the test).
  std::string Query(const std::string& sql, milliseconds deadline = seconds(20)) const {
    auto until = Clock::now() + deadline;
    for (;;) {
      if (auto r = TryQuery(sql)) return *r;
      if (Clock::now() >= until) {
        ADD_FAILURE() << "query did not succeed within " << deadline.count() << " ms: " << sql;
        return "";
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  int64_t Count(const std::string& table, milliseconds deadline = seconds(20)) const {
    std::string r = Query("SELECT count(*) FROM " + table, deadline);
    return r.empty() ? -1 : std::atoll(r.c_str());
  }

 private:
  bool postgres_;
  std::string url_, schema_, db_;
};

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override { endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT"); }

  void CreateStream(const std::string& stream, int shards) {
    auto r = RunCli({"stream", "create", "--stream", stream, "--shards", std::to_string(shards), "--endpoint-url",
                     endpoint_, "--region", "us-east-1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // `rounds` rounds of one record per key (key0..key<keys-1>), counters first..first+rounds-1.
  void Produce(const std::string& stream, int keys, int rounds, int first, int interval_ms = 0) {
    std::vector<std::string> args{"produce", "--endpoint", endpoint_, "--stream", stream, "--keys",
                                  std::to_string(keys), "--rounds", std::to_string(rounds), "--first",
                                  std::to_string(first)};
    if (interval_ms > 0) args.insert(args.end(), {"--interval-ms", std::to_string(interval_ms)});
    auto r = RunNode("sdk_client.js", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<std::string> FollowArgs(const std::string& stream, const std::string& table, const std::string& db,
                                      std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"follow", "--stream", stream, "--table", table, "--db", db, "--endpoint-url",
                                  endpoint_, "--region", "us-east-1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return CliArgv(args);
  }
  // Waits until `table` holds `rows` rows; false at the deadline.
  static bool WaitForRows(const Target& target, const std::string& table, int64_t rows, milliseconds deadline,
                          ChildProcess* follow = nullptr) {
    auto until = Clock::now() + deadline;
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (left.count() <= 0) return false;
      auto r = target.TryQuery("SELECT count(*) FROM " + table);
      if (r && std::atoll(r->c_str()) >= rows) return std::atoll(r->c_str()) == rows;
      if (follow && !follow->running()) {
        ADD_FAILURE() << "follow exited while the test waited for rows: " << follow->Err();
        return false;
      }
      // A DuckDB query holds the file follow commits to: poll it less often.
      std::this_thread::sleep_for(milliseconds(target.postgres() ? 20 : 100));
    }
  }
  // Each key's counters are exactly 1..k, once each: "key0,12,12,1,12\n..." for `keys` keys.
  static std::string WholeCounters(int keys, int k) {
    std::string out;
    for (int i = 0; i < keys; ++i)
      out += "key" + std::to_string(i) + "," + std::to_string(k) + "," + std::to_string(k) + ",1," +
             std::to_string(k) + "\n";
    return out;
  }
  static std::string CountersQuery(const std::string& table) {
    return "SELECT k, count(*), count(DISTINCT n), min(n), max(n) FROM " + table + " GROUP BY k ORDER BY k";
  }

  std::string endpoint_;
};

class FollowBothSinksTest : public FollowTest, public ::testing::WithParamInterface<bool> {};

// Records put while follow runs are in the table within 3 s; SIGTERM exits 0 within 5 s; a
// restart imports what was put meanwhile; every record is there exactly once.
TEST_P(FollowBothSinksTest, PutRecordsVisibleWithinThreeSecondsAndExactlyOnceAcrossRestart) {
  TempDir dir;
  Target target(GetParam(), dir);
  std::string stream = UniqueName("follow-latency");
  CreateStream(stream, 2);
  target.CreateTable("t");
  constexpr int kKeys = 3;
  {
    ChildProcess follow(FollowArgs(stream, "t", target.db()), dir.File("follow1"));
    // The first round shows that follow is up and reading.
    Produce(stream, kKeys, 1, 1);
    ASSERT_TRUE(WaitForRows(target, "t", kKeys, seconds(30), &follow)) << follow.Err();
    int64_t worst = 0;
    for (int round = 2; round <= 6; ++round) {
      Produce(stream, kKeys, 1, round);
      auto put_returned = Clock::now();
      // Latency up to the start of the query that saw the rows (a `sql` process takes a while to
      // answer on a loaded machine; that time is the test's, not follow's).
      bool visible = false;
      int64_t latency = -1;
      while (!visible && MillisSince(put_returned) < 3000 && follow.running()) {
        int64_t asked_at = MillisSince(put_returned);
        auto r = target.TryQuery("SELECT count(*) FROM t");
        visible = r && std::atoll(r->c_str()) == kKeys * round;
        if (visible) latency = asked_at;
        else std::this_thread::sleep_for(milliseconds(target.postgres() ? 20 : 100));
      }
      std::cout << "round " << round << ": put -> row visible in " << latency << " ms" << std::endl;
      EXPECT_TRUE(visible) << "round " << round << " not in the table 3 s after the put returned";
      worst = std::max(worst, latency);
    }
    RecordProperty("worst_put_to_visible_ms", static_cast<int>(worst));
    auto term = Clock::now();
    follow.Signal(SIGTERM);
    EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();
    std::cout << "SIGTERM -> exit in " << MillisSince(term) << " ms" << std::endl;
  }
  // Put while nobody follows, then restart, put more, stop.
  Produce(stream, kKeys, 4, 7);
  {
    ChildProcess follow(FollowArgs(stream, "t", target.db()), dir.File("follow2"));
    ASSERT_TRUE(WaitForRows(target, "t", kKeys * 10, seconds(30), &follow)) << follow.Err();
    Produce(stream, kKeys, 2, 11);
    ASSERT_TRUE(WaitForRows(target, "t", kKeys * 12, seconds(10), &follow)) << follow.Err();
    follow.Signal(SIGTERM);
    EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();
  }
  EXPECT_EQ(target.Query(CountersQuery("t")), WholeCounters(kKeys, 12));
  EXPECT_EQ(target.Query("SELECT count(DISTINCT kinesis_shard_id || '/' || shard_sequence_number) FROM t"), "36\n");
}

INSTANTIATE_TEST_SUITE_P(Sinks, FollowBothSinksTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Postgres" : "DuckDb"; });

// One shard; lines {"k":"key<i%10>","n":<i/10+1>} under one partition key, so the stream holds
// them in file order and every commit of a prefix leaves each key's counters 1..k.
std::string CounterLines(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i)
    out += "{\"k\":\"key" + std::to_string(i % 10) + "\",\"n\":" + std::to_string(i / 10 + 1) + "}\n";
  return out;
}

// The second signal exits at once (130 after SIGINT) without committing, while follow is busy:
// its commit is held up by another holder of the table (a reader process with the DuckDB file
// open; a PostgreSQL transaction with the table locked), and the table keeps only whole commits.
TEST_P(FollowBothSinksTest, SecondSignalExitsAtOnceAndLeavesOnlyWholeCommits) {
  TempDir dir;
  Target target(GetParam(), dir);
  std::string stream = UniqueName("follow-signal");
  CreateStream(stream, 1);
  target.CreateTable("t");
  auto started = Clock::now();
  auto phase = [&](const char* what) { std::cout << MillisSince(started) << " ms: " << what << std::endl; };
  auto put = [&](int from, int to) {
    WriteFile(dir.File("in.ndjson"), CounterLines(from, to));
    auto r = RunNode("sdk_client.js", {"put", "--endpoint", endpoint_, "--stream", stream, "--file",
                                       dir.File("in.ndjson"), "--key", "p"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  ChildProcess follow(FollowArgs(stream, "t", target.db(), {"--commit-interval", "200ms", "--log-level", "info"}),
                      dir.File("follow"));
  put(0, 1000);
  ASSERT_TRUE(WaitForRows(target, "t", 1000, seconds(30), &follow)) << follow.Err();
  phase("1000 rows committed");

  // Hold the table; a DuckDB reader is another process, as a user's duckdb CLI would be.
  std::unique_ptr<ChildProcess> duckdb_reader;
  PGconn* locker = nullptr;
  if (target.postgres()) {
    locker = PQconnectdb(target.db().c_str());
    ASSERT_EQ(PQstatus(locker), CONNECTION_OK) << PQerrorMessage(locker);
    PGresult* r = PQexec(locker, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(locker);
    PQclear(r);
  } else {
    // A long query in another process; the DuckDB CLI is not installed, so a Node DuckDB client
    // opens the file (retrying while follow has it) and keeps it open.
    duckdb_reader = std::make_unique<ChildProcess>(
        std::vector<std::string>{"node", "-e",
                                 "const d=require('" + std::string(KI_SOURCE_DIR) +
                                     "/tests/node/node_modules/@duckdb/node-api');"
                                     "(async()=>{for(;;){try{const i=await d.DuckDBInstance.create(process.argv[1]);"
                                     "const c=await i.connect();await c.run('SELECT count(*) FROM t');"
                                     "console.log('holding');setInterval(()=>{},1000);globalThis.keep=[i,c];return;}"
                                     "catch(e){await new Promise((r)=>setTimeout(r,20));}}})()",
                                 target.db()},
        dir.File("reader"));
    auto until = Clock::now() + seconds(20);
    while (duckdb_reader->Out().find("holding") == std::string::npos && Clock::now() < until && duckdb_reader->running())
      std::this_thread::sleep_for(milliseconds(20));
    ASSERT_NE(duckdb_reader->Out().find("holding"), std::string::npos) << duckdb_reader->Err();
  }
  phase("table held");
  put(1000, 1500);
  // Evidence that follow is stuck in its commit: PostgreSQL shows its INSERT/COPY waiting on our
  // lock; for DuckDB, follow logs that it is still trying to open the file.
  auto until = Clock::now() + seconds(30);
  bool busy = false;
  while (!busy && Clock::now() < until && follow.running()) {
    if (target.postgres()) {
      auto r = RunPostgresSql(target.db(),
                              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                              "datname = current_database() AND pid <> pg_backend_pid()");
      busy = r.ok() && !r->empty() && (*r)[0][0].value_or("0") != "0";
    } else {
      busy = follow.Err().find("still trying") != std::string::npos;
    }
    if (!busy) std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(busy) << "follow never blocked on the held table: " << follow.Err();
  phase("follow waits for the table");
  follow.Signal(SIGTERM);
  std::this_thread::sleep_for(milliseconds(200));  // the first signal is taken before the second
  ASSERT_TRUE(follow.running()) << "follow exited after one signal while its commit was held: " << follow.Err();
  auto second = Clock::now();
  follow.Signal(SIGINT);
  EXPECT_EQ(follow.Wait(seconds(2)), 130) << follow.Err();
  std::cout << "second signal -> exit in " << MillisSince(second) << " ms" << std::endl;
  if (locker) {
    PQclear(PQexec(locker, "ROLLBACK"));
    PQfinish(locker);
  }
  if (duckdb_reader) {
    duckdb_reader->Signal(SIGKILL);
    duckdb_reader->Wait(seconds(5));
  }
  EXPECT_EQ(target.Query(CountersQuery("t")), WholeCounters(10, 100));

  // A restart imports the rest once.
  ChildProcess again(FollowArgs(stream, "t", target.db(), {"--commit-interval", "200ms"}), dir.File("again"));
  ASSERT_TRUE(WaitForRows(target, "t", 1500, seconds(30), &again)) << again.Err();
  phase("the rest imported after a restart");
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(seconds(5)), 0) << again.Err();
  EXPECT_EQ(target.Query(CountersQuery("t")), WholeCounters(10, 150));
}

// While follow runs on a DuckDB file, `kinesis-import sql` on the file answers within a few
// seconds, again and again, and the count grows.
TEST_F(FollowTest, DuckDbFileQueryableWhileFollowImports) {
  TempDir dir;
  Target target(false, dir);
  std::string stream = UniqueName("follow-query");
  CreateStream(stream, 2);
  target.CreateTable("t");
  ChildProcess follow(FollowArgs(stream, "t", target.db()), dir.File("follow"));
  ChildProcess producer(NodeArgv("sdk_client.js", {"produce", "--endpoint", endpoint_, "--stream", stream, "--keys",
                                                   "5", "--rounds", "150", "--interval-ms", "20"}),
                        dir.File("producer"));
  std::vector<int64_t> counts;
  for (int i = 0; i < 6 && producer.running(); ++i) {
    auto start = Clock::now();
    std::optional<std::string> r;
    while (!(r = target.TryQuery("SELECT count(*) FROM t")) && MillisSince(start) < 5000)
      std::this_thread::sleep_for(milliseconds(20));
    int64_t took = MillisSince(start);
    ASSERT_TRUE(r.has_value()) << "`sql` did not get the file within 5 s";
    counts.push_back(std::atoll(r->c_str()));
    std::cout << "query " << i << ": count " << counts.back() << " after " << took << " ms" << std::endl;
    std::this_thread::sleep_for(milliseconds(700));  // the next user query, a moment later
  }
  ASSERT_GE(counts.size(), 3u) << "the producer finished too early";
  EXPECT_TRUE(std::is_sorted(counts.begin(), counts.end()));
  EXPECT_GT(counts.back(), counts.front()) << "follow did not keep importing while the file was queried";
  ASSERT_EQ(producer.Wait(seconds(60)), 0) << producer.Err();
  ASSERT_TRUE(WaitForRows(target, "t", 750, seconds(30), &follow)) << follow.Err();
  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();
  EXPECT_EQ(target.Query(CountersQuery("t")), WholeCounters(5, 150));
}

// PostgreSQL: one follow per (stream, table); a second fails fast with exit 2 and says why, a
// follow of the same stream into another table proceeds.
TEST_F(FollowTest, PostgresSecondFollowOnSameStreamAndTableFailsFast) {
  TempDir dir;
  Target target(true, dir);
  std::string stream = UniqueName("follow-guard");
  CreateStream(stream, 1);
  target.CreateTable("t");
  target.CreateTable("t2");
  ChildProcess first(FollowArgs(stream, "t", target.db()), dir.File("first"));
  Produce(stream, 2, 1, 1);
  ASSERT_TRUE(WaitForRows(target, "t", 2, seconds(30), &first)) << first.Err();

  auto start = Clock::now();
  ChildProcess second(FollowArgs(stream, "t", target.db()), dir.File("second"));
  EXPECT_EQ(second.Wait(seconds(10)), 2) << second.Err();
  std::cout << "second follow refused in " << MillisSince(start) << " ms: " << second.Err();
  EXPECT_NE(second.Err().find("another `kinesis-import follow`"), std::string::npos) << second.Err();
  EXPECT_NE(second.Err().find(stream), std::string::npos) << second.Err();
  EXPECT_EQ(second.Err().find("pg-secret"), std::string::npos) << "the password was printed";

  ChildProcess other(FollowArgs(stream, "t2", target.db()), dir.File("other"));
  ASSERT_TRUE(WaitForRows(target, "t2", 2, seconds(30), &other)) << other.Err();
  Produce(stream, 2, 1, 2);
  ASSERT_TRUE(WaitForRows(target, "t", 4, seconds(10), &first)) << first.Err();
  ASSERT_TRUE(WaitForRows(target, "t2", 4, seconds(10), &other)) << other.Err();
  for (ChildProcess* p : {&first, &other}) {
    p->Signal(SIGTERM);
    EXPECT_EQ(p->Wait(seconds(5)), 0) << p->Err();
  }
}

// commit_interval, commit_records and shard_refresh in a job file: follow takes them, run
// refuses them (exit 2, naming the key); a duration that does not parse is exit 2.
TEST_F(FollowTest, JobFileFollowKeysAcceptedByFollowRefusedByRun) {
  TempDir dir;
  Target target(false, dir);
  std::string stream = UniqueName("follow-job");
  CreateStream(stream, 1);
  target.CreateTable("t");
  const std::string base = "stream_name = \"" + stream + "\"\ntable_name = \"t\"\ndb = \"" + target.db() +
                           "\"\nendpoint_url = \"" + endpoint_ + "\"\nregion = \"us-east-1\"\n";
  const std::pair<const char*, const char*> keys[] = {
      {"commit_interval", "\"250ms\""}, {"commit_records", "500"}, {"shard_refresh", "\"2s\""}};
  for (const auto& [key, value] : keys) {
    WriteFile(dir.File("run.toml"), base + key + " = " + value + "\n");
    auto r = RunCli({"run", "--config", dir.File("run.toml")});
    EXPECT_EQ(r.exit_code, 2) << key << ": " << r.err;
    EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("follow"), std::string::npos) << r.err;
  }
  std::string all = base;
  for (const auto& [key, value] : keys) all += std::string(key) + " = " + value + "\n";
  WriteFile(dir.File("follow.toml"), all);
  ChildProcess follow(CliArgv({"follow", "--config", dir.File("follow.toml")}), dir.File("follow"));
  Produce(stream, 2, 3, 1);
  ASSERT_TRUE(WaitForRows(target, "t", 6, seconds(30), &follow)) << follow.Err();
  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();

  // Bad durations, on the command line and in the file.
  for (const auto& flag : {"--commit-interval", "--shard-refresh"}) {
    for (const char* bad : {"soon", "5", "-1s", "0s"}) {
      auto r = RunCli({"follow", "--stream", stream, "--table", "t", "--db", target.db(), "--endpoint-url",
                       endpoint_, "--region", "us-east-1", flag, bad});
      EXPECT_EQ(r.exit_code, 2) << flag << " " << bad << ": " << r.err;
      EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    }
  }
  WriteFile(dir.File("bad.toml"), base + "commit_interval = \"soon\"\n");
  auto r = RunCli({"follow", "--config", dir.File("bad.toml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("commit_interval"), std::string::npos) << r.err;
  WriteFile(dir.File("bad.toml"), base + "commit_records = 0\n");
  r = RunCli({"follow", "--config", dir.File("bad.toml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("commit_records"), std::string::npos) << r.err;
}


// (shard, sequence number) of every record, from the independent reader.
std::set<std::string> StreamRecords(const std::string& endpoint, const std::string& stream) {
  auto r = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint, "--stream", stream});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> out;
  simdjson::dom::parser parser;
  for (const auto& line : Lines(r.out)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) {
      ADD_FAILURE() << line;
      continue;
    }
    out.insert(std::string(doc["shard_id"].get_string().value()) + "/" +
               std::string(doc["sequence_number"].get_string().value()));
  }
  return out;
}

// kill -9 of follow at 20 random moments while a producer runs, each followed by a restart: at
// the end the table holds exactly the records the independent reader sees, each once.
TEST_F(FollowTest, KillNineAtTwentyRandomMomentsLosesAndDoublesNothing) {
  TempDir dir;
  Target target(false, dir);
  std::string stream = UniqueName("follow-kill");
  CreateStream(stream, 2);
  target.CreateTable("t");
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("KI_FOLLOW_KILL_SEED")) seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  std::cout << "kill moments: seed " << seed << " (KI_FOLLOW_KILL_SEED=" << seed << " repeats them)" << std::endl;
  RecordProperty("kill_seed", std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(150, 1500);
  ChildProcess producer(NodeArgv("sdk_client.js", {"produce", "--endpoint", endpoint_, "--stream", stream, "--keys",
                                                   "4", "--rounds", "100000", "--interval-ms", "20"}),
                        dir.File("producer"));
  std::string moments;
  int kills_while_producing = 0;
  for (int i = 0; i < 20; ++i) {
    ChildProcess follow(FollowArgs(stream, "t", target.db(), {"--commit-interval", "200ms"}),
                        dir.File("follow" + std::to_string(i)));
    int ms = delay_ms(rng);
    moments += (i ? " " : "") + std::to_string(ms);
    std::this_thread::sleep_for(milliseconds(ms));  // the scenario: a crash at a random moment
    ASSERT_TRUE(follow.running()) << "follow " << i << " exited before the kill: " << follow.Err();
    if (producer.running()) ++kills_while_producing;
    follow.Signal(SIGKILL);
    EXPECT_EQ(follow.Wait(seconds(5)), 128 + SIGKILL);
  }
  std::cout << "killed after (ms): " << moments << "; " << kills_while_producing
            << " of 20 kills while the producer ran" << std::endl;
  RecordProperty("kill_moments_ms", moments);
  // The producer runs as long as the kills do; stopped in the middle of a round, it may leave
  // keys one counter apart, so the check below is "each key 1..k" with k per key.
  producer.Signal(SIGTERM);
  producer.Wait(seconds(10));
  std::set<std::string> expected = StreamRecords(endpoint_, stream);
  std::cout << "the stream holds " << expected.size() << " records" << std::endl;
  ASSERT_GT(expected.size(), 40u) << "the producer put almost nothing: " << producer.Err();
  ChildProcess follow(FollowArgs(stream, "t", target.db(), {"--commit-interval", "200ms"}), dir.File("final"));
  ASSERT_TRUE(WaitForRows(target, "t", static_cast<int64_t>(expected.size()), seconds(30), &follow))
      << follow.Err();
  follow.Signal(SIGTERM);
  ASSERT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();

  std::string rows = DuckDbCsv(target.db(), "SELECT kinesis_shard_id || '/' || shard_sequence_number FROM t");
  std::vector<std::string> lines = Lines(rows);
  std::set<std::string> imported(lines.begin(), lines.end());
  EXPECT_EQ(lines.size(), imported.size()) << "a record was imported twice";
  EXPECT_TRUE(imported == expected) << "imported " << imported.size() << ", stream holds " << expected.size();
  EXPECT_EQ(DuckDbCsv(target.db(), "SELECT count(*) FROM (SELECT k FROM t GROUP BY k HAVING count(*) <> max(n) OR "
                                   "count(DISTINCT n) <> count(*) OR min(n) <> 1)"),
            "0\n");
}

bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

bool WaitForPort(int port, ChildProcess& server, milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (Clock::now() < until && server.running()) {
    if (PortAccepts(port)) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

// kinesalite of the test's own (the shared emulators keep serving the other tests), its data in
// `path` so that it survives a restart.
std::unique_ptr<ChildProcess> StartKinesalite(int port, const std::string& path, const std::string& log) {
  std::string src = KI_SOURCE_DIR;
  auto p = std::make_unique<ChildProcess>(
      std::vector<std::string>{"node", "-r", src + "/scripts/lib/force-loopback.js",
                               src + "/tests/node/node_modules/kinesalite/cli.js", "--port", std::to_string(port),
                               "--path", path, "--createStreamMs", "50"},
      log);
  EXPECT_TRUE(WaitForPort(port, *p, seconds(30))) << "kinesalite did not listen: " << p->Err();
  return p;
}

// Kinesis down for 20 s in the middle of follow (the emulator killed, then started again with its
// data): follow keeps running, catches up, and every record is there once.
TEST_F(FollowTest, KinesisDownTwentySecondsFollowKeepsRunning) {
  TempDir dir;
  Target target(false, dir);
  int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
  auto kinesalite = StartKinesalite(port, dir.File("kinesalite-data"), dir.File("kinesalite1"));
  endpoint_ = endpoint;
  std::string stream = UniqueName("follow-down");
  CreateStream(stream, 2);
  target.CreateTable("t");
  ChildProcess follow(FollowArgs(stream, "t", target.db()), dir.File("follow"));
  Produce(stream, 3, 2, 1);
  ASSERT_TRUE(WaitForRows(target, "t", 6, seconds(30), &follow)) << follow.Err();

  kinesalite->Signal(SIGKILL);
  kinesalite->Wait(seconds(5));
  std::this_thread::sleep_for(seconds(20));  // the scenario: Kinesis unreachable for 20 s
  ASSERT_TRUE(follow.running()) << "follow exited while Kinesis was down: " << follow.Err();
  kinesalite = StartKinesalite(port, dir.File("kinesalite-data"), dir.File("kinesalite2"));
  auto back = Clock::now();
  Produce(stream, 3, 2, 3);
  ASSERT_TRUE(WaitForRows(target, "t", 12, seconds(60), &follow)) << follow.Err();
  std::cout << "caught up " << MillisSince(back) << " ms after Kinesis came back" << std::endl;
  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();
  EXPECT_EQ(target.Query(CountersQuery("t")), WholeCounters(3, 4));
  kinesalite->Signal(SIGTERM);
  kinesalite->Wait(seconds(10));
}

// PostgreSQL restarted in the middle of follow: follow reconnects, keeps importing, and every
// record is there once.
TEST_F(FollowTest, PostgresRestartFollowKeepsRunning) {
  TempDir dir;
  OwnPostgres pg(dir);
  ASSERT_TRUE(pg.started());
  ASSERT_TRUE(RunPostgresSql(pg.url(), std::string("CREATE TABLE t ") + kTableColumns).ok());
  std::string stream = UniqueName("follow-pgrestart");
  CreateStream(stream, 2);
  ChildProcess follow(FollowArgs(stream, "t", pg.url()), dir.File("follow"));
  auto count = [&]() -> int64_t {
    auto r = RunPostgresSql(pg.url(), "SELECT count(*) FROM t");
    return r.ok() && !r->empty() ? std::atoll((*r)[0][0].value_or("-1").c_str()) : -1;
  };
  auto wait_rows = [&](int64_t rows, milliseconds deadline) {
    auto until = Clock::now() + deadline;
    while (Clock::now() < until && follow.running()) {
      if (count() == rows) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  };
  Produce(stream, 3, 2, 1);
  ASSERT_TRUE(wait_rows(6, seconds(30))) << follow.Err();
  // Records put while the database is going down and coming back.
  ChildProcess producer(NodeArgv("sdk_client.js", {"produce", "--endpoint", endpoint_, "--stream", stream, "--keys",
                                                   "3", "--rounds", "40", "--first", "3", "--interval-ms", "50"}),
                        dir.File("producer"));
  ASSERT_TRUE(pg.Stop() && pg.Start());
  ASSERT_EQ(producer.Wait(seconds(60)), 0) << producer.Err();
  ASSERT_TRUE(wait_rows(3 * 42, seconds(60))) << "follow did not catch up after the restart: " << follow.Err();
  EXPECT_TRUE(follow.running());
  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(5)), 0) << follow.Err();
  auto rows = RunPostgresSql(pg.url(), CountersQuery("t"));
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ(RowsCsv(*rows), WholeCounters(3, 42));
}

}  // namespace
}  // namespace ki::test
