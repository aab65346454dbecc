// The command line as a user meets it, through the real binary: the retry deadline against an
// endpoint that never answers (issue 8 case 6), messages for bad settings (case 9), the exit-code
// rule (case 10), job files with the seed's parameter names in any case (case 11), and -v /
// --log-level after the subcommand (issue 9). Kinesis traffic goes to the emulator or to a local
// listener on 127.0.0.1 only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "sink/duckdb/duckdb_sql.h"
#include "test_support.h"

namespace ki::test {
namespace {

using Clock = std::chrono::steady_clock;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A TCP listener on 127.0.0.1 that accepts connections and never answers: what a wrong port, a
// stuck proxy or a hung server looks like to a client.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~SilentListener() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) close(c);
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;  // wakes up to see stop_
      int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) {
        clients_.push_back(c);  // held open, never read, never answered
        ++accepted_;
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> clients_;
  std::thread thread_;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void CreateTable(const std::string& db, const std::string& sql) {
  auto r = RunDuckDbSql(db, sql, SqlOutputFormat::kCsv);
  ASSERT_TRUE(r.ok()) << r.status().message();
}

constexpr char kSeedTable[] =
    "CREATE TABLE kinesis_table(sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), "
    "status VARCHAR(100), kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))";

// --- Issue 8 case 6: the retry deadline ----------------------------------------------------------

TEST(CliRetryDeadline, SilentEndpointFailsWithinTheDeadlineAndSaysHowLongItTried) {
  SilentListener silent;
  auto started = Clock::now();
  auto r = RunCli({"shards", "--stream", "orders", "--endpoint-url", silent.url(), "--region", "us-east-1",
                   "--retry-deadline", "2s"});
  double elapsed = Seconds(Clock::now() - started);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // It tried for the deadline, not for 8 x 30 s (4 min 8 s before the fix).
  EXPECT_GE(elapsed, 1.9) << r.err;
  EXPECT_LT(elapsed, 15.0) << r.err;
  EXPECT_GE(silent.accepted(), 1);
  EXPECT_TRUE(Contains(r.err, "ListShards stream 'orders'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "gave up after ")) << r.err;
  EXPECT_TRUE(Contains(r.err, " attempts in 2.0 s; the retry deadline is 2.0 s")) << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST(CliRetryDeadline, JobFileRetryDeadlineAppliesToRun) {
  SilentListener silent;
  TempDir dir;
  std::string db = dir.File("t.duckdb");
  CreateTable(db, kSeedTable);
  WriteFile(dir.File("job.toml"), "STREAM_NAME = \"orders\"\nTABLE_NAME = \"kinesis_table\"\nREGION = \"us-east-1\"\n"
                                  "ENDPOINT_URL = \"" + silent.url() + "\"\nRETRY_DEADLINE = \"1500ms\"\n");
  auto started = Clock::now();
  auto r = RunCli({"run", "--config", dir.File("job.toml"), "--db", db});
  double elapsed = Seconds(Clock::now() - started);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(elapsed, 15.0) << r.err;
  EXPECT_TRUE(Contains(r.err, "the retry deadline is 1.5 s")) << r.err;
  EXPECT_TRUE(Contains(r.err, "'orders'")) << r.err;
}

TEST(CliRetryDeadline, BadDurationIsAUsageErrorAndHelpShowsTheDefault) {
  for (const char* bad : {"5x", "s", "-3s", "1.5s", "0s"}) {
    auto r = RunCli({"shards", "--stream", "orders", "--endpoint-url", "http://127.0.0.1:9", "--region",
                     "us-east-1", "--retry-deadline", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "--retry-deadline")) << r.err;
  }
  for (const char* cmd : {"shards", "peek", "put", "run"}) {
    auto help = RunCli({cmd, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(Contains(help.out, "--retry-deadline")) << cmd << ": " << help.out;
    EXPECT_TRUE(Contains(help.out, "60s")) << cmd;
  }
  auto help = RunCli({"stream", "create", "--help"});
  EXPECT_TRUE(Contains(help.out, "--retry-deadline")) << help.out;
  auto top = RunCli({"--help"});
  EXPECT_TRUE(Contains(top.out, "Exit codes: 0 ok; 2 the command could not start")) << top.out;
}

// --- Issue 8 case 9: messages --------------------------------------------------------------------

TEST(CliMessages, MaxRecordsPerRunZeroSaysAtLeastOne) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"run", "--stream", "s", "--table", "t", "--max-records-per-run", "0"},
        std::vector<std::string>{"peek", "--stream", "s", "-n", "0"},
        std::vector<std::string>{"run", "--stream", "s", "--table", "t", "--max-bad-records", "-1"}}) {
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(Contains(r.err, "must be at least")) << r.err;
    EXPECT_LT(r.err.size(), 200u) << "no 300-digit range: " << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
  TempDir dir;
  WriteFile(dir.File("job.toml"), "stream_name = \"s\"\ntable_name = \"t\"\nmax_records_per_run = 0\n");
  auto r = RunCli({"run", "--config", dir.File("job.toml")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "'max_records_per_run' must be a whole number (a TOML integer), at least 1")) << r.err;
}

TEST(CliMessages, UnknownProfileIsNamedNotReportedAsNoRegion) {
  TempDir home;
  std::map<std::string, std::string> env = {
      {"HOME", home.path()},           {"AWS_REGION", "\x01unset"},
      {"AWS_DEFAULT_REGION", "\x01unset"}, {"AWS_CONFIG_FILE", "\x01unset"},
      {"AWS_SHARED_CREDENTIALS_FILE", "\x01unset"}, {"AWS_PROFILE", "\x01unset"}};
  auto r = RunCli({"shards", "--stream", "s", "--profile", "nope", "--endpoint-url", "http://127.0.0.1:9"}, "", env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "profile 'nope' (from --profile) not found in " + home.path() +
                                  "/.aws/credentials (does not exist) or " + home.path() + "/.aws/config"))
      << r.err;
  EXPECT_FALSE(Contains(r.err, "no region")) << r.err;
  // A config file that exists but lacks the profile: the same message, naming the file.
  std::filesystem::create_directories(home.path() + "/.aws");
  WriteFile(home.path() + "/.aws/config", "[profile other]\nregion = eu-west-1\n");
  r = RunCli({"shards", "--stream", "s", "--profile", "nope", "--endpoint-url", "http://127.0.0.1:9"}, "", env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "profile 'nope' (from --profile) not found in")) << r.err;
  EXPECT_TRUE(Contains(r.err, home.path() + "/.aws/config")) << r.err;
}

// --- Issue 8 case 10: exit codes -----------------------------------------------------------------

TEST(CliExitCodes, EveryConnectionsFileProblemIsExit2NamingFileAndLine) {
  SilentListener silent;  // nothing may reach it: these all fail before any request
  TempDir dir;
  std::string file = dir.File("connections");
  WriteFile(file,
            "# connections\n"
            "GOOD = AWS_ACCESS_KEY=AKIDGOOD;AWS_SECRET_KEY=good-secret\n"
            "BROKEN = AWS_ACCESS_KEY=AKIDBROKEN\n");
  std::string garbage = dir.File("garbage");
  WriteFile(garbage, "GOOD = AWS_ACCESS_KEY=AKIDGOOD;AWS_SECRET_KEY=good-secret\nthis line has no equals sign\n");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> says;
  };
  std::vector<Case> cases = {
      {{"--connection", "BROKEN", "--connections-file", file}, {file + " line 3", "missing AWS_SECRET_KEY"}},
      {{"--connection", "MISSING", "--connections-file", file}, {"connection 'MISSING' not found in " + file, "GOOD"}},
      {{"--connection", "GOOD", "--connections-file", dir.File("nope")}, {dir.File("nope"), "does not exist"}},
      {{"--connection", "GOOD", "--connections-file", garbage}, {garbage + " line 2"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"shards", "--stream", "orders", "--endpoint-url", silent.url(),
                                  "--region", "us-east-1", "--retry-deadline", "1s"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    for (const auto& s : c.says) EXPECT_TRUE(Contains(r.err, s)) << "want '" << s << "' in: " << r.err;
    EXPECT_FALSE(Contains(r.err, "good-secret")) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
  EXPECT_EQ(silent.accepted(), 0);
}

TEST(CliExitCodes, MissingTableAndRawWithTwoDataColumnsAreExit2) {
  SilentListener silent;
  TempDir dir;
  std::string db = dir.File("t.duckdb");
  CreateTable(db, "CREATE TABLE two(a VARCHAR, b VARCHAR, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)");
  std::vector<std::string> aws{"--endpoint-url", silent.url(), "--region", "us-east-1", "--retry-deadline", "1s"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), aws.begin(), aws.end());
    return RunCli(args);
  };
  auto missing = with({"run", "--stream", "orders", "--table", "missing_table", "--db", db});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_TRUE(Contains(missing.err, "missing_table")) << missing.err;
  auto raw = with({"run", "--stream", "orders", "--table", "two", "--db", db, "--format", "raw"});
  EXPECT_EQ(raw.exit_code, 2) << raw.err;
  EXPECT_TRUE(Contains(raw.err, "two")) << raw.err;
  // The missing table's error reads a sample of the stream to suggest its CREATE TABLE (issue
  // 16): one connection, which the silent endpoint never answers; nothing else is sent.
  EXPECT_LE(silent.accepted(), 1);
}

TEST(CliExitCodes, BadStreamNameIsRefusedLocallyByEveryCommand) {
  SilentListener silent;
  TempDir dir;
  std::string db = dir.File("t.duckdb");
  CreateTable(db, kSeedTable);
  std::vector<std::string> aws{"--endpoint-url", silent.url(), "--region", "us-east-1"};
  std::string too_long(129, 'a');
  for (const std::string& name : {std::string("bad name"), too_long, std::string("a/b"), std::string("")}) {
    for (std::vector<std::string> args :
         {std::vector<std::string>{"shards", "--stream", name}, std::vector<std::string>{"peek", "--stream", name},
          std::vector<std::string>{"put", "--stream", name, "-"},
          std::vector<std::string>{"stream", "create", "--stream", name},
          std::vector<std::string>{"run", "--stream", name, "--table", "kinesis_table", "--db", db}}) {
      args.insert(args.end(), aws.begin(), aws.end());
      auto started = Clock::now();
      auto r = RunCli(args, "{\"a\":1}\n");
      EXPECT_EQ(r.exit_code, 2) << args[0] << " '" << name << "': " << r.err;
      EXPECT_LT(Seconds(Clock::now() - started), 10.0);
      if (!name.empty()) {
        EXPECT_TRUE(Contains(r.err, "[a-zA-Z0-9_.-]")) << r.err;
      }
      EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    }
  }
  EXPECT_EQ(silent.accepted(), 0);
}

TEST(CliExitCodes, InsecurePrintsAWarning) {
  std::string endpoint = ServiceEndpoint("KI_KINESALITE_ENDPOINT");
  std::string stream = UniqueName("insecure");
  auto c = RunCli({"stream", "create", "--stream", stream, "--endpoint-url", endpoint, "--region", "us-east-1"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_FALSE(Contains(c.err, "warning")) << c.err;
  auto r = RunCli({"shards", "--stream", stream, "--insecure", "--endpoint-url", endpoint, "--region", "us-east-1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "kinesis-import: warning: --insecure: TLS certificates are not verified")) << r.err;
}

// --- Issue 9: -v and --log-level after the subcommand ---------------------------------------------

TEST(CliGlobalOptions, VerboseAndLogLevelWorkAfterTheSubcommand) {
  std::string endpoint = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
  std::vector<std::string> aws{"--endpoint-url", endpoint, "--region", "us-east-1"};
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.end(), aws.begin(), aws.end());
    return RunCli(args);
  };
  std::string stream = UniqueName("verbose");
  auto create = cli({"stream", "create", "--stream", stream, "-v"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_TRUE(Contains(create.err, " CreateStream -> HTTP 200")) << create.err;
  auto shards = cli({"shards", "--verbose", "--stream", stream});
  EXPECT_EQ(shards.exit_code, 0) << shards.err;
  EXPECT_TRUE(Contains(shards.err, " ListShards -> HTTP 200")) << shards.err;
  auto level = cli({"shards", "--stream", stream, "--log-level", "debug"});
  EXPECT_EQ(level.exit_code, 0) << level.err;
  EXPECT_TRUE(Contains(level.err, " ListShards -> HTTP 200")) << level.err;
  auto quiet = cli({"shards", "--stream", stream});
  EXPECT_FALSE(Contains(quiet.err, "HTTP 200")) << quiet.err;

  TempDir dir;
  std::string db = dir.File("t.duckdb");
  CreateTable(db, kSeedTable);
  auto run = cli({"run", "-v", "--stream", stream, "--table", "kinesis_table", "--db", db});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.err, " GetRecords ")) << run.err;

  auto bad = cli({"shards", "--stream", stream, "--log-level", "loud"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto unknown = cli({"shards", "--stream", stream, "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "--no-such-flag")) << unknown.err;
}

// --- Issue 8 case 11: job files with the seed's parameter names ----------------------------------

TEST(CliJobFile, SeedParameterNamesInAnyCase) {
  std::string endpoint = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
  std::string stream = UniqueName("jobcase");
  TempDir dir;
  auto c = RunCli({"stream", "create", "--stream", stream, "--endpoint-url", endpoint, "--region", "us-east-1"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  std::string ndjson;
  for (int i = 1; i <= 5; ++i)
    ndjson += "{\"sensorId\": " + std::to_string(i) + ", \"currentTemperature\": 20, \"status\": \"OK\"}\n";
  WriteFile(dir.File("in.ndjson"), ndjson);
  auto put = RunCli({"put", "--stream", stream, dir.File("in.ndjson"), "--endpoint-url", endpoint, "--region", "us-east-1"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  std::string db = dir.File("t.duckdb");
  CreateTable(db, kSeedTable);
  std::string connections = dir.File("connections");
  WriteFile(connections, "KINESIS_CONN = AWS_ACCESS_KEY=AKIDJOBFILE;AWS_SECRET_KEY=job-secret\n");
  WriteFile(dir.File("job.toml"),
            "STREAM_NAME = \"" + stream + "\"\n"
            "TABLE_NAME = \"kinesis_table\"\n"
            "MAX_RECORDS_PER_RUN = 3\n"
            "CONNECTION_NAME = \"KINESIS_CONN\"\n"
            "Connections_File = \"" + connections + "\"\n"
            "REGION = \"us-east-1\"\n"
            "endpoint_URL = \"" + endpoint + "\"\n");
  auto r = RunCli({"run", "--config", dir.File("job.toml"), "--db", db, "--output", "json", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_EQ(p.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(doc["total_records"].get_int64().value(), 3);
  EXPECT_TRUE(Contains(r.err, "connection 'KINESIS_CONN' in " + connections)) << r.err;

  WriteFile(dir.File("dup.toml"), "stream_name = \"a\"\nSTREAM_NAME = \"b\"\ntable_name = \"kinesis_table\"\n");
  auto dup = RunCli({"run", "--config", dir.File("dup.toml"), "--db", db});
  EXPECT_EQ(dup.exit_code, 2) << dup.err;
  EXPECT_TRUE(Contains(dup.err, "'stream_name'")) << dup.err;
  EXPECT_TRUE(Contains(dup.err, "'STREAM_NAME'")) << dup.err;
  EXPECT_TRUE(Contains(dup.err, "are the same setting (keys are case-insensitive)")) << dup.err;

  WriteFile(dir.File("unknown.toml"), "STREAM = \"a\"\nTABLE_NAME = \"kinesis_table\"\n");
  auto unknown = RunCli({"run", "--config", dir.File("unknown.toml"), "--db", db});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "unknown key 'STREAM'")) << unknown.err;

  // DuckDB's worker threads: a job-file key and a flag, at least 1; the run still imports.
  WriteFile(dir.File("threads0.toml"), "STREAM_NAME = \"a\"\nTABLE_NAME = \"kinesis_table\"\nDUCKDB_THREADS = 0\n");
  auto zero = RunCli({"run", "--config", dir.File("threads0.toml"), "--db", db});
  EXPECT_EQ(zero.exit_code, 2) << zero.err;
  EXPECT_TRUE(Contains(zero.err, "'DUCKDB_THREADS' must be a whole number")) << zero.err;
  auto flag_zero = RunCli({"run", "--config", dir.File("job.toml"), "--db", db, "--duckdb-threads", "0"});
  EXPECT_EQ(flag_zero.exit_code, 2) << flag_zero.err;
  EXPECT_TRUE(Contains(flag_zero.err, "--duckdb-threads")) << flag_zero.err;
  auto two = RunCli({"run", "--config", dir.File("job.toml"), "--db", db, "--duckdb-threads", "2", "--output", "json"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  ASSERT_EQ(p.parse(two.out).get(doc), simdjson::SUCCESS) << two.out;
  EXPECT_EQ(doc["total_records"].get_int64().value(), 2);  // the 2 the first run left
}

}  // namespace
}  // namespace ki::test
