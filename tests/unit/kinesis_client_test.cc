// Tests for the Kinesis client (src/kinesis/kinesis_client.h): retries, classification, signing,
// paging and PutRecords batching over a scripted FakeHttpClient and a FakeClock, plus the public
// response parsers with the explicit nulls and missing fields the emulators send.
#include "kinesis/kinesis_client.h"

#include <gtest/gtest.h>

#include <limits>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "common/base64.h"
#include "fake_clock.h"
#include "fake_http_client.h"

namespace ki {
namespace {

using fakes::FakeClock;
using fakes::FakeHttpClient;
using std::chrono::milliseconds;

constexpr char kSecret[] = "secret";
constexpr char kEndpoint[] = "http://127.0.0.1:1";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Realistic 56-digit sequence numbers (they also keep parsed arenas off the small-string buffer;
// see KinesisParseRegression below).
std::string Seq(int n) {
  std::string s = "4959033827149025660855969253836157109592157598913658" + std::to_string(1000 + n);
  return s;
}

// --- Reading what the client sent ----------------------------------------------------------------

struct SentRecord {
  std::string partition_key;
  std::string data;  // decoded
};

// The records of a PutRecords request body. Fails the test on a malformed body.
std::vector<SentRecord> SentRecords(const HttpRequest& req) {
  std::vector<SentRecord> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req.body.data(), req.body.size()).get(doc)) {
    ADD_FAILURE() << "request body is not JSON: " << req.body.substr(0, 200);
    return out;
  }
  simdjson::dom::array records;
  if (doc["Records"].get_array().get(records)) {
    ADD_FAILURE() << "PutRecords body has no Records array";
    return out;
  }
  for (simdjson::dom::element r : records) {
    std::string_view pk, data;
    EXPECT_FALSE(r["PartitionKey"].get_string().get(pk));
    EXPECT_FALSE(r["Data"].get_string().get(data));
    SentRecord s;
    s.partition_key = std::string(pk);
    EXPECT_TRUE(Base64Decode(data, s.data)) << "Data is not base64";
    out.push_back(std::move(s));
  }
  return out;
}

// {"StreamName":...} members of a request body, as strings ("" when absent).
std::string BodyString(const HttpRequest& req, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req.body.data(), req.body.size()).get(doc)) {
    ADD_FAILURE() << "request body is not JSON: " << req.body;
    return "";
  }
  std::string_view s;
  if (doc[key].get_string().get(s)) return "";
  return std::string(s);
}

// A PutRecords response with one entry per sent record. `fail(pk)` names the error code to report
// for a record, or "" for success; successful records get sequence number "seq-" + partition key
// so tests can check the results come back in input order.
HttpResponse PutRecordsResponse(const std::vector<SentRecord>& sent,
                                const std::function<std::string(const std::string&)>& fail) {
  std::string body = "{\"FailedRecordCount\":0,\"Records\":[";
  for (size_t i = 0; i < sent.size(); ++i) {
    if (i) body += ',';
    std::string code = fail ? fail(sent[i].partition_key) : "";
    if (code.empty()) {
      body += "{\"SequenceNumber\":\"seq-" + sent[i].partition_key +
              "\",\"ShardId\":\"shardId-000000000000\"}";
    } else {
      body += "{\"ErrorCode\":\"" + code + "\",\"ErrorMessage\":\"Rate exceeded for shard " +
              "shardId-000000000000 in stream orders under account 000000000000.\"}";
    }
  }
  body += "]}";
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers = {{"x-amzn-requestid", "put-req"}};
  return r;
}

constexpr char kGetRecordsOk[] =
    R"({"Records":[{"SequenceNumber":"49590338271490256608559692538361571095921575989136588898",)"
    R"("ApproximateArrivalTimestamp":1.714564800123E9,"Data":"aGVsbG8=","PartitionKey":"pk-1"}],)"
    R"("NextShardIterator":"AAAA-next","MillisBehindLatest":0})";

constexpr char kThrottled[] =
    R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})";

// --- Fixture -------------------------------------------------------------------------------------

class KinesisClientTest : public ::testing::Test {
 protected:
  static KinesisClientConfig Config() {
    KinesisClientConfig c;
    c.endpoint = kEndpoint;
    c.region = "us-east-1";
    c.credentials = AwsCredentials{"AKIDEXAMPLE", kSecret, "", "test"};
    c.retry.max_attempts = 5;
    return c;
  }

  static std::chrono::system_clock::time_point Start() {
    return std::chrono::system_clock::time_point(FakeClock::kDefaultStart);
  }

  // Every request is a signed Kinesis JSON 1.1 POST for `operation` that never carries the secret.
  void ExpectSignedKinesisRequest(const HttpRequest& req, const std::string& operation) {
    SCOPED_TRACE("request for " + operation);
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, std::string(kEndpoint) + "/");
    EXPECT_EQ(FakeHttpClient::HeaderValues(req, "X-Amz-Target"),
              std::vector<std::string>{"Kinesis_20131202." + operation});
    EXPECT_EQ(FakeHttpClient::HeaderValues(req, "Content-Type"),
              std::vector<std::string>{"application/x-amz-json-1.1"});
    auto dates = FakeHttpClient::HeaderValues(req, "X-Amz-Date");
    ASSERT_EQ(dates.size(), 1u);
    EXPECT_EQ(dates[0].size(), 16u) << dates[0];  // 20240501T120000Z
    auto auth = FakeHttpClient::HeaderValues(req, "Authorization");
    ASSERT_EQ(auth.size(), 1u);
    EXPECT_EQ(auth[0].rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << auth[0];
    EXPECT_TRUE(Contains(auth[0], "/us-east-1/kinesis/aws4_request")) << auth[0];
    EXPECT_TRUE(FakeHttpClient::HeaderValues(req, "X-Amz-Security-Token").empty());
    for (const auto& [name, value] : req.headers) {
      EXPECT_FALSE(Contains(value, kSecret)) << "header " << name << " carries the secret";
    }
    EXPECT_FALSE(Contains(req.body, kSecret)) << "body carries the secret";
  }

  FakeHttpClient http_;
  FakeClock clock_;
  KinesisClient client_{http_, clock_, Config()};
};

// --- Retries and classification ------------------------------------------------------------------

TEST_F(KinesisClientTest, GetRecordsSurvivesEmpty500AndThrottling) {
  http_.AddResponse(500, "");
  http_.AddResponse(400, kThrottled, {{"x-amzn-requestid", "throttle-req"}});
  http_.AddResponse(200, kGetRecordsOk);

  auto r = client_.GetRecords("AAAA-iterator", 100, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, "hello");
  EXPECT_EQ(r->records[0].partition_key, "pk-1");
  EXPECT_EQ(r->next_shard_iterator, "AAAA-next");

  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  // Full jitter under the default base of 100 ms: retry 0 within [0,100], retry 1 within [0,200]
  // (the exact values come from the injected random source: JitterComesFromTheInjectedSource).
  EXPECT_LE(sleeps[0], milliseconds(100));
  EXPECT_LE(sleeps[1], milliseconds(200));

  // Each attempt is signed again at the (fake) time it is sent.
  auto t = Start();
  for (size_t i = 0; i < requests.size(); ++i) {
    ExpectSignedKinesisRequest(requests[i], "GetRecords");
    EXPECT_EQ(FakeHttpClient::Header(requests[i], "X-Amz-Date"), FormatAmzDate(t)) << "request " << i;
    EXPECT_EQ(BodyString(requests[i], "ShardIterator"), "AAAA-iterator");
    EXPECT_TRUE(Contains(requests[i].body, "\"Limit\":100")) << requests[i].body;
    if (i < sleeps.size()) t += sleeps[i];
  }
}

// A scripted random source: returns the values in order, then the last one forever.
std::function<double()> Scripted(std::vector<double> values) {
  auto i = std::make_shared<size_t>(0);
  return [values, i] {
    double v = values[std::min(*i, values.size() - 1)];
    ++*i;
    return v;
  };
}

TEST_F(KinesisClientTest, JitterComesFromTheInjectedSourceWithinFullJitterBounds) {
  // Each sleep is random * (ceiling + 1) clamped to [0, ceiling], ceiling = min(cap, base * 2^n):
  // the extremes of the source must give exactly 0 and exactly the ceiling, the cap included.
  KinesisClientConfig c = Config();
  c.retry.max_attempts = 6;
  c.retry.base_delay = milliseconds(100);
  c.retry.max_delay = milliseconds(300);
  c.random = Scripted({0.999999, 0.0, 1.0, 0.999999, 0.5});
  KinesisClient client(http_, clock_, c);
  for (int i = 0; i < 5; ++i) http_.AddResponse(400, kThrottled);
  http_.AddResponse(200, kGetRecordsOk);
  auto r = client.GetRecords("AAAA-iterator", 100, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Ceilings 100, 200, 400 -> 300 (cap), 300, 300.
  EXPECT_EQ(clock_.sleeps(), (std::vector<milliseconds>{milliseconds(100), milliseconds(0), milliseconds(300),
                                                        milliseconds(300), milliseconds(150)}));
}

TEST_F(KinesisClientTest, UnreadableGetRecordsBodyIsRetriedAndTheSecondBodyIsUsed) {
  http_.AddResponse(200, "<html><body>502 Bad Gateway</body></html>");
  http_.AddResponse(200, kGetRecordsOk);
  auto r = client_.GetRecords("AAAA-iterator", 100, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, "hello");
  EXPECT_EQ(http_.request_count(), 2u);
  EXPECT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_EQ(http_.unused_responses(), 0u);
}

TEST_F(KinesisClientTest, PersistentlyUnreadableGetRecordsBodyGivesUpNamingShard) {
  for (int i = 0; i < 5; ++i) http_.AddResponse(200, R"({"Records":[)");
  auto r = client_.GetRecords("AAAA-iterator", 100, "orders", "shardId-000000000007");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kRetriable);
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "unreadable GetRecords response")) << m;
  EXPECT_TRUE(Contains(m, "shard 'shardId-000000000007'")) << m;
  EXPECT_TRUE(Contains(m, "gave up after 5 attempts")) << m;
  EXPECT_EQ(http_.request_count(), 5u);
}

TEST_F(KinesisClientTest, RetryDeadlineClampsEachAttemptAndSaysHowLongItTried) {
  // An endpoint that never answers: every attempt runs into its timeout (here the HTTP client's
  // own 4 s, or less when the request carries less).
  KinesisClientConfig c = Config();
  c.retry.max_attempts = 8;
  c.retry.deadline = milliseconds(10000);
  c.random = Scripted({1.0});  // delays 100, 200, 400 ... ms
  KinesisClient client(http_, clock_, c);
  http_.SetResponder([this](const HttpRequest& req) -> Result<HttpResponse> {
    milliseconds t = req.timeout.count() > 0 ? std::min(req.timeout, milliseconds(4000)) : milliseconds(4000);
    clock_.SleepFor(t);
    return Status::Error(ErrorKind::kRetriable, "Operation timed out after " + std::to_string(t.count()) +
                                                    " milliseconds with 0 bytes received");
  });
  auto r = client.ListShards(ListShardsRequest{"orders", "", std::nullopt, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kRetriable);
  std::vector<milliseconds> timeouts;
  for (const auto& req : http_.requests()) timeouts.push_back(req.timeout);
  // 0 + 4000 + 100 sleep; 4100 + 4000 + 200 sleep; 8300 + what is left (1700) = 10000.
  EXPECT_EQ(timeouts, (std::vector<milliseconds>{milliseconds(10000), milliseconds(5900), milliseconds(1700)}));
  EXPECT_EQ(clock_.Monotonic() - std::chrono::steady_clock::time_point{}, milliseconds(10000));
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "stream 'orders'")) << m;
  EXPECT_TRUE(Contains(m, "Operation timed out")) << m;
  EXPECT_TRUE(Contains(m, "gave up after 3 attempts in 10.0 s; the retry deadline is 10.0 s")) << m;
}

TEST_F(KinesisClientTest, CancelledCallSendsNothing) {
  CancellationToken cancel;
  cancel.Cancel();
  http_.AddResponse(200, kGetRecordsOk);  // must not be used
  auto r = client_.GetRecords("AAAA-iterator", 100, "orders", "shardId-000000000000", &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "cancelled")) << r.status().message();
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST_F(KinesisClientTest, CancelStopsAThrottlingStormAtTheNextSleep) {
  KinesisClientConfig c = Config();
  c.retry.max_attempts = 100;
  KinesisClient client(http_, clock_, c);
  CancellationToken cancel;
  int calls = 0;
  http_.SetResponder([&](const HttpRequest&) -> Result<HttpResponse> {
    if (++calls == 3) cancel.Cancel();  // another reader failed meanwhile
    HttpResponse resp;
    resp.status = 400;
    resp.body = kThrottled;
    return resp;
  });
  auto r = client.GetShardIterator("orders", "shardId-000000000001", IteratorStart{}, &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "cancelled")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "shardId-000000000001")) << r.status().message();
  EXPECT_EQ(http_.request_count(), 3u);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(KinesisClientTest, TransportErrorIsRetried) {
  http_.AddTransportError(Status::Error(ErrorKind::kRetriable, "connection reset"));
  http_.AddResponse(200, kGetRecordsOk);
  auto r = client_.GetRecords("AAAA-iterator", 0, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(http_.request_count(), 2u);
  EXPECT_EQ(clock_.sleeps().size(), 1u);
  // Limit 0 means "server default": not sent.
  EXPECT_FALSE(Contains(http_.requests()[0].body, "Limit"));
}

TEST_F(KinesisClientTest, PersistentTransportErrorGivesUpAfterMaxAttempts) {
  for (int i = 0; i < 5; ++i)
    http_.AddTransportError(Status::Error(ErrorKind::kRetriable, "connection reset"));
  auto r = client_.GetRecords("AAAA-iterator", 0, "orders", "shardId-000000000003");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kRetriable);
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "connection reset")) << m;
  EXPECT_TRUE(Contains(m, "GetRecords")) << m;
  EXPECT_TRUE(Contains(m, "orders")) << m;
  EXPECT_TRUE(Contains(m, "shardId-000000000003")) << m;
  EXPECT_TRUE(Contains(m, "gave up after 5 attempts")) << m;
  EXPECT_EQ(http_.request_count(), 5u);
  EXPECT_EQ(clock_.sleeps().size(), 4u);
}

TEST_F(KinesisClientTest, ExpiredIteratorIsReturnedAfterOneRequest) {
  http_.AddResponse(400, R"({"__type":"ExpiredIteratorException","message":"Iterator expired. )"
                         R"(The iterator was created at time ... while right now it is ..."})");
  http_.AddResponse(200, kGetRecordsOk);  // must not be used
  auto r = client_.GetRecords("AAAA-old", 100, "orders", "shardId-000000000000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kExpiredIterator);
  EXPECT_EQ(http_.request_count(), 1u);
  EXPECT_EQ(http_.unused_responses(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
  EXPECT_TRUE(Contains(r.status().message(), "shardId-000000000000")) << r.status().message();
}

TEST_F(KinesisClientTest, ResourceNotFoundIsFatalAfterOneRequestAndNamesTheStream) {
  http_.AddResponse(400,
                    R"({"__type":"ResourceNotFoundException","message":"Stream orders-missing )"
                    R"(under account 000000000000 not found."})",
                    {{"x-amzn-requestid", "rnf-req-42"}});
  http_.AddResponse(200, "{}");  // must not be used
  auto r = client_.DescribeStreamSummary("orders-missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kFatal);
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "stream 'orders-missing'")) << m;
  EXPECT_TRUE(Contains(m, "DescribeStreamSummary")) << m;
  EXPECT_TRUE(Contains(m, "ResourceNotFoundException")) << m;
  EXPECT_TRUE(Contains(m, "rnf-req-42")) << m;
  EXPECT_EQ(http_.request_count(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
  ExpectSignedKinesisRequest(http_.requests()[0], "DescribeStreamSummary");
  EXPECT_EQ(BodyString(http_.requests()[0], "StreamName"), "orders-missing");
}

TEST_F(KinesisClientTest, AccessDeniedIsFatalAfterOneRequest) {
  http_.AddResponse(400, R"({"__type":"AccessDeniedException","Message":"not authorized"})");
  auto r = client_.GetShardIterator("orders", "shardId-000000000000", IteratorStart{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kFatal);
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(KinesisClientTest, RequestsAreSignedAndNeverCarryTheSecret) {
  http_.AddResponse(
      200,
      R"({"StreamDescriptionSummary":{"StreamName":"orders","StreamARN":"arn:aws:kinesis:us-east-1:)"
      R"(000000000000:stream/orders","StreamStatus":"ACTIVE","OpenShardCount":1,)"
      R"("RetentionPeriodHours":24}})");
  http_.AddResponse(200, R"({"Shards":[{"ShardId":"shardId-000000000000"}]})");
  http_.AddResponse(200, R"({"ShardIterator":"AAAA-it"})");
  http_.AddResponse(200, kGetRecordsOk);
  http_.AddResponse(200, "{}");
  http_.SetResponder([](const HttpRequest& req) -> Result<HttpResponse> {
    return PutRecordsResponse(SentRecords(req), nullptr);
  });

  ASSERT_TRUE(client_.DescribeStreamSummary("orders").ok());
  ListShardsRequest ls;
  ls.stream_name = "orders";
  ASSERT_TRUE(client_.ListShards(ls).ok());
  IteratorStart start;
  start.type = IteratorType::kAfterSequenceNumber;
  start.sequence_number = Seq(1);
  auto it = client_.GetShardIterator("orders", "shardId-000000000000", start);
  ASSERT_TRUE(it.ok()) << it.status().message();
  EXPECT_EQ(*it, "AAAA-it");
  ASSERT_TRUE(client_.GetRecords(*it, 10, "orders", "shardId-000000000000").ok());
  ASSERT_TRUE(client_.CreateStream("new-stream", 2).ok());
  ASSERT_TRUE(client_.PutRecords("orders", {{"payload", "pk-0", ""}}).ok());

  auto requests = http_.requests();
  const std::vector<std::string> ops = {"DescribeStreamSummary", "ListShards", "GetShardIterator",
                                        "GetRecords", "CreateStream", "PutRecords"};
  ASSERT_EQ(requests.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    ExpectSignedKinesisRequest(requests[i], ops[i]);
    EXPECT_EQ(FakeHttpClient::Header(requests[i], "X-Amz-Date"), "20240501T120000Z");
  }
  EXPECT_EQ(BodyString(requests[2], "ShardIteratorType"), "AFTER_SEQUENCE_NUMBER");
  EXPECT_EQ(BodyString(requests[2], "StartingSequenceNumber"), Seq(1));
  EXPECT_EQ(BodyString(requests[4], "StreamName"), "new-stream");
  EXPECT_TRUE(Contains(requests[4].body, "\"ShardCount\":2")) << requests[4].body;
}

TEST_F(KinesisClientTest, EndpointTrailingSlashIsNotDoubled) {
  KinesisClientConfig c = Config();
  c.endpoint = std::string(kEndpoint) + "//";
  KinesisClient client(http_, clock_, c);
  http_.AddResponse(200, R"({"ShardIterator":"AAAA-it"})");
  ASSERT_TRUE(client.GetShardIterator("orders", "shardId-000000000000", IteratorStart{}).ok());
  EXPECT_EQ(http_.requests()[0].url, std::string(kEndpoint) + "/");
}

// --- ListShards paging ---------------------------------------------------------------------------

TEST_F(KinesisClientTest, ListShardsFollowsNextTokenWithoutStreamName) {
  http_.AddResponse(
      200,
      R"({"Shards":[)"
      R"({"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":)"
      R"("170141183460469231731687303715884105727"},"SequenceNumberRange":{"StartingSequenceNumber":)"
      R"("49590338271468005837424470342530373829453612584734261250","EndingSequenceNumber":)"
      R"("49590338271479156210023735653994484622185380453124538370"}},)"
      R"({"ShardId":"shardId-000000000001","HashKeyRange":{"StartingHashKey":)"
      R"("170141183460469231731687303715884105728","EndingHashKey":)"
      R"("340282366920938463463374607431768211455"},"SequenceNumberRange":{"StartingSequenceNumber":)"
      R"("49590338271490306140023241978064016145345838624478347282"}}],"NextToken":"tok1"})");
  http_.AddResponse(
      200,
      R"({"Shards":[{"ShardId":"shardId-000000000002","ParentShardId":"shardId-000000000000",)"
      R"("AdjacentParentShardId":null,"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":)"
      R"("170141183460469231731687303715884105727"},"SequenceNumberRange":{"StartingSequenceNumber":)"
      R"("49590338271512606885221772601205552863918486985984000034"}}]})");

  ListShardsRequest req;
  req.stream_name = "orders";
  req.max_results = 2;
  req.filter = ShardFilter{"AT_TRIM_HORIZON", "", std::nullopt};
  auto r = client_.ListShards(req);
  ASSERT_TRUE(r.ok()) << r.status().message();

  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  ExpectSignedKinesisRequest(requests[0], "ListShards");
  ExpectSignedKinesisRequest(requests[1], "ListShards");
  EXPECT_EQ(BodyString(requests[0], "StreamName"), "orders");
  EXPECT_TRUE(Contains(requests[0].body, "ShardFilter")) << requests[0].body;
  EXPECT_FALSE(Contains(requests[0].body, "NextToken")) << requests[0].body;
  EXPECT_TRUE(Contains(requests[1].body, "NextToken")) << requests[1].body;
  EXPECT_EQ(BodyString(requests[1], "NextToken"), "tok1");
  EXPECT_FALSE(Contains(requests[1].body, "StreamName")) << requests[1].body;
  EXPECT_FALSE(Contains(requests[1].body, "ShardFilter")) << requests[1].body;
  EXPECT_TRUE(Contains(requests[1].body, "\"MaxResults\":2")) << requests[1].body;

  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].shard_id, "shardId-000000000000");
  EXPECT_EQ((*r)[1].shard_id, "shardId-000000000001");
  EXPECT_EQ((*r)[2].shard_id, "shardId-000000000002");
  EXPECT_FALSE((*r)[0].is_open());
  EXPECT_TRUE((*r)[1].is_open());
  EXPECT_EQ((*r)[2].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ((*r)[2].adjacent_parent_shard_id, "");
}

TEST_F(KinesisClientTest, ListShardsThrottledPageIsRetried) {
  http_.AddResponse(200, R"({"Shards":[{"ShardId":"shardId-000000000000"}],"NextToken":"tok1"})");
  http_.AddResponse(400, R"({"__type":"LimitExceededException","message":"Rate exceeded"})");
  http_.AddResponse(200, R"({"Shards":[{"ShardId":"shardId-000000000001"}],"NextToken":null})");
  ListShardsRequest req;
  req.stream_name = "orders";
  auto r = client_.ListShards(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].shard_id, "shardId-000000000001");
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(BodyString(requests[2], "NextToken"), "tok1");  // the retry resends the same page
  EXPECT_EQ(clock_.sleeps().size(), 1u);
}

// --- PutRecords ----------------------------------------------------------------------------------

std::vector<PutRecordsEntry> MakeEntries(size_t n, size_t data_size = 0) {
  std::vector<PutRecordsEntry> entries;
  for (size_t i = 0; i < n; ++i) {
    PutRecordsEntry e;
    e.partition_key = "pk-" + std::to_string(i);
    e.data = data_size ? std::string(data_size, static_cast<char>('a' + i % 26))
                       : "payload-" + std::to_string(i);
    entries.push_back(std::move(e));
  }
  return entries;
}

TEST_F(KinesisClientTest, PutRecordsSplitsAt500Records) {
  http_.SetResponder([](const HttpRequest& req) -> Result<HttpResponse> {
    return PutRecordsResponse(SentRecords(req), nullptr);
  });
  auto entries = MakeEntries(1200);
  auto r = client_.PutRecords("orders", entries);
  ASSERT_TRUE(r.ok()) << r.status().message();

  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<size_t> sizes;
  size_t next = 0;
  for (const auto& req : requests) {
    ExpectSignedKinesisRequest(req, "PutRecords");
    EXPECT_EQ(BodyString(req, "StreamName"), "orders");
    auto sent = SentRecords(req);
    sizes.push_back(sent.size());
    for (const auto& s : sent) {  // in input order, each once
      ASSERT_LT(next, entries.size());
      EXPECT_EQ(s.partition_key, entries[next].partition_key);
      EXPECT_EQ(s.data, entries[next].data);
      ++next;
    }
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{500, 500, 200}));
  ASSERT_EQ(r->size(), 1200u);
  for (size_t i = 0; i < r->size(); ++i) {
    EXPECT_TRUE((*r)[i].ok) << i;
    EXPECT_EQ((*r)[i].sequence_number, "seq-pk-" + std::to_string(i));
  }
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(KinesisClientTest, PutRecordsResendsOnlyThrottledEntries) {
  int call = 0;
  http_.SetResponder([&call](const HttpRequest& req) -> Result<HttpResponse> {
    ++call;
    return PutRecordsResponse(SentRecords(req), [&](const std::string& pk) -> std::string {
      if (call == 1 && (pk == "pk-1" || pk == "pk-4")) return "ProvisionedThroughputExceededException";
      return "";
    });
  });
  auto entries = MakeEntries(6);
  entries[4].data = std::string("\x00\xff binary \x01", 11);
  auto r = client_.PutRecords("orders", entries);
  ASSERT_TRUE(r.ok()) << r.status().message();

  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(SentRecords(requests[0]).size(), 6u);
  auto resent = SentRecords(requests[1]);
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_EQ(resent[0].partition_key, "pk-1");
  EXPECT_EQ(resent[0].data, entries[1].data);
  EXPECT_EQ(resent[1].partition_key, "pk-4");
  EXPECT_EQ(resent[1].data, entries[4].data);
  EXPECT_EQ(clock_.sleeps().size(), 1u);

  ASSERT_EQ(r->size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_TRUE((*r)[i].ok) << i;
    EXPECT_EQ((*r)[i].sequence_number, "seq-pk-" + std::to_string(i)) << i;
    EXPECT_EQ((*r)[i].error_code, "") << i;
  }
}

TEST_F(KinesisClientTest, PutRecordsPersistentlyThrottledEntryEndsFailed) {
  http_.SetResponder([](const HttpRequest& req) -> Result<HttpResponse> {
    return PutRecordsResponse(SentRecords(req), [](const std::string& pk) -> std::string {
      return pk == "pk-2" ? "ProvisionedThroughputExceededException" : "";
    });
  });
  auto r = client_.PutRecords("orders", MakeEntries(4));
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 5u);  // max_attempts rounds
  for (size_t i = 1; i < requests.size(); ++i) {
    auto sent = SentRecords(requests[i]);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].partition_key, "pk-2");
  }
  EXPECT_EQ(clock_.sleeps().size(), 4u);
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok);
  EXPECT_TRUE((*r)[1].ok);
  EXPECT_FALSE((*r)[2].ok);
  EXPECT_EQ((*r)[2].error_code, "ProvisionedThroughputExceededException");
  EXPECT_FALSE((*r)[2].error_message.empty());
  EXPECT_TRUE((*r)[3].ok);
}

TEST_F(KinesisClientTest, PutRecordsKeepsRequestsWithin5MiB) {
  http_.SetResponder([](const HttpRequest& req) -> Result<HttpResponse> {
    return PutRecordsResponse(SentRecords(req), nullptr);
  });
  auto entries = MakeEntries(6, 1000000);
  auto r = client_.PutRecords("orders", entries);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto requests = http_.requests();
  EXPECT_GE(requests.size(), 2u);
  size_t total = 0;
  size_t next = 0;
  for (const auto& req : requests) {
    auto sent = SentRecords(req);
    size_t bytes = 0;
    for (const auto& s : sent) {
      bytes += s.data.size() + s.partition_key.size();
      ASSERT_LT(next, entries.size());
      EXPECT_EQ(s.data, entries[next].data);
      ++next;
    }
    EXPECT_LE(bytes, 5u * 1024 * 1024);
    total += sent.size();
  }
  EXPECT_EQ(total, 6u);
  ASSERT_EQ(r->size(), 6u);
  for (const auto& e : *r) EXPECT_TRUE(e.ok);
}

TEST_F(KinesisClientTest, PutRecordsRejectsInvalidEntriesWithoutSendingThem) {
  http_.SetResponder([](const HttpRequest& req) -> Result<HttpResponse> {
    return PutRecordsResponse(SentRecords(req), nullptr);
  });
  std::vector<PutRecordsEntry> entries = {
      {"a", "pk-0", ""},
      {"b", "", ""},                                  // empty partition key
      {"c", "pk-2", ""},
      {std::string(1024 * 1024, 'x'), "pk-3", ""},    // over 1 MiB with its key
      {"e", std::string(257, 'k'), ""},               // key too long
  };
  auto r = client_.PutRecords("orders", entries);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto sent = SentRecords(requests[0]);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].partition_key, "pk-0");
  EXPECT_EQ(sent[1].partition_key, "pk-2");
  ASSERT_EQ(r->size(), 5u);
  EXPECT_TRUE((*r)[0].ok);
  EXPECT_FALSE((*r)[1].ok);
  EXPECT_FALSE((*r)[1].error_code.empty());
  EXPECT_TRUE((*r)[2].ok);
  EXPECT_EQ((*r)[2].sequence_number, "seq-pk-2");
  EXPECT_FALSE((*r)[3].ok);
  EXPECT_FALSE((*r)[4].ok);
}

TEST_F(KinesisClientTest, PutRecordsWithOnlyInvalidEntriesSendsNothing) {
  auto r = client_.PutRecords("orders", {{"a", "", ""}, {"b", "", ""}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(http_.request_count(), 0u);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].ok);
  EXPECT_FALSE((*r)[1].ok);
}

TEST_F(KinesisClientTest, PutRecordsResponseWithWrongCountIsAnError) {
  http_.AddResponse(200, R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]})");
  auto r = client_.PutRecords("orders", MakeEntries(3));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "orders")) << r.status().message();
}

TEST_F(KinesisClientTest, PutRecordsWholeCallFatalErrorIsReturned) {
  http_.AddResponse(400, R"({"__type":"ResourceNotFoundException","message":"Stream gone not found"})");
  auto r = client_.PutRecords("gone", MakeEntries(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kFatal);
  EXPECT_TRUE(Contains(r.status().message(), "gone")) << r.status().message();
  EXPECT_EQ(http_.request_count(), 1u);
}

// --- Parsers -------------------------------------------------------------------------------------

TEST(KinesisParseGetRecords, ClosedShardWithNullIteratorAndChildShards) {
  auto r = ParseGetRecordsResponse(
      R"({"Records":[],"NextShardIterator":null,"MillisBehindLatest":0,"ChildShards":[)"
      R"({"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000",)"
      R"("shardId-000000000001"],"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"1"}}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_shard_iterator, "");
  EXPECT_EQ(r->millis_behind_latest, 0);
  ASSERT_EQ(r->child_shards.size(), 1u);
  EXPECT_EQ(r->child_shards[0].shard_id, "shardId-000000000002");
  EXPECT_EQ(r->child_shards[0].parent_shards,
            (std::vector<std::string>{"shardId-000000000000", "shardId-000000000001"}));
}

TEST(KinesisParseGetRecords, MissingMillisBehindAndNullChildShards) {
  auto r = ParseGetRecordsResponse(R"({"Records":[],"NextShardIterator":"AAAA","ChildShards":null})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->millis_behind_latest, -1);
  EXPECT_TRUE(r->child_shards.empty());
  EXPECT_EQ(r->next_shard_iterator, "AAAA");
}

// The hot path parses a body in place when the padding after it is readable (spare capacity of
// the reused response body), and decodes into the arena the previous result on this thread gave
// back; neither may change what comes out.
TEST(KinesisParseGetRecords, PaddedInPlaceParseAndRecycledArenaGiveTheSameRecords) {
  std::string body = R"({"Records":[{"SequenceNumber":")" + Seq(1) +
                     R"(","ApproximateArrivalTimestamp":1700000000.25,"Data":"eyJhIjoxfQ==","PartitionKey":"pk"}],)"
                     R"("NextShardIterator":"next","MillisBehindLatest":7})";
  std::string padded = body;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  // Garbage after the text must not be read as part of it.
  padded.append("}]]garbage");
  padded.resize(body.size());
  const std::string* first_arena = nullptr;
  {
    auto copied = ParseGetRecordsResponse(body);
    ASSERT_TRUE(copied.ok()) << copied.status().message();
    first_arena = copied->arena.get();
  }  // its arena goes to this thread's spare slot
  auto in_place = ParseGetRecordsResponse(padded, /*padded=*/true);
  ASSERT_TRUE(in_place.ok()) << in_place.status().message();
  EXPECT_EQ(in_place->arena.get(), first_arena) << "the arena was not recycled";
  ASSERT_EQ(in_place->records.size(), 1u);
  EXPECT_EQ(in_place->records[0].sequence_number, Seq(1));
  EXPECT_EQ(in_place->records[0].data, R"({"a":1})");
  EXPECT_EQ(in_place->records[0].partition_key, "pk");
  EXPECT_EQ(in_place->records[0].arrival_time_ms, 1700000000250);
  EXPECT_EQ(in_place->next_shard_iterator, "next");
  EXPECT_EQ(in_place->millis_behind_latest, 7);
}

TEST(KinesisParseGetRecords, MissingRecordsIsEmpty) {
  auto r = ParseGetRecordsResponse(R"({"NextShardIterator":"AAAA","MillisBehindLatest":1234})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->millis_behind_latest, 1234);
}

TEST(KinesisParseGetRecords, RecordsWithNullsBinaryDataAndTimestamps) {
  // "AP8Q" = 00 ff 10; "AAD/" = 00 00 ff.
  std::string body =
      R"({"Records":[)"
      R"({"SequenceNumber":")" + Seq(1) + R"(","ApproximateArrivalTimestamp":1.714564800123E9,)"
      R"("Data":"AP8Q","PartitionKey":"pk-a","EncryptionType":null},)"
      R"({"SequenceNumber":")" + Seq(2) + R"(","ApproximateArrivalTimestamp":1700000000.5,)"
      R"("Data":"AAD/","PartitionKey":"pk-b","EncryptionType":"KMS"},)"
      R"({"SequenceNumber":")" + Seq(3) + R"(","ApproximateArrivalTimestamp":1700000001,)"
      R"("Data":"","PartitionKey":"pk-c"}],)"
      R"("NextShardIterator":"AAAA-next","MillisBehindLatest":42,"ChildShards":[]})";
  auto r = ParseGetRecordsResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 3u);
  const auto& a = r->records[0];
  EXPECT_EQ(a.sequence_number, Seq(1));
  EXPECT_EQ(a.partition_key, "pk-a");
  EXPECT_EQ(a.data, std::string_view("\x00\xff\x10", 3));
  EXPECT_EQ(a.encryption_type, "");
  EXPECT_EQ(a.arrival_time_ms, 1714564800123);
  const auto& b = r->records[1];
  EXPECT_EQ(b.sequence_number, Seq(2));
  EXPECT_EQ(b.data, std::string_view("\x00\x00\xff", 3));
  EXPECT_EQ(b.encryption_type, "KMS");
  EXPECT_EQ(b.arrival_time_ms, 1700000000500);
  const auto& c = r->records[2];
  EXPECT_EQ(c.data, "");
  EXPECT_EQ(c.arrival_time_ms, 1700000001000);
  EXPECT_EQ(c.partition_key, "pk-c");
  EXPECT_EQ(r->millis_behind_latest, 42);
  EXPECT_TRUE(r->child_shards.empty());
}

TEST(KinesisParseGetRecords, ViewsSurviveMovingTheResult) {
  std::string body = R"({"Records":[{"SequenceNumber":")" + Seq(7) +
                     R"(","Data":"aGVsbG8gd29ybGQ=","PartitionKey":"pk-7"}],"NextShardIterator":"x"})";
  auto r = ParseGetRecordsResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  GetRecordsResult moved = std::move(r).value();
  ASSERT_EQ(moved.records.size(), 1u);
  EXPECT_EQ(moved.records[0].data, "hello world");
  EXPECT_EQ(moved.records[0].sequence_number, Seq(7));
  EXPECT_EQ(moved.records[0].partition_key, "pk-7");
}

TEST(KinesisParseGetRecords, InvalidBase64IsAnError) {
  std::string body = R"({"Records":[{"SequenceNumber":")" + Seq(9) +
                     R"(","Data":"ab$=","PartitionKey":"pk"}],"NextShardIterator":"x"})";
  auto r = ParseGetRecordsResponse(body);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), Seq(9))) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "base64")) << r.status().message();
}

// The On-Demand parser reads Data straight from the body: an escaped "\/" (legal JSON, some
// encoders write it) must still decode, unknown fields (also nested ones) are skipped, any field
// order and whitespace are fine.
TEST(KinesisParseGetRecords, EscapedDataUnknownFieldsAnyOrderAndWhitespace) {
  // "AAD/" = 00 00 ff, written with an escaped slash.
  std::string body = "{ \"MillisBehindLatest\" : 5 ,\n \"Extra\": {\"a\": [1, {\"b\": null}]},\n"
                     "  \"Records\" : [ { \"Data\" : \"AAD\\/\" , \"Future\": [true],"
                     " \"PartitionKey\": \"p\\u006b\", \"SequenceNumber\" : \"" + Seq(4) + "\" } ] ,"
                     " \"NextShardIterator\" : \"it\" }\n";
  auto r = ParseGetRecordsResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, std::string_view("\x00\x00\xff", 3));
  EXPECT_EQ(r->records[0].partition_key, "pk");
  EXPECT_EQ(r->records[0].sequence_number, Seq(4));
  EXPECT_EQ(r->next_shard_iterator, "it");
  EXPECT_EQ(r->millis_behind_latest, 5);
}

TEST(KinesisParseGetRecords, TrailingDataAndNonObjectRecordsAreErrors) {
  EXPECT_FALSE(ParseGetRecordsResponse(R"({"Records":[],"NextShardIterator":"x"} {"x":1})").ok());
  EXPECT_FALSE(ParseGetRecordsResponse(R"({"Records":[],"NextShardIterator":"x"}])").ok());
  auto r = ParseGetRecordsResponse(R"({"Records":[17],"NextShardIterator":"x"})");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "not an object")) << r.status().message();
  EXPECT_FALSE(ParseGetRecordsResponse(R"({"Records":[{"SequenceNumber":"1","Data":"YQ=="})").ok());
  EXPECT_FALSE(ParseGetRecordsResponse(R"([{"Records":[]}])").ok());
}

TEST(KinesisParseGetRecords, HugeNumbersSaturate) {
  auto r = ParseGetRecordsResponse(R"({"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":1e300,"Data":""}],)"
                                   R"("MillisBehindLatest":-1e300,"NextShardIterator":"x"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].arrival_time_ms, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r->millis_behind_latest, std::numeric_limits<int64_t>::min());
}

TEST(KinesisParseGetRecords, RecordWithoutSequenceNumberIsAnError) {
  auto r = ParseGetRecordsResponse(R"({"Records":[{"Data":"YQ==","PartitionKey":"pk"}]})");
  EXPECT_FALSE(r.ok());
}

TEST(KinesisParseGetRecords, NotJsonIsAnError) {
  EXPECT_FALSE(ParseGetRecordsResponse("<html>502</html>").ok());
  EXPECT_FALSE(ParseGetRecordsResponse("").ok());
  EXPECT_FALSE(ParseGetRecordsResponse(R"({"Records":[)").ok());
}

// GetRecordsResult's records are string_views into result.arena. When every record is tiny the
// arena fits std::string's small-string buffer (15 bytes in libstdc++), and moving the result —
// which ParseGetRecordsResponse itself does when it wraps it in Result<> — copies those bytes to
// the new object while the views keep pointing at the old, destroyed one. Found here; realistic
// 56-digit sequence numbers hide it, short ones (some emulators, tests) expose it.
TEST(KinesisParseRegression, SmallRecordViewsPointIntoTheReturnedArena) {
  auto r = ParseGetRecordsResponse(
      R"({"Records":[{"SequenceNumber":"7","Data":"YQ==","PartitionKey":"k"}],"NextShardIterator":"x"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  const KinesisRecord& rec = r->records[0];
  auto inside = [&](std::string_view v) {
    auto p = reinterpret_cast<uintptr_t>(v.data());
    auto begin = reinterpret_cast<uintptr_t>(r->arena->data());
    return p >= begin && p + v.size() <= begin + r->arena->size();
  };
  // Only dereference the views when they are valid (the failure must not read freed memory).
  EXPECT_TRUE(inside(rec.data)) << "record data view does not point into the result's arena";
  EXPECT_TRUE(inside(rec.sequence_number)) << "sequence number view dangles";
  EXPECT_TRUE(inside(rec.partition_key)) << "partition key view dangles";
  if (inside(rec.data) && inside(rec.sequence_number) && inside(rec.partition_key)) {
    EXPECT_EQ(rec.data, "a");
    EXPECT_EQ(rec.sequence_number, "7");
    EXPECT_EQ(rec.partition_key, "k");
  }
}

TEST(KinesisParseListShards, NullsAndClosedShards) {
  std::vector<ShardInfo> shards;
  shards.push_back(ShardInfo{"shardId-existing", "", "", "", "", "", ""});
  std::string next = "stale";
  Status st = ParseListShardsPage(
      R"({"Shards":[)"
      R"({"ShardId":"shardId-000000000000","ParentShardId":null,"AdjacentParentShardId":null,)"
      R"("HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},)"
      R"("SequenceNumberRange":{"StartingSequenceNumber":"100","EndingSequenceNumber":"200"}},)"
      R"({"ShardId":"shardId-000000000003","ParentShardId":"shardId-000000000001",)"
      R"("AdjacentParentShardId":"shardId-000000000002","HashKeyRange":null,)"
      R"("SequenceNumberRange":{"StartingSequenceNumber":"300","EndingSequenceNumber":null}}],)"
      R"("NextToken":null})",
      shards, next);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(next, "");
  ASSERT_EQ(shards.size(), 3u);  // appended to what was there
  EXPECT_EQ(shards[0].shard_id, "shardId-existing");
  const ShardInfo& closed = shards[1];
  EXPECT_EQ(closed.shard_id, "shardId-000000000000");
  EXPECT_EQ(closed.parent_shard_id, "");
  EXPECT_EQ(closed.adjacent_parent_shard_id, "");
  EXPECT_EQ(closed.starting_hash_key, "0");
  EXPECT_EQ(closed.ending_hash_key, "340282366920938463463374607431768211455");
  EXPECT_EQ(closed.starting_sequence_number, "100");
  EXPECT_EQ(closed.ending_sequence_number, "200");
  EXPECT_FALSE(closed.is_open());
  const ShardInfo& merged = shards[2];
  EXPECT_EQ(merged.parent_shard_id, "shardId-000000000001");
  EXPECT_EQ(merged.adjacent_parent_shard_id, "shardId-000000000002");
  EXPECT_EQ(merged.starting_hash_key, "");
  EXPECT_TRUE(merged.is_open());
}

TEST(KinesisParseListShards, NextTokenAndMissingShards) {
  std::vector<ShardInfo> shards;
  std::string next;
  ASSERT_TRUE(ParseListShardsPage(R"({"NextToken":"tok2"})", shards, next).ok());
  EXPECT_EQ(next, "tok2");
  EXPECT_TRUE(shards.empty());
  EXPECT_FALSE(ParseListShardsPage("not json", shards, next).ok());
}

TEST(KinesisParseDescribeStreamSummary, WithStreamMode) {
  auto r = ParseDescribeStreamSummary(
      R"({"StreamDescriptionSummary":{"StreamName":"orders","StreamARN":)"
      R"("arn:aws:kinesis:us-east-1:000000000000:stream/orders","StreamStatus":"ACTIVE",)"
      R"("StreamModeDetails":{"StreamMode":"ON_DEMAND"},"RetentionPeriodHours":24,)"
      R"("StreamCreationTimestamp":1.714564800E9,"EnhancedMonitoring":[{"ShardLevelMetrics":[]}],)"
      R"("EncryptionType":"NONE","OpenShardCount":4,"ConsumerCount":0}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->stream_name, "orders");
  EXPECT_EQ(r->stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  EXPECT_EQ(r->stream_status, "ACTIVE");
  EXPECT_EQ(r->stream_mode, "ON_DEMAND");
  EXPECT_EQ(r->open_shard_count, 4);
  EXPECT_EQ(r->retention_period_hours, 24);
}

TEST(KinesisParseDescribeStreamSummary, WithoutStreamMode) {
  for (const char* mode : {"", R"("StreamModeDetails":null,)"}) {
    std::string body = std::string(R"({"StreamDescriptionSummary":{)") + mode +
                       R"("StreamName":"orders","StreamStatus":"CREATING","OpenShardCount":1,)"
                       R"("RetentionPeriodHours":168,"StreamARN":null}})";
    auto r = ParseDescribeStreamSummary(body);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->stream_mode, "") << body;
    EXPECT_EQ(r->stream_status, "CREATING");
    EXPECT_EQ(r->stream_arn, "");
    EXPECT_EQ(r->retention_period_hours, 168);
    EXPECT_EQ(r->open_shard_count, 1);
  }
}

TEST(KinesisParseDescribeStreamSummary, MissingSummaryIsAnError) {
  EXPECT_FALSE(ParseDescribeStreamSummary("{}").ok());
  EXPECT_FALSE(ParseDescribeStreamSummary(R"({"StreamDescriptionSummary":null})").ok());
  EXPECT_FALSE(ParseDescribeStreamSummary("").ok());
}

TEST(KinesisParsePutRecords, MixedSuccessAndFailure) {
  auto r = ParsePutRecordsResponse(
      R"({"FailedRecordCount":1,"EncryptionType":"NONE","Records":[)"
      R"({"SequenceNumber":"49543463076548007577105092703039560359975228518395019266",)"
      R"("ShardId":"shardId-000000000000"},)"
      R"({"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for )"
      R"(shard shardId-000000000001 in stream orders under account 000000000000."},)"
      R"({"SequenceNumber":"49543463076570308322303623326179887152428262250726293522",)"
      R"("ShardId":"shardId-000000000001","ErrorCode":null,"ErrorMessage":null},)"
      R"({"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure.",)"
      R"("SequenceNumber":null,"ShardId":null}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok);
  EXPECT_EQ((*r)[0].shard_id, "shardId-000000000000");
  EXPECT_EQ((*r)[0].sequence_number, "49543463076548007577105092703039560359975228518395019266");
  EXPECT_FALSE((*r)[1].ok);
  EXPECT_EQ((*r)[1].error_code, "ProvisionedThroughputExceededException");
  EXPECT_TRUE(Contains((*r)[1].error_message, "Rate exceeded")) << (*r)[1].error_message;
  EXPECT_TRUE((*r)[2].ok);
  EXPECT_EQ((*r)[2].error_code, "");
  EXPECT_FALSE((*r)[3].ok);
  EXPECT_EQ((*r)[3].error_code, "InternalFailure");
  EXPECT_EQ((*r)[3].sequence_number, "");
}

TEST(KinesisParsePutRecords, MissingRecordsIsAnError) {
  EXPECT_FALSE(ParsePutRecordsResponse(R"({"FailedRecordCount":0})").ok());
  EXPECT_FALSE(ParsePutRecordsResponse("garbage").ok());
}

}  // namespace
}  // namespace ki
