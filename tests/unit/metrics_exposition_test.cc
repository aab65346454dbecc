// The Prometheus exporter without a process: metric names, histogram buckets, label escaping,
// the health rules (on a fake clock, which advances only when the test says so), the HTTP server
// on a loopback port with a raw socket client (oversized and non-GET requests), and JSON log lines.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "common/log.h"
#include "fake_clock.h"
#include "metrics/metrics_endpoint.h"
#include "metrics/prometheus_metrics.h"
#include "pipeline/metered_record_source.h"

namespace ki {
namespace {

using std::chrono::milliseconds;

bool Has(const std::string& body, const std::string& line) {
  return body.find("\n" + line + "\n") != std::string::npos || body.rfind(line + "\n", 0) == 0;
}

TEST(MetricsExpositionTest, NamesUnitsAndCounters) {
  fakes::FakeClock clock;
  PrometheusMetrics m(clock, {"0.1.0", "abc123"}, {});
  m.EngineStarted("s");
  CommitMetrics c;
  c.rows = 5;
  c.bytes = 120;
  c.skipped = 2;
  c.gaps = 1;
  c.seconds = 0.02;
  m.Committed("s", c);
  m.ShardRead("s", "shardId-0", 1500, 1714564800123);
  m.ShardCommitted("s", "shardId-0", 1714564800123);
  m.KinesisCall("GetRecords", KinesisCallOutcome::kThrottled);
  m.KinesisCall("GetRecords", KinesisCallOutcome::kOk);
  m.LeasesHeld("s", 3);
  std::string body = m.Exposition();
  EXPECT_TRUE(Has(body, "# TYPE kinesis_import_records_total counter")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_records_total{stream=\"s\"} 5")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_bytes_total{stream=\"s\"} 120")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commits_total{stream=\"s\"} 1")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_bad_records_total{policy=\"skip\",stream=\"s\"} 2")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_gaps_total{stream=\"s\"} 1")) << body;
  EXPECT_TRUE(Has(body, "# TYPE kinesis_import_shard_behind_latest_seconds gauge")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_shard_behind_latest_seconds{shard=\"shardId-0\",stream=\"s\"} 1.5")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_shard_last_committed_arrival_timestamp_seconds{shard=\"shardId-0\",stream=\"s\"} "
                        "1714564800.123"))
      << body;
  EXPECT_TRUE(Has(body, "kinesis_import_kinesis_calls_total{api=\"GetRecords\",outcome=\"throttled\"} 1")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_leases_held{stream=\"s\"} 3")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_build_info{commit=\"abc123\",version=\"0.1.0\"} 1")) << body;
  EXPECT_TRUE(Has(body, "process_start_time_seconds 1714564800")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_healthy 1")) << body;

  // The lag gauge follows every answer: 0 at the tip of an idle stream.
  m.ShardRead("s", "shardId-0", 0, -1);
  EXPECT_TRUE(Has(m.Exposition(), "kinesis_import_shard_behind_latest_seconds{shard=\"shardId-0\",stream=\"s\"} 0"));
  // A finished shard's series go away.
  m.ShardForgotten("s", "shardId-0");
  EXPECT_EQ(m.Exposition().find("shardId-0"), std::string::npos);
}

TEST(MetricsExpositionTest, CommitDurationHistogramBuckets) {
  fakes::FakeClock clock;
  PrometheusMetrics m(clock, {"v", "c"}, {});
  CommitMetrics c;
  c.rows = 10;
  c.seconds = 0.03;
  m.Committed("s", c);
  c.seconds = 3;
  m.Committed("s", c);
  std::string body = m.Exposition();
  EXPECT_TRUE(Has(body, "# TYPE kinesis_import_commit_duration_seconds histogram")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_bucket{stream=\"s\",le=\"0.025\"} 0")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_bucket{stream=\"s\",le=\"0.05\"} 1")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_bucket{stream=\"s\",le=\"5\"} 2")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_bucket{stream=\"s\",le=\"+Inf\"} 2")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_count{stream=\"s\"} 2")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_duration_seconds_sum{stream=\"s\"} 3.03")) << body;
  EXPECT_TRUE(Has(body, "kinesis_import_commit_rows_bucket{stream=\"s\",le=\"10\"} 2")) << body;
  const auto& b = PrometheusMetrics::CommitDurationBuckets();
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
}

TEST(MetricsExpositionTest, LabelValuesAreEscaped) {
  fakes::FakeClock clock;
  PrometheusMetrics m(clock, {"v", "c"}, {});
  m.ShardRead("we\"ird\\name\nx", "s", 0, -1);
  std::string body = m.Exposition();
  EXPECT_NE(body.find("stream=\"we\\\"ird\\\\name\\nx\""), std::string::npos) << body;
}

TEST(MetricsExpositionTest, HealthTurnsOnFailuresAndStallsNotOnIdleness) {
  fakes::FakeClock clock;
  PrometheusMetrics m(clock, {"v", "c"}, {milliseconds(30000)});
  m.EngineStarted("s");
  EXPECT_TRUE(m.CheckHealth().ok);
  clock.SleepFor(milliseconds(600000));  // idle for 10 minutes: nothing to commit is healthy
  m.ShardRead("s", "a", 0, -1);
  EXPECT_TRUE(m.CheckHealth().ok) << m.CheckHealth().reason;

  m.EngineFailed("s", "connection refused\nsecond line");
  Health h = m.CheckHealth();
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("connection refused second line"), std::string::npos) << h.reason;
  EXPECT_EQ(h.reason.find('\n'), std::string::npos);
  m.EngineStarted("s");  // set up again: the database is back
  EXPECT_TRUE(m.CheckHealth().ok);

  m.RecordsRead("s", "a", 10, 100);
  clock.SleepFor(milliseconds(29000));
  EXPECT_TRUE(m.CheckHealth().ok);
  clock.SleepFor(milliseconds(2000));
  h = m.CheckHealth();
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("not committed"), std::string::npos) << h.reason;
  m.Committed("s", CommitMetrics{});
  EXPECT_TRUE(m.CheckHealth().ok);
  EXPECT_EQ(m.Progress().records_read, 10);
}

TEST(MetricsExpositionTest, KinesisCallOutcomes) {
  EXPECT_EQ(ClassifyKinesisCall(Status::Ok()), KinesisCallOutcome::kOk);
  EXPECT_EQ(ClassifyKinesisCall(Status::Error(ErrorKind::kExpiredIterator, "x")), KinesisCallOutcome::kExpiredIterator);
  ErrorDetail d;
  d.aws_error_type = "ProvisionedThroughputExceededException";
  EXPECT_EQ(ClassifyKinesisCall(Status::Error(ErrorKind::kRetriable, "x").WithDetail(d)), KinesisCallOutcome::kThrottled);
  EXPECT_EQ(ClassifyKinesisCall(Status::Error(ErrorKind::kRetriable, "503")), KinesisCallOutcome::kRetried);
  EXPECT_EQ(ClassifyKinesisCall(FatalError("no")), KinesisCallOutcome::kError);
}

TEST(MetricsExpositionTest, ListenAddresses) {
  auto a = ParseListenAddress("9108");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9108);
  a = ParseListenAddress("localhost:1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  a = ParseListenAddress("[::1]:9108");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  a = ParseListenAddress("0.0.0.0:9108");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_FALSE(ParseListenAddress("example.com:9108").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseListenAddress("127.0.0.1:").ok());
}

std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST(MetricsExpositionTest, HttpServerServesBothPathsAndRefusesTheRest) {
  fakes::FakeClock clock;
  PrometheusMetrics m(clock, {"v", "c"}, {});
  HttpServerOptions opts;
  opts.max_request_bytes = 1024;
  opts.request_timeout = milliseconds(300);
  auto server = HttpServer::Start({"127.0.0.1", 0},
                                  [&](const std::string& path) { return AnswerMetricsRequest(m, path); }, opts);
  ASSERT_TRUE(server.ok()) << server.status().message();
  int port = (*server)->port();
  std::string r = Exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r;
  EXPECT_NE(r.find("kinesis_import_build_info"), std::string::npos);
  r = Exchange(port, "GET /healthz?x=1 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  m.EngineFailed("s", "database down");
  r = Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 503 ", 0), 0u) << r;
  EXPECT_NE(r.find("database down"), std::string::npos) << r;
  EXPECT_EQ(Exchange(port, "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405 ", 0), 0u);
  EXPECT_EQ(Exchange(port, "GET /x HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 ", 0), 0u);
  EXPECT_EQ(Exchange(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a')).rfind("HTTP/1.1 431 ", 0), 0u);
  // A client that never finishes its request is dropped after the timeout, and the server goes on.
  EXPECT_EQ(Exchange(port, "GET /metr").rfind("HTTP/1.1 408 ", 0), 0u);
  EXPECT_EQ(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 503 ", 0), 0u);
  server->reset();  // stops promptly
}

TEST(JsonLogTest, LineHasTimeLevelMessageAndKnownFields) {
  LogFields f;
  f.stream = "orders";
  f.shard = "shardId-000000000001";
  f.sequence_number = "4960";
  ErrorDetail d;
  d.aws_error_type = "ProvisionedThroughputExceededException";
  d.http_status = 400;
  d.retriable = true;
  f.error = d;
  std::string line = FormatJsonLogLine(1714564800123, LogLevel::kWarn, "throttled \"x\"\n", f);
  EXPECT_EQ(line,
            "{\"time\":\"2024-05-01T12:00:00.123Z\",\"level\":\"warning\",\"message\":\"throttled \\\"x\\\"\\n\","
            "\"stream\":\"orders\",\"shard\":\"shardId-000000000001\",\"sequence_number\":\"4960\","
            "\"aws_error_type\":\"ProvisionedThroughputExceededException\",\"http_status\":400,\"retriable\":true}");
  EXPECT_EQ(FormatJsonLogLine(0, LogLevel::kError, "m", {}),
            "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"message\":\"m\"}");
}

}  // namespace
}  // namespace ki
