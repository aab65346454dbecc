// kinesis-replay (bench/replay, issue 12), the fast Kinesis source the end-to-end benchmark reads:
// an independent client (the Node AWS SDK) and `kinesis-import run` must both see exactly the
// records its --dump file lists, and --aws-limits must throttle like AWS.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "duckdb_file.h"
#include "http/curl_http_client.h"
#include "sensor_records.h"
#include "test_support.h"

namespace ki::test {
namespace {

#ifdef KI_REPLAY_PATH
constexpr const char* kReplayPath = KI_REPLAY_PATH;
#else
constexpr const char* kReplayPath = nullptr;  // built with -DKI_BUILD_BENCH=OFF
#endif

// One kinesis-replay process: started with --listen 127.0.0.1:0, ready once it printed its
// "listening on" line (read from a pipe with a deadline), stopped with SIGTERM at the end.
class ReplayProcess {
 public:
  explicit ReplayProcess(const std::vector<std::string>& args) {
    if (!kReplayPath) {
      ADD_FAILURE() << "kinesis-replay is not built (configure with -DKI_BUILD_BENCH=ON)";
      return;
    }
    int out[2];
    if (pipe(out) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> argv{kReplayPath, "--listen", "127.0.0.1:0"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    close(out[1]);
    fd_ = out[0];
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (line.find('\n') == std::string::npos) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now()).count());
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, left) <= 0) {
        ADD_FAILURE() << "kinesis-replay did not print 'listening on' within 120 s";
        return;
      }
      char buf[256];
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) {
        ADD_FAILURE() << "kinesis-replay exited before listening: " << line;
        return;
      }
      line.append(buf, static_cast<size_t>(n));
    }
    constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
    if (!line.starts_with(kPrefix)) {
      ADD_FAILURE() << "unexpected first line from kinesis-replay: " << line;
      return;
    }
    endpoint_ = "http://127.0.0.1:" + line.substr(kPrefix.size(), line.find('\n') - kPrefix.size());
  }

  ~ReplayProcess() {
    if (pid_ > 0) Stop();
    if (fd_ >= 0) close(fd_);
  }

  // SIGTERM, then waits (30 s deadline, then SIGKILL). Returns the exit code (128+signal).
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    pid_t r = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((r = waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      // The child's stdout reaches end-of-file when it exits; then the wait below is immediate.
      pollfd p{fd_, POLLIN, 0};
      char buf[256];
      if (fd_ >= 0 && poll(&p, 1, 100) > 0 && read(fd_, buf, sizeof buf) <= 0) {
        close(fd_);
        fd_ = -1;
        r = waitpid(pid_, &status, 0);
        break;
      }
      if (fd_ < 0) poll(nullptr, 0, 100);
    }
    if (r != pid_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      ADD_FAILURE() << "kinesis-replay did not stop on SIGTERM within 30 s";
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string endpoint_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A dump line as compact JSON (simdjson's minify keeps key order).
std::string Compact(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) {
    ADD_FAILURE() << "not JSON: " << json;
    return "";
  }
  return simdjson::minify(doc);
}

// What the dump line of an SDK record must be: its payload with the two metadata keys added.
std::vector<std::string> DumpLinesFromSdk(const std::string& sdk_out) {
  simdjson::dom::parser parser, payload_parser;
  std::vector<std::string> lines;
  for (const auto& line : Lines(sdk_out)) {
    simdjson::dom::element rec = parser.parse(line).value();
    std::string data;
    EXPECT_TRUE(Base64Decode(rec["data_base64"].get_string().value(), data)) << line;
    std::string payload = Compact(payload_parser, data);
    payload.pop_back();  // '}'
    payload += ",\"kinesis_shard_id\":\"" + std::string(rec["shard_id"].get_string().value()) +
               "\",\"shard_sequence_number\":\"" +
               std::string(rec["sequence_number"].get_string().value()) + "\"}";
    lines.push_back(payload);
  }
  return lines;
}

std::vector<std::string> DumpLines(const std::string& path) {
  simdjson::dom::parser parser;
  std::vector<std::string> lines;
  for (const auto& line : Lines(ReadFile(path))) lines.push_back(Compact(parser, line));
  return lines;
}

std::string ReplayOutput(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kReplayPath ? kReplayPath : "kinesis-replay-not-built"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

class KinesisReplayTest : public ::testing::Test {
 protected:
  std::vector<std::string> Aws(const std::string& endpoint) const {
    return {"--endpoint-url", endpoint, "--region", "us-east-1"};
  }
  TempDir dir_;
};

TEST_F(KinesisReplayTest, NodeSdkReadsExactlyTheDumpedSensorRecords) {
  // 25,000 records on 3 shards: each shard needs a second GetRecords page (10,000 per call).
  std::string dump = dir_.File("sensor.ndjson");
  ReplayProcess replay({"--stream", "replay-sensor", "--shards", "3", "--records", "25000",
                        "--dataset", "sensor", "--dump", dump});
  ASSERT_FALSE(replay.endpoint().empty());
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", replay.endpoint(), "--stream", "replay-sensor"});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  std::vector<std::string> got = DumpLinesFromSdk(sdk.out), want = DumpLines(dump);
  ASSERT_EQ(got.size(), 25000u);
  EXPECT_EQ(got, want);  // the dump lists the records shard by shard, in sequence order

  // Sequence numbers: 56 digits, increasing within each shard; arrival times never go back.
  simdjson::dom::parser parser;
  std::map<std::string, std::pair<std::string, int64_t>> last;  // shard -> (sequence, arrival)
  for (const auto& line : Lines(sdk.out)) {
    simdjson::dom::element rec = parser.parse(line).value();
    std::string shard(rec["shard_id"].get_string().value());
    std::string seq(rec["sequence_number"].get_string().value());
    int64_t arrival = rec["arrival_ms"].get_int64().value();
    ASSERT_EQ(seq.size(), 56u) << seq;
    ASSERT_TRUE(std::all_of(seq.begin(), seq.end(), ::isdigit)) << seq;
    if (last.count(shard)) {
      EXPECT_GT(seq, last[shard].first) << shard;
      EXPECT_GE(arrival, last[shard].second) << shard;
    }
    last[shard] = {seq, arrival};
  }
  EXPECT_EQ(last.size(), 3u);
  EXPECT_EQ(replay.Stop(), 0) << "SIGTERM should stop kinesis-replay with exit code 0";
}

TEST_F(KinesisReplayTest, NodeSdkReadsTheEventRecordsAndPagesListShards) {
  std::string dump = dir_.File("event.ndjson");
  ReplayProcess replay({"--stream", "replay-event", "--shards", "5", "--records", "700", "--dataset",
                        "event", "--dump", dump});
  ASSERT_FALSE(replay.endpoint().empty());
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", replay.endpoint(), "--stream", "replay-event"});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  std::vector<std::string> got = DumpLinesFromSdk(sdk.out), want = DumpLines(dump);
  ASSERT_EQ(got.size(), 700u);
  EXPECT_EQ(got, want);
  // An event is about 1 KB with 24 fields (26 with the metadata keys in the dump).
  simdjson::dom::parser parser;
  simdjson::dom::object first = parser.parse(want[0]).get_object().value();
  EXPECT_EQ(first.size(), 26u);
  EXPECT_GT(want[0].size(), 900u);
  EXPECT_LT(want[0].size(), 1400u);

  // ListShards pages of 2: 5 shards in 3 pages, none twice.
  auto shards = RunNode("sdk_client.js", {"list-shards", "--endpoint", replay.endpoint(), "--stream",
                                          "replay-event", "--max-results", "2"});
  ASSERT_EQ(shards.exit_code, 0) << shards.err;
  simdjson::dom::array list = parser.parse(shards.out).get_array().value();
  std::vector<std::string> ids;
  for (auto s : list) ids.emplace_back(s["ShardId"].get_string().value());
  EXPECT_EQ(ids, (std::vector<std::string>{"shardId-000000000000", "shardId-000000000001",
                                           "shardId-000000000002", "shardId-000000000003",
                                           "shardId-000000000004"}));
}

TEST_F(KinesisReplayTest, ImportRunLoadsExactlyTheDumpedSensorRowsIntoDuckDb) {
  std::string dump = dir_.File("sensor.ndjson"), db = dir_.File("import.duckdb");
  ReplayProcess replay({"--stream", "replay-run", "--shards", "4", "--records", "30000", "--dataset",
                        "sensor", "--dump", dump});
  ASSERT_FALSE(replay.endpoint().empty());
  ExecDuckDbFile(db, ReplayOutput({"--dataset", "sensor", "--print-table", "kinesis_table"}));
  std::vector<std::string> args{"run", "--stream", "replay-run", "--table", "kinesis_table", "--db", db,
                                "--max-records-per-run", "100000", "--output", "json"};
  for (auto& a : Aws(replay.endpoint())) args.push_back(a);
  auto run = RunCli(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReportField(run, "total_records"), 30000);
  std::string columns = ReplayOutput({"--dataset", "sensor", "--print-columns"});
  std::string dumped = "read_json('" + dump + "', columns=" + columns + ")";
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM kinesis_table"), "30000");
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM kinesis_table EXCEPT ALL SELECT * FROM " +
                                   dumped + ")"), "0");
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM " + dumped +
                                   " EXCEPT ALL SELECT * FROM kinesis_table)"), "0");
  // The positions are the last sequence number of each shard: a second run imports nothing.
  auto again = RunCli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
}

TEST_F(KinesisReplayTest, ImportRunLoadsTheEventRowsAsReadJsonDoes) {
  std::string dump = dir_.File("event.ndjson"), db = dir_.File("event.duckdb");
  ReplayProcess replay({"--stream", "replay-run-event", "--shards", "2", "--records", "3000",
                        "--dataset", "event", "--dump", dump});
  ASSERT_FALSE(replay.endpoint().empty());
  ExecDuckDbFile(db, ReplayOutput({"--dataset", "event", "--print-table", "events"}));
  std::vector<std::string> args{"run", "--stream", "replay-run-event", "--table", "events", "--db", db,
                                "--max-records-per-run", "100000", "--output", "json"};
  for (auto& a : Aws(replay.endpoint())) args.push_back(a);
  auto run = RunCli(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReportField(run, "total_records"), 3000);
  std::string dumped = "read_json('" + dump + "', columns=" +
                       ReplayOutput({"--dataset", "event", "--print-columns"}) + ")";
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM events EXCEPT ALL SELECT * FROM " +
                                   dumped + ")"), "0");
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM " + dumped +
                                   " EXCEPT ALL SELECT * FROM events)"), "0");
  EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(DISTINCT sequence) FROM events WHERE context.screen.width > 0 "
                               "AND len(tags) >= 1"), "3000");
}

// --wire cbor (application/x-amz-cbor-1.1, Data as raw bytes) loads exactly the rows the JSON wire
// does, for both data sets; against a replay that does not serve CBOR the run fails naming the
// server's answer, which shows the requests really were CBOR.
TEST_F(KinesisReplayTest, ImportRunOverCborLoadsExactlyTheDumpedRows) {
  for (const std::string dataset : {"sensor", "event"}) {
    SCOPED_TRACE(dataset);
    const std::string stream = "replay-cbor-" + dataset;
    std::string dump = dir_.File(dataset + "-cbor.ndjson"), db = dir_.File(dataset + "-cbor.duckdb");
    ReplayProcess replay({"--stream", stream, "--shards", "3", "--records", dataset == "sensor" ? "30000" : "3000",
                          "--dataset", dataset, "--dump", dump, "--cbor"});
    ASSERT_FALSE(replay.endpoint().empty());
    ExecDuckDbFile(db, ReplayOutput({"--dataset", dataset, "--print-table", "t"}));
    std::vector<std::string> args{"run", "--stream", stream, "--table", "t", "--db", db, "--wire", "cbor",
                                  "--max-records-per-run", "100000", "--output", "json"};
    for (auto& a : Aws(replay.endpoint())) args.push_back(a);
    auto run = RunCli(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(ReportField(run, "total_records"), dataset == "sensor" ? 30000 : 3000);
    std::string dumped = "read_json('" + dump + "', columns=" + ReplayOutput({"--dataset", dataset, "--print-columns"}) + ")";
    EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM " + dumped + ")"), "0");
    EXPECT_EQ(QueryDuckDbOne(db, "SELECT count(*) FROM (SELECT * FROM " + dumped + " EXCEPT ALL SELECT * FROM t)"), "0");
    auto again = RunCli(args);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(ReportField(again, "total_records"), 0);
  }
  ReplayProcess json_only({"--stream", "replay-json-only", "--shards", "1", "--records", "10", "--dataset", "sensor"});
  ASSERT_FALSE(json_only.endpoint().empty());
  std::string db = dir_.File("json-only.duckdb");
  ExecDuckDbFile(db, ReplayOutput({"--dataset", "sensor", "--print-table", "t"}));
  std::vector<std::string> args{"run", "--stream", "replay-json-only", "--table", "t", "--db", db, "--wire", "cbor",
                                "--retry-deadline", "2s"};
  for (auto& a : Aws(json_only.endpoint())) args.push_back(a);
  auto refused = RunCli(args);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--cbor"), std::string::npos) << refused.err;
}

TEST_F(KinesisReplayTest, AwsLimitsThrottleTheSixthGetRecordsCallInOneSecond) {
  ReplayProcess replay({"--stream", "replay-limits", "--shards", "1", "--records", "100", "--dataset",
                        "sensor", "--aws-limits"});
  ASSERT_FALSE(replay.endpoint().empty());
  // Plain HTTP, not the Kinesis client: its retries would hide the throttling answer.
  CurlHttpClient http{HttpOptions{}};
  auto call = [&](const std::string& op, const std::string& body) {
    HttpRequest request;
    request.url = replay.endpoint() + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", "Kinesis_20131202." + op},
                       {"Authorization", "AWS4-HMAC-SHA256 not-checked"}};
    request.body = body;
    auto response = http.Send(request);
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : HttpResponse{};
  };
  auto it = call("GetShardIterator", R"({"StreamName":"replay-limits","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"})");
  ASSERT_EQ(it.status, 200) << it.body;
  simdjson::dom::parser parser;
  std::string iterator(parser.parse(it.body)["ShardIterator"].get_string().value());
  auto started = std::chrono::steady_clock::now();
  std::vector<long> statuses;
  std::string throttled_body;
  for (int i = 0; i < 6; ++i) {
    auto r = call("GetRecords", R"({"ShardIterator":")" + iterator + R"(","Limit":10})");
    statuses.push_back(r.status);
    if (r.status != 200) throttled_body = r.body;
  }
  // Six calls well within one second (the limit is per second; the check would be void otherwise).
  ASSERT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
  EXPECT_EQ(statuses, (std::vector<long>{200, 200, 200, 200, 200, 400}));
  EXPECT_NE(throttled_body.find("\"__type\":\"ProvisionedThroughputExceededException\""), std::string::npos)
      << throttled_body;
  EXPECT_NE(throttled_body.find("shardId-000000000000"), std::string::npos) << throttled_body;

  // The connector keeps to the limits by itself and still gets everything.
  TempDir dir;
  std::string db = dir.File("limits.duckdb");
  DuckDbCsv(db, kDuckDbSeedTable);
  std::vector<std::string> args{"run", "--stream", "replay-limits", "--table", "kinesis_table", "--db", db,
                                "--output", "json"};
  for (auto& a : Aws(replay.endpoint())) args.push_back(a);
  auto run = RunCli(args);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReportField(run, "total_records"), 100);
}

// Plain HTTP calls to kinesis-replay (no retries, nothing hidden), answering status and body.
class ReplayCalls {
 public:
  explicit ReplayCalls(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  HttpResponse Call(const std::string& op, const std::string& body) {
    HttpRequest request;
    request.url = endpoint_ + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                       {"X-Amz-Target", "Kinesis_20131202." + op}};
    request.body = body;
    auto response = http_.Send(request);
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : HttpResponse{};
  }
  std::string Iterator(const std::string& stream, const std::string& type, const std::string& extra = "") {
    auto r = Call("GetShardIterator", R"({"StreamName":")" + stream +
                                          R"(","ShardId":"shardId-000000000000","ShardIteratorType":")" +
                                          type + "\"" + extra + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser parser;
    std::string_view it;
    if (parser.parse(r.body)["ShardIterator"].get_string().get(it)) ADD_FAILURE() << r.body;
    return std::string(it);
  }

 private:
  std::string endpoint_;
  CurlHttpClient http_{HttpOptions{}};
};

TEST_F(KinesisReplayTest, IteratorTypesAndTheTenMegabyteLimitOfOneGetRecordsCall) {
  // 10,000 event records on one shard: ~11 MB of data, more than one call may return.
  std::string dump = dir_.File("event.ndjson");
  ReplayProcess replay({"--stream", "replay-it", "--shards", "1", "--records", "10000", "--dataset",
                        "event", "--dump", dump});
  ASSERT_FALSE(replay.endpoint().empty());
  ReplayCalls calls(replay.endpoint());
  simdjson::dom::parser parser;
  std::vector<std::string> sequences;
  for (const auto& line : DumpLines(dump))
    sequences.emplace_back(parser.parse(line)["shard_sequence_number"].get_string().value());
  ASSERT_EQ(sequences.size(), 10000u);

  auto first_of = [&](const std::string& iterator, int limit) {
    auto r = calls.Call("GetRecords", R"({"ShardIterator":")" + iterator + R"(","Limit":)" + std::to_string(limit) + "}");
    EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(r.body).value();
    simdjson::dom::array records = doc["Records"].get_array().value();
    std::string seq = records.size() ? std::string(records.at(0)["SequenceNumber"].get_string().value()) : "";
    return std::make_tuple(seq, records.size(), doc["MillisBehindLatest"].get_int64().value(), r.body.size());
  };
  auto [at, n_at, behind_at, size_at] = first_of(
      calls.Iterator("replay-it", "AT_SEQUENCE_NUMBER", R"(,"StartingSequenceNumber":")" + sequences[1234] + "\""), 1);
  EXPECT_EQ(at, sequences[1234]);
  EXPECT_GT(behind_at, 0);
  auto [after, n_after, behind_after, size_after] = first_of(
      calls.Iterator("replay-it", "AFTER_SEQUENCE_NUMBER", R"(,"StartingSequenceNumber":")" + sequences[1234] + "\""), 1);
  EXPECT_EQ(after, sequences[1235]);
  auto [latest, n_latest, behind_latest, size_latest] = first_of(calls.Iterator("replay-it", "LATEST"), 100);
  EXPECT_EQ(n_latest, 0u);
  EXPECT_EQ(behind_latest, 0);
  // From the start, with the largest Limit: stopped by the 10 MB rule, not the 10,000 records.
  auto [start, n_start, behind_start, size_start] = first_of(calls.Iterator("replay-it", "TRIM_HORIZON"), 10000);
  EXPECT_EQ(start, sequences[0]);
  EXPECT_LT(n_start, 10000u);
  EXPECT_GT(n_start, 8000u);
  EXPECT_GT(behind_start, 0);
  // A Limit above 10,000 is refused, as AWS does.
  auto too_many = calls.Call("GetRecords", R"({"ShardIterator":")" + calls.Iterator("replay-it", "LATEST") + R"(","Limit":10001})");
  EXPECT_EQ(too_many.status, 400);
  EXPECT_NE(too_many.body.find("ValidationException"), std::string::npos) << too_many.body;
  auto unknown = calls.Call("DescribeStreamSummary", R"({"StreamName":"no-such-stream"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("ResourceNotFoundException"), std::string::npos) << unknown.body;
}

TEST_F(KinesisReplayTest, RejectsANonLoopbackListenAddress) {
  ASSERT_NE(kReplayPath, nullptr) << "kinesis-replay is not built";
  auto r = RunProcess({kReplayPath, "--listen", "0.0.0.0:0", "--stream", "s", "--records", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("127.0.0.1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ki::test
