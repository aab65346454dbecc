// Issue 8 case 15: the first fatal shard-reader error stops the other readers at once, also while
// they are inside their own retries, instead of waiting for each to use up its retry budget.
//
// Real parts: RunImport, the Kinesis client, a DuckDB sink on a temporary file. Fakes: the HTTP
// client (a throttling storm on one shard and a fatal error on the other cannot be asked of an
// emulator) and the clock (so the storm's backoff costs no real time, and its length is measured).
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fake_clock.h"
#include "fake_http_client.h"
#include "pipeline/import_run.h"
#include "sink/duckdb/duckdb_sql.h"
#include "sink/sink_factory.h"

namespace ki {
namespace {

using std::chrono::milliseconds;

constexpr char kFatalShard[] = "shardId-000000000000";
constexpr char kStormShard[] = "shardId-000000000001";

// FakeClock time, except that a cancellable sleep blocks (in real time, at most 10 s) until it is
// cancelled: the storm shard's first backoff sleep then ends exactly when the fatal error cancels
// the run, so the test does not depend on thread scheduling. Uncancellable sleeps (the code
// before the fix) pass as FakeClock time without blocking.
class CancelGateClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return fake_.Now(); }
  std::chrono::steady_clock::time_point Monotonic() const override { return fake_.Monotonic(); }
  void SleepFor(milliseconds d) override { fake_.SleepFor(d); }
  bool SleepUnlessCancelled(milliseconds d, const CancellationToken& cancel) override {
    if (!cancel.WaitFor(std::chrono::seconds(10))) return false;
    fake_.SleepFor(d);  // not cancelled within 10 s: the test fails on its assertions
    return true;
  }
  milliseconds slept() const { return fake_.total_slept(); }

 private:
  fakes::FakeClock fake_;
};

class ScopedDir {
 public:
  ScopedDir() {
    char tmpl[] = "/tmp/ki-cancel-test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~ScopedDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Holds the fatal shard's GetRecords until the other shard is inside its throttling storm (its
// first GetRecords was answered), so the fatal error always meets a reader in the middle of its
// retries. Waits outside FakeHttpClient's lock, at most 10 s.
class StormFirstHttp final : public HttpClient {
 public:
  explicit StormFirstHttp(fakes::FakeHttpClient& inner) : inner_(inner) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    bool storm = request.body.find("it-storm") != std::string::npos;
    if (request.body.find("it-fatal") != std::string::npos) {
      std::unique_lock lock(mu_);
      storm_started_.wait_for(lock, std::chrono::seconds(10), [&] { return storm_calls_ > 0; });
    }
    auto r = inner_.Send(request);
    if (storm) {
      std::lock_guard lock(mu_);
      ++storm_calls_;
      storm_started_.notify_all();
    }
    return r;
  }
  int storm_calls() {
    std::lock_guard lock(mu_);
    return storm_calls_;
  }

 private:
  fakes::FakeHttpClient& inner_;
  std::mutex mu_;
  std::condition_variable storm_started_;
  int storm_calls_ = 0;
};

HttpResponse Response(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ImportRunCancel, FatalReaderErrorStopsAThrottledReaderAtOnce) {
  ScopedDir dir;
  std::string db = dir.path() + "/t.duckdb";
  ASSERT_TRUE(RunDuckDbSql(db,
                           "CREATE TABLE t(v VARCHAR, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)",
                           SqlOutputFormat::kCsv)
                  .ok());
  auto sink = OpenSink(db);
  ASSERT_TRUE(sink.ok()) << sink.status().message();

  fakes::FakeHttpClient fake;
  StormFirstHttp http(fake);
  fake.SetResponder([&](const HttpRequest& req) -> Result<HttpResponse> {
    std::string target = fakes::FakeHttpClient::Header(req, "X-Amz-Target");
    if (target.ends_with(".DescribeStreamSummary"))
      return Response(200, R"({"StreamDescriptionSummary":{"StreamName":"orders","StreamARN":)"
                           R"("arn:aws:kinesis:us-east-1:000000000000:stream/orders",)"
                           R"("StreamStatus":"ACTIVE","StreamCreationTimestamp":1764500000.5}})");
    if (target.ends_with(".ListShards"))
      return Response(200, std::string(R"({"Shards":[{"ShardId":")") + kFatalShard + R"("},{"ShardId":")" +
                               kStormShard + R"("}]})");
    if (target.ends_with(".GetShardIterator")) {
      bool fatal = req.body.find(kFatalShard) != std::string::npos;
      return Response(200, std::string(R"({"ShardIterator":")") + (fatal ? "it-fatal" : "it-storm") + "\"}");
    }
    if (target.ends_with(".GetRecords")) {
      if (req.body.find("it-fatal") != std::string::npos)
        return Response(400, R"({"__type":"AccessDeniedException","message":"not authorized to read"})");
      return Response(400, R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})");
    }
    return InternalError("unexpected request " + target);
  });

  CancelGateClock clock;
  KinesisClientConfig config;
  config.endpoint = "http://127.0.0.1:1";
  config.region = "us-east-1";
  config.credentials = AwsCredentials{"AKIDEXAMPLE", "secret", "", "test"};
  // Without cancellation the storm would take 50 attempts and minutes of backoff.
  config.retry.max_attempts = 50;
  config.retry.deadline = milliseconds(0);
  config.random = [] { return 1.0; };
  KinesisClient client(http, clock, config);

  ImportOptions options;
  options.stream = "orders";
  options.table = "t";
  options.min_call_interval = milliseconds(0);
  auto report = RunImport(client, **sink, options, clock);

  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().kind(), ErrorKind::kFatal);
  const std::string& m = report.status().message();
  EXPECT_NE(m.find("AccessDeniedException"), std::string::npos) << m;
  EXPECT_NE(m.find(kFatalShard), std::string::npos) << m;
  EXPECT_EQ(m.find("cancelled"), std::string::npos) << "the run's error is the fatal one: " << m;
  EXPECT_EQ(http.storm_calls(), 1) << "the throttled reader kept retrying after the fatal error";
  EXPECT_LT(clock.slept(), milliseconds(1000)) << "fake time spent in backoff after the fatal error";
}

}  // namespace
}  // namespace ki
