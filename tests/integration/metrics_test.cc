// --metrics-listen, /healthz, the progress line and JSON logs as a user sees them: `follow` as a
// child process against kinesis-local, importing into a PostgreSQL server of the test's own (so
// the test can stop it), /metrics and /healthz read with libcurl, the body checked by promtool;
// `run` under a pseudo-terminal and with stderr piped.
#include <curl/curl.h>
#include <pty.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "child_process.h"
#include "own_postgres.h"
#include "postgres_db.h"
#include "sink/postgres/postgres_sql.h"
#include "test_support.h"

namespace ki::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct HttpAnswer {
  long status = 0;  // 0: no answer (not listening yet)
  std::string body;
};

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpAnswer HttpGet(const std::string& url) {
  HttpAnswer a;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_easy_cleanup(c);
  return a;
}

// The value of the first sample of `name` whose labels contain `labels` (e.g. `stream="s"`), or
// nullopt when there is none.
std::optional<double> Sample(const std::string& body, const std::string& name, const std::string& labels) {
  for (const std::string& line : Lines(body)) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    size_t close = line.find('}');
    std::string label_text = close == std::string::npos ? "" : line.substr(0, close);
    if (label_text.find(labels) == std::string::npos) continue;
    size_t sp = line.rfind(' ');
    return std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return std::nullopt;
}

// Polls `url` until `accept` likes the answer or the deadline passes.
template <typename Pred>
HttpAnswer WaitFor(const std::string& url, milliseconds deadline, Pred accept, ChildProcess& follow) {
  auto until = Clock::now() + deadline;
  HttpAnswer a;
  while (Clock::now() < until && follow.running()) {
    a = HttpGet(url);
    if (accept(a)) return a;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return a;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override { endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT"); }
  void CreateStream(const std::string& stream, int shards) {
    auto r = RunCli({"stream", "create", "--stream", stream, "--shards", std::to_string(shards), "--endpoint-url",
                     endpoint_, "--region", "us-east-1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void Produce(const std::string& stream, int keys, int rounds, int first) {
    auto r = RunNode("sdk_client.js", {"produce", "--endpoint", endpoint_, "--stream", stream, "--keys",
                                       std::to_string(keys), "--rounds", std::to_string(rounds), "--first",
                                       std::to_string(first)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string endpoint_;
};

// Counters grow as records are put, the body passes promtool, the lag gauge is 0 on the idle
// stream, /healthz turns 503 while the database is down and 200 once it is back; logs are JSON
// lines; follow prints its report at exit.
TEST_F(MetricsTest, FollowServesMetricsAndHealthThroughADatabaseOutage) {
  TempDir dir;
  OwnPostgres pg(dir);
  ASSERT_TRUE(pg.started());
  ASSERT_TRUE(RunPostgresSql(pg.url(), "CREATE TABLE t (k VARCHAR, n BIGINT, kinesis_shard_id VARCHAR, "
                                       "shard_sequence_number VARCHAR)")
                  .ok());
  std::string stream = UniqueName("metrics");
  CreateStream(stream, 2);
  int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ChildProcess follow(CliArgv({"follow", "--stream", stream, "--table", "t", "--db", pg.url(), "--endpoint-url",
                               endpoint_, "--region", "us-east-1", "--commit-interval", "200ms", "--metrics-listen",
                               std::to_string(port), "--log-format", "json", "--log-level", "info", "--progress",
                               "never"}),
                      dir.File("follow"));
  const std::string in_stream = "stream=\"" + stream + "\"";
  auto records = [&](const HttpAnswer& a) { return Sample(a.body, "kinesis_import_records_total", in_stream); };

  Produce(stream, 3, 2, 1);
  HttpAnswer m = WaitFor(base + "/metrics", seconds(20),
                         [&](const HttpAnswer& a) { return a.status == 200 && records(a) == 6.0; }, follow);
  ASSERT_EQ(records(m), 6.0) << m.body << follow.Err();
  EXPECT_GE(Sample(m.body, "kinesis_import_commits_total", in_stream).value_or(0), 1.0);
  EXPECT_GE(Sample(m.body, "kinesis_import_commit_duration_seconds_count", in_stream).value_or(0), 1.0);
  EXPECT_GE(Sample(m.body, "kinesis_import_kinesis_calls_total", "api=\"GetRecords\",outcome=\"ok\"").value_or(0), 1.0);
  EXPECT_EQ(Sample(m.body, "kinesis_import_build_info", "version=\"").value_or(0), 1.0);
  EXPECT_GT(Sample(m.body, "process_start_time_seconds", "").value_or(0), 1.6e9);
  auto promtool = RunProcess({"promtool", "check", "metrics"}, m.body);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err << m.body;

  // Idle: every shard's lag gauge is 0 (set from the empty answers at the tip, not stale).
  m = WaitFor(base + "/metrics", seconds(10), [&](const HttpAnswer& a) {
    int shards = 0;
    for (const std::string& line : Lines(a.body)) {
      if (line.rfind("kinesis_import_shard_behind_latest_seconds{", 0) != 0) continue;
      ++shards;
      if (std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr) != 0) return false;
    }
    return shards == 2;
  }, follow);
  EXPECT_NE(m.body.find("kinesis_import_shard_behind_latest_seconds{shard=\"shardId-000000000001\""),
            std::string::npos)
      << m.body;
  HttpAnswer h = HttpGet(base + "/healthz");
  EXPECT_EQ(h.status, 200) << h.body;

  Produce(stream, 3, 1, 3);
  m = WaitFor(base + "/metrics", seconds(20), [&](const HttpAnswer& a) { return records(a) == 9.0; }, follow);
  EXPECT_EQ(records(m), 9.0) << m.body;

  // The database goes away while records arrive: the commit fails and /healthz says why.
  ASSERT_TRUE(pg.Stop());
  Produce(stream, 3, 1, 4);
  h = WaitFor(base + "/healthz", seconds(20), [](const HttpAnswer& a) { return a.status == 503; }, follow);
  EXPECT_EQ(h.status, 503) << h.body << follow.Err();
  EXPECT_EQ(Lines(h.body).size(), 1u) << h.body;
  EXPECT_EQ(Sample(HttpGet(base + "/metrics").body, "kinesis_import_healthy", "").value_or(-1), 0.0);

  ASSERT_TRUE(pg.Start());
  h = WaitFor(base + "/healthz", seconds(30), [](const HttpAnswer& a) { return a.status == 200; }, follow);
  EXPECT_EQ(h.status, 200) << h.body << follow.Err();
  m = WaitFor(base + "/metrics", seconds(30), [&](const HttpAnswer& a) { return records(a) >= 12.0; }, follow);
  EXPECT_EQ(records(m), 12.0) << m.body;
  EXPECT_EQ(HttpGet(base + "/nothing").status, 404);

  follow.Signal(SIGTERM);
  EXPECT_EQ(follow.Wait(seconds(10)), 0) << follow.Err();
  // The report at exit (its totals cover the engine run since the last restart: FollowStream
  // keeps no report of a run that ended in an error).
  EXPECT_NE(follow.Out().find("records from 2 shard(s)"), std::string::npos) << follow.Out();
  // --log-format json: every stderr line is one JSON object; the outage was logged.
  std::string err = follow.Err();
  for (const std::string& line : Lines(err)) {
    if (line.empty()) continue;
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_NE(line.find("\"level\":\""), std::string::npos) << line;
  }
  EXPECT_NE(err.find("\"level\":\"warning\""), std::string::npos) << err;
}

// The progress line: drawn in place on a terminal (\r and clear-line), removed at exit; absent
// when stderr is a pipe.
TEST_F(MetricsTest, ProgressLineOnATerminalOnlyAndGoneAtExit) {
  TempDir dir;
  std::string stream = UniqueName("progress");
  CreateStream(stream, 1);
  Produce(stream, 2, 2, 1);
  const std::string db = dir.File("p.duckdb");
  auto created = RunCli({"sql", "--db", db, "CREATE TABLE t (k VARCHAR, n BIGINT)"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::vector<std::string> argv = CliArgv({"run", "--stream", stream, "--table", "t", "--db", db, "--endpoint-url",
                                           endpoint_, "--region", "us-east-1"});

  // On a pseudo-terminal (stdout and stderr both go to it).
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  std::string tty;
  auto until = Clock::now() + seconds(20);
  for (;;) {
    pollfd p{master, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<milliseconds>(until - Clock::now()).count());
    if (left <= 0 || poll(&p, 1, left) <= 0) break;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child exited and closed the terminal
    tty.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tty;
  size_t line = tty.find("records/s");
  ASSERT_NE(line, std::string::npos) << tty;
  EXPECT_NE(tty.find("\r\033[K"), std::string::npos) << tty;
  // Removed before the report: the last status line is followed by a clear, then the report.
  size_t last = tty.rfind("records/s");
  size_t clear = tty.find("\r\033[K", last);
  size_t report = tty.find("imported 4 records");
  ASSERT_NE(report, std::string::npos) << tty;
  EXPECT_LT(clear, report) << tty;
  EXPECT_EQ(tty.find("records/s", report), std::string::npos) << tty;

  // Piped: no status line, the same report. (The table already holds the records: 0 new.)
  auto piped = RunProcess(argv);
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find("records/s"), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find("\033[K"), std::string::npos) << piped.err;
  EXPECT_NE(piped.out.find("imported 0 records"), std::string::npos) << piped.out;
}

}  // namespace
}  // namespace ki::test
