// --wire cbor: the CBOR reader/writer (src/kinesis/cbor.h), GetRecords answers in CBOR in the
// shapes of AWS and kinesis-local (get_records_cbor.cc), CBOR error bodies, and the client asking
// in CBOR and reading whatever Content-Type comes back. The bytes are built here by hand, by the
// RFC 8949 rules, independently of the writer under test.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fake_clock.h"
#include "fake_http_client.h"
#include "kinesis/cbor.h"
#include "kinesis/kinesis_client.h"
#include "kinesis/kinesis_error.h"

namespace ki {
namespace {

using fakes::FakeClock;
using fakes::FakeHttpClient;

// --- Hand-built CBOR ---------------------------------------------------------------------------

std::string Head(int major, uint64_t v) {
  std::string out;
  const auto m = static_cast<char>(major << 5);
  if (v < 24) return std::string(1, static_cast<char>(m | static_cast<char>(v)));
  int n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x100000000ull ? 4 : 8;
  out.push_back(static_cast<char>(m | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27)));
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string T(const std::string& s) { return Head(3, s.size()) + s; }
std::string B(const std::string& s) { return Head(2, s.size()) + s; }
std::string U(uint64_t v) { return Head(0, v); }
std::string Tag1(const std::string& item) { return Head(6, 1) + item; }
std::string Null() { return std::string(1, '\xf6'); }
std::string Double(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  std::string out(1, '\xfb');
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  return out;
}
std::string Map(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out = Head(5, pairs.size());
  for (const auto& [k, v] : pairs) out += k + v;
  return out;
}
std::string Array(const std::vector<std::string>& items) {
  std::string out = Head(4, items.size());
  for (const auto& i : items) out += i;
  return out;
}

const std::string kSeq1 = "49654321000000000000000000000000000000000000000000000001";
const std::string kSeq2 = "49654321000000000000000000000000000000000000000000000002";

// What AWS sends: Data a byte string, the arrival time tag 1 + integer milliseconds.
std::string AwsAnswer() {
  return Map({{T("Records"),
               Array({Map({{T("SequenceNumber"), T(kSeq1)},
                           {T("ApproximateArrivalTimestamp"), Tag1(U(1764590000123))},
                           {T("Data"), B(std::string("{\"a\":1}\x00\xff", 9))},
                           {T("PartitionKey"), T("pk-1")}}),
                      Map({{T("SequenceNumber"), T(kSeq2)},
                           {T("ApproximateArrivalTimestamp"), Tag1(U(1764590000124))},
                           {T("Data"), B("")},
                           {T("PartitionKey"), T("pk-2")},
                           {T("EncryptionType"), T("KMS")}})})},
              {T("NextShardIterator"), T("AAAA-next")},
              {T("MillisBehindLatest"), U(1500)}});
}

TEST(GetRecordsCbor, AwsShapeRawDataAndTaggedMilliseconds) {
  auto r = ParseGetRecordsCborResponse(AwsAnswer());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].sequence_number, kSeq1);
  EXPECT_EQ(r->records[0].data, std::string_view("{\"a\":1}\x00\xff", 9));
  EXPECT_EQ(r->records[0].partition_key, "pk-1");
  EXPECT_EQ(r->records[0].arrival_time_ms, 1764590000123);
  EXPECT_EQ(r->records[0].encryption_type, "");
  EXPECT_EQ(r->records[1].data, "");
  EXPECT_EQ(r->records[1].encryption_type, "KMS");
  EXPECT_EQ(r->records[1].arrival_time_ms, 1764590000124);
  EXPECT_EQ(r->next_shard_iterator, "AAAA-next");
  EXPECT_EQ(r->millis_behind_latest, 1500);
  EXPECT_TRUE(r->child_shards.empty());
}

// kinesis-local: Data as base64 text, timestamps as untagged integer milliseconds, explicit nulls.
TEST(GetRecordsCbor, KinesisLocalShapeBase64TextAndUntaggedMilliseconds) {
  std::string body = Map({{T("Records"), Array({Map({{T("SequenceNumber"), T("7")},
                                                     {T("ApproximateArrivalTimestamp"), U(1700000000500)},
                                                     {T("Data"), T("eyJhIjoxfQ==")},
                                                     {T("PartitionKey"), T("k")},
                                                     {T("EncryptionType"), Null()}})})},
                          {T("NextShardIterator"), T("it")},
                          {T("MillisBehindLatest"), U(0)},
                          {T("ChildShards"), Null()}});
  auto r = ParseGetRecordsCborResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, R"({"a":1})");
  EXPECT_EQ(r->records[0].arrival_time_ms, 1700000000500);
  EXPECT_EQ(r->records[0].encryption_type, "");
  EXPECT_EQ(r->millis_behind_latest, 0);
}

TEST(GetRecordsCbor, ClosedShardWithNullIteratorAndChildShards) {
  std::string body =
      Map({{T("Records"), Array({})},
           {T("NextShardIterator"), Null()},
           {T("ChildShards"),
            Array({Map({{T("ShardId"), T("shardId-000000000002")},
                        {T("ParentShards"), Array({T("shardId-000000000000"), T("shardId-000000000001")})},
                        {T("HashKeyRange"), Map({{T("StartingHashKey"), T("0")}, {T("EndingHashKey"), T("1")}})}})})}});
  auto r = ParseGetRecordsCborResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_shard_iterator, "");
  EXPECT_EQ(r->millis_behind_latest, -1);
  ASSERT_EQ(r->child_shards.size(), 1u);
  EXPECT_EQ(r->child_shards[0].shard_id, "shardId-000000000002");
  EXPECT_EQ(r->child_shards[0].parent_shards,
            (std::vector<std::string>{"shardId-000000000000", "shardId-000000000001"}));
}

// Indefinite-length maps, arrays and chunked strings are valid CBOR; a float timestamp is
// seconds (as in JSON); unknown keys (also nested ones, also non-text keys) are skipped.
TEST(GetRecordsCbor, IndefiniteLengthsFloatSecondsAndUnknownKeys) {
  std::string record = "\xbf" + T("Future") + Array({U(1), Map({{T("x"), Null()}})}) + U(5) + T("int key") +
                       T("SequenceNumber") + "\x7f" + T("4") + T("2") + "\xff" + T("Data") + "\x5f" + B("ab") +
                       B("cd") + "\xff" + T("ApproximateArrivalTimestamp") + Tag1(Double(1700000000.25)) + "\xff";
  std::string body = "\xbf" + T("Records") + "\x9f" + record + "\xff" + T("NextShardIterator") + T("x") + "\xff";
  auto r = ParseGetRecordsCborResponse(body);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].sequence_number, "42");
  EXPECT_EQ(r->records[0].data, "abcd");
  EXPECT_EQ(r->records[0].arrival_time_ms, 1700000000250);
  EXPECT_EQ(r->next_shard_iterator, "x");
}

// Every proper prefix of an answer is incomplete, and none may be read past its end (ASan in CI);
// the errors are retriable (the answer is fetched again), the record errors say what is wrong.
TEST(GetRecordsCbor, MalformedAnswersAreErrorsThatSayWhy) {
  const std::string full = AwsAnswer();
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = ParseGetRecordsCborResponse(std::string_view(full.data(), n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes";
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  auto trailing = ParseGetRecordsCborResponse(full + U(0));
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("trailing"), std::string::npos) << trailing.status().message();
  EXPECT_EQ(trailing.status().kind(), ErrorKind::kRetriable);

  // A count far beyond the input; nesting deeper than the reader allows.
  EXPECT_FALSE(ParseGetRecordsCborResponse(Head(5, 1) + T("Records") + Head(4, 1ull << 40)).ok());
  std::string deep = Head(5, 1) + T("Unknown");
  for (int i = 0; i < 200; ++i) deep += Head(4, 1);
  deep += U(0);
  EXPECT_FALSE(ParseGetRecordsCborResponse(deep).ok());
  EXPECT_FALSE(ParseGetRecordsCborResponse(std::string(1, '\x1c')).ok());  // reserved additional info
  EXPECT_FALSE(ParseGetRecordsCborResponse(Array({})).ok());                // not a map

  auto no_seq = ParseGetRecordsCborResponse(Map({{T("Records"), Array({Map({{T("Data"), B("x")}})})}}));
  ASSERT_FALSE(no_seq.ok());
  EXPECT_NE(no_seq.status().message().find("without SequenceNumber"), std::string::npos);
  auto not_map = ParseGetRecordsCborResponse(Map({{T("Records"), Array({U(17)})}}));
  ASSERT_FALSE(not_map.ok());
  EXPECT_NE(not_map.status().message().find("not a map"), std::string::npos);
  auto bad_base64 = ParseGetRecordsCborResponse(
      Map({{T("Records"), Array({Map({{T("SequenceNumber"), T(kSeq1)}, {T("Data"), T("ab$=")}})})}}));
  ASSERT_FALSE(bad_base64.ok());
  EXPECT_NE(bad_base64.status().message().find(kSeq1), std::string::npos) << bad_base64.status().message();
  EXPECT_NE(bad_base64.status().message().find("base64"), std::string::npos);
}

// Numbers out of int64's range saturate instead of being converted (undefined behaviour).
TEST(GetRecordsCbor, HugeNumbersSaturate) {
  auto r = ParseGetRecordsCborResponse(
      Map({{T("Records"), Array({Map({{T("SequenceNumber"), T("1")},
                                      {T("ApproximateArrivalTimestamp"), Tag1(U(~uint64_t{0}))}}),
                                 Map({{T("SequenceNumber"), T("2")},
                                      {T("ApproximateArrivalTimestamp"), Double(-1e300)}})})},
           {T("MillisBehindLatest"), Double(1e300)}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].arrival_time_ms, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r->records[1].arrival_time_ms, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r->millis_behind_latest, std::numeric_limits<int64_t>::max());
}

TEST(CborWriter, WritesTheShortestHeads) {
  CborWriter w;
  w.MapHeader(2);
  w.Text("Limit");
  w.Unsigned(10000);
  w.Text("n");
  w.Unsigned(23);
  EXPECT_EQ(w.bytes(), std::string("\xa2") + T("Limit") + std::string("\x19\x27\x10", 3) + T("n") + "\x17");
  CborReader r(w.bytes());
  CborHead h;
  ASSERT_TRUE(r.ReadHead(&h));
  EXPECT_EQ(h.major, CborMajor::kMap);
  EXPECT_EQ(h.value, 2u);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(r.Skip());
  EXPECT_TRUE(r.AtEnd());
}

TEST(CborHalfFloat, DecodesHalfPrecision) {
  const std::string bytes("\xf9\x3c\x00\xf9\xc0\x00", 6);  // 1.0, -2.0
  CborReader r(bytes);  // a view: the bytes must outlive it
  CborHead h;
  ASSERT_TRUE(r.ReadHead(&h));
  EXPECT_EQ(CborReader::AsNumber(h).value_or(0), 1.0);
  ASSERT_TRUE(r.ReadHead(&h));
  EXPECT_EQ(CborReader::AsNumber(h).value_or(0), -2.0);
}

// --- The client ----------------------------------------------------------------------------------

class CborClientTest : public ::testing::Test {
 protected:
  static KinesisClientConfig Config() {
    KinesisClientConfig c;
    c.endpoint = "http://127.0.0.1:1";
    c.region = "us-east-1";
    c.credentials = AwsCredentials{"AKIDEXAMPLE", "cbor-test-secret", "", "test"};
    c.retry.max_attempts = 5;
    c.wire = WireProtocol::kCbor;
    return c;
  }
  FakeHttpClient http_;
  FakeClock clock_;
  KinesisClient client_{http_, clock_, Config()};
};

const std::vector<HttpHeader> kCborType = {{"content-type", "application/x-amz-cbor-1.1"}};

TEST_F(CborClientTest, AsksInCborAndRetriesACborThrottlingError) {
  http_.AddResponse(400, Map({{T("__type"), T("ProvisionedThroughputExceededException")}, {T("message"), T("Rate exceeded")}}),
                    kCborType);
  http_.AddResponse(200, AwsAnswer(), kCborType);
  auto r = client_.GetRecords("AAAA-iterator", 10000, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->records.size(), 2u);
  auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u) << "the throttling error must be recognised in CBOR and retried";
  EXPECT_EQ(FakeHttpClient::HeaderValues(requests[0], "Content-Type"),
            std::vector<std::string>{"application/x-amz-cbor-1.1"});
  EXPECT_EQ(requests[0].body, Map({{T("ShardIterator"), T("AAAA-iterator")}, {T("Limit"), U(10000)}}));
}

TEST_F(CborClientTest, AJsonAnswerToACborRequestIsReadAsJson) {
  http_.AddResponse(200,
                    R"({"Records":[{"SequenceNumber":"1","Data":"aGVsbG8=","PartitionKey":"p"}],"NextShardIterator":"n"})",
                    {{"content-type", "application/x-amz-json-1.1"}});
  auto r = client_.GetRecords("it", 0, "orders", "shardId-000000000000");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, "hello");
  EXPECT_EQ(http_.requests()[0].body, Map({{T("ShardIterator"), T("it")}}));
}

TEST_F(CborClientTest, ACborErrorNamesItsTypeAndMessage) {
  http_.AddResponse(400, Map({{T("__type"), T("ResourceNotFoundException")}, {T("message"), T("Stream orders not found")}}),
                    kCborType);
  auto r = client_.GetRecords("it", 0, "orders", "shardId-000000000000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(r.status().message().find("ResourceNotFoundException: Stream orders not found"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace ki
