// 1,000 shards imported by one `kinesis-import run` with bounded threads and memory (issue 10):
// the engine reads shards on a fixed pool of reader threads (4 per core) within a byte budget, so
// neither the thread count nor the RSS may grow with the number of shards.
//
// The shared kinesalite allows 100 shards in all, so this test starts its own with a raised
// --shardLimit (on a free loopback port, stopped by its pid). While the run works, the test
// samples /proc/<pid>/status (Threads, VmHWM) and takes the kernel's peak RSS from wait4 at the end.
// kinesalite is the slow part (it parses the whole 1,000-shard stream on every call, and its
// PutRecords scans the shards per record): one record per shard keeps the test near 20 s on an
// idle 2-core machine; docs/follow.md ("Measured") has the numbers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "duckdb_file.h"
#include "test_support.h"

namespace ki::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kShards = 1000;
constexpr int kRecordsPerShard = 1;

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// Starts argv with stdout and stderr to files; returns the pid (-1 when fork fails).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_file, const std::string& err_file) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(out, 1);
  dup2(err, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A "Key:   123 kB" line of /proc/<pid>/status, or -1 (the process is gone or a zombie).
struct ProcSample {
  long threads = -1;
  long hwm_kb = -1;
  long rss_kb = -1;
};

ProcSample SampleStatus(pid_t pid) {
  ProcSample s;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    auto value = [&](const char* key) -> long {
      size_t n = std::strlen(key);
      return line.compare(0, n, key) == 0 ? std::atol(line.c_str() + n) : -1;
    };
    if (long v = value("Threads:"); v >= 0) s.threads = v;
    if (long v = value("VmHWM:"); v >= 0) s.hwm_kb = v;
    if (long v = value("VmRSS:"); v >= 0) s.rss_kb = v;
  }
  return s;
}

class ManyShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = FreeLoopbackPort();
    ASSERT_GT(port, 0);
    const std::string root = KI_SOURCE_DIR;
    kinesalite_pid_ = Spawn({"node", "-r", root + "/scripts/lib/force-loopback.js",
                             root + "/tests/node/node_modules/kinesalite/cli.js", "--port", std::to_string(port),
                             "--shardLimit", std::to_string(kShards), "--createStreamMs", "50",
                             "--deleteStreamMs", "50"},
                            dir_.File("kinesalite.out"), dir_.File("kinesalite.err"));
    ASSERT_GT(kinesalite_pid_, 0);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!Accepts(port)) {
      int status = 0;
      ASSERT_EQ(waitpid(kinesalite_pid_, &status, WNOHANG), 0)
          << "kinesalite exited during start-up: " << ReadWhole(dir_.File("kinesalite.err"));
      ASSERT_LT(Clock::now(), deadline) << "kinesalite did not listen on 127.0.0.1:" << port << " within 30 s";
      std::this_thread::sleep_for(milliseconds(50));
    }
    endpoint_ = "http://127.0.0.1:" + std::to_string(port);
  }

  void TearDown() override {
    if (kinesalite_pid_ <= 0) return;
    kill(kinesalite_pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (waitpid(kinesalite_pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(kinesalite_pid_, SIGKILL);
        waitpid(kinesalite_pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  TempDir dir_;
  pid_t kinesalite_pid_ = -1;
  std::string endpoint_;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

TEST_F(ManyShardsTest, OneRunImportsAThousandShardsWithBoundedThreadsAndMemory) {
  const std::string stream = UniqueName("many-shards");
  const std::string db = dir_.File("many.duckdb");
  ExecDuckDbFile(db, "CREATE TABLE t(id BIGINT, shard INTEGER, kinesis_shard_id VARCHAR, "
                     "shard_sequence_number VARCHAR)");

  auto t0 = Clock::now();
  auto c = RunNode("sdk_client.js",
                   {"create", "--endpoint", endpoint_, "--stream", stream, "--shards", std::to_string(kShards)});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto t1 = Clock::now();
  auto p = RunNode("sdk_client.js", {"put-spread", "--endpoint", endpoint_, "--stream", stream, "--shards",
                                     std::to_string(kShards), "--per-shard", std::to_string(kRecordsPerShard)});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  ASSERT_EQ(p.out, "put " + std::to_string(kShards * kRecordsPerShard) + "\n");
  auto t2 = Clock::now();

  pid_t run = Spawn({KI_CLI_PATH, "run", "--stream", stream, "--table", "t", "--db", db, "--endpoint-url",
                     endpoint_, "--output", "json"},
                    dir_.File("run.out"), dir_.File("run.err"));
  ASSERT_GT(run, 0);
  long peak_threads = 0;
  long peak_hwm_kb = 0;
  long samples = 0;
  int status = 0;
  rusage usage{};
  const auto deadline = Clock::now() + std::chrono::seconds(240);
  for (;;) {
    ProcSample s = SampleStatus(run);
    if (s.threads > 0) {
      ++samples;
      peak_threads = std::max(peak_threads, s.threads);
      peak_hwm_kb = std::max(peak_hwm_kb, s.hwm_kb);
    }
    pid_t done = wait4(run, &status, WNOHANG, &usage);
    ASSERT_GE(done, 0);
    if (done == run) break;
    if (Clock::now() > deadline) {
      kill(run, SIGKILL);
      wait4(run, &status, 0, &usage);
      FAIL() << "kinesis-import run did not end within 240 s; its stderr:\n" << ReadWhole(dir_.File("run.err"));
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto t3 = Clock::now();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << "; stderr:\n" << ReadWhole(dir_.File("run.err"));

  // ru_maxrss is the kernel's own high-water mark of the child (kB); the samples may miss a peak
  // between them, this cannot.
  const long peak_rss_kb = std::max<long>(usage.ru_maxrss, peak_hwm_kb);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const long thread_limit = 4 * static_cast<long>(cores) + 8;
  std::cout << "many shards: " << kShards << " shards, " << kShards * kRecordsPerShard << " records; create "
            << Seconds(t1 - t0) << " s, put " << Seconds(t2 - t1) << " s, run " << Seconds(t3 - t2)
            << " s; peak threads " << peak_threads << " (limit " << thread_limit << ", " << cores
            << " cores), peak RSS " << peak_rss_kb / 1024 << " MB (" << samples << " samples)" << std::endl;
  RecordProperty("shards", kShards);
  RecordProperty("run_seconds", std::to_string(Seconds(t3 - t2)));
  RecordProperty("peak_threads", static_cast<int>(peak_threads));
  RecordProperty("peak_rss_kb", static_cast<int>(peak_rss_kb));

  EXPECT_GT(samples, 0) << "the run ended before /proc could be sampled once";
  EXPECT_LE(peak_threads, thread_limit);
  EXPECT_LT(peak_rss_kb, 256 * 1024);

  ProcessResult report{0, ReadWhole(dir_.File("run.out")), ""};
  const int total = kShards * kRecordsPerShard;
  EXPECT_EQ(ReportField(report, "total_records"), total);

  // Every record once, each in the shard its explicit hash key chose.
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*), count(DISTINCT id), min(id), max(id), count(DISTINCT kinesis_shard_id) "
                          "FROM t"),
            std::to_string(total) + "," + std::to_string(total) + ",0," + std::to_string(total - 1) + "," +
                std::to_string(kShards) + "\n");
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*) FROM t WHERE kinesis_shard_id <> "
                          "'shardId-' || lpad(CAST(shard AS VARCHAR), 12, '0')"),
            "0\n");
}

}  // namespace
}  // namespace ki::test
