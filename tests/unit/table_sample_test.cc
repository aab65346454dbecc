// The stream sample of table inference (src/infer/sample.h) over a scripted FakeHttpClient: how
// shards take turns and share what is still wanted, when a shard counts as caught up, the pause
// when a whole turn was empty, and the user records of gzip payloads.
//
// Why a fake: the turn order, the Limit asked of each shard and the empty answers behind latest
// must be exact and repeatable; the integration tests (suggest_table_test.cc) read kinesis-local.
#include "infer/sample.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/base64.h"
#include "fake_clock.h"
#include "fake_http_client.h"

namespace ki {
namespace {

using fakes::FakeClock;
using fakes::FakeHttpClient;

std::string Header(const HttpRequest& req, const std::string& name) {
  for (const auto& h : req.headers) {
    if (h.first == name) return h.second;
  }
  return "";
}

std::string Field(const std::string& body, const std::string& key) {
  const std::string marker = "\"" + key + "\":\"";
  size_t at = body.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return body.substr(at, body.find('"', at) - at);
}

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(in.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One GetRecords answer: records' payloads, the next iterator ("" for a closed shard's end) and
// MillisBehindLatest.
std::string Records(const std::vector<std::string>& payloads, const std::string& next, int behind) {
  std::string out = "{\"Records\":[";
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (i) out += ",";
    out += "{\"SequenceNumber\":\"4959033827149025660855969253836157109592157598913658" + std::to_string(1000 + i) +
           "\",\"ApproximateArrivalTimestamp\":1.7145648E9,\"Data\":\"" + Base64Encode(payloads[i]) +
           "\",\"PartitionKey\":\"pk\"}";
  }
  out += "],\"NextShardIterator\":" + (next.empty() ? std::string("null") : "\"" + next + "\"") +
         ",\"MillisBehindLatest\":" + std::to_string(behind) + "}";
  return out;
}

class TableSampleTest : public ::testing::Test {
 protected:
  TableSampleTest() : client_(http_, clock_, Config()) {
    http_.SetResponder([this](const HttpRequest& req) -> Result<HttpResponse> {
      const std::string op = Header(req, "X-Amz-Target");
      HttpResponse r;
      r.status = 200;
      if (op.ends_with("ListShards")) {
        r.body = R"({"Shards":[{"ShardId":"shard-a"},{"ShardId":"shard-b"}]})";
      } else if (op.ends_with("GetShardIterator")) {
        r.body = "{\"ShardIterator\":\"" + Field(req.body, "ShardId") + "/0\"}";
      } else {
        const std::string it = Field(req.body, "ShardIterator");
        const size_t limit_at = req.body.find("\"Limit\":") + 8;
        asked_.push_back(it + " limit " +
                         req.body.substr(limit_at, req.body.find_first_not_of("0123456789", limit_at) - limit_at));
        auto answer = answers_.find(it);
        if (answer == answers_.end()) return InternalError("unscripted iterator " + it);
        r.body = answer->second;
      }
      return r;
    });
  }
  static KinesisClientConfig Config() {
    KinesisClientConfig c;
    c.endpoint = "http://127.0.0.1:1";
    c.region = "us-east-1";
    c.credentials = AwsCredentials{"AKIDEXAMPLE", "secret", "", "test"};
    return c;
  }

  FakeHttpClient http_;
  FakeClock clock_;
  KinesisClient client_;
  std::map<std::string, std::string> answers_;  // iterator -> GetRecords body
  std::vector<std::string> asked_;              // "iterator limit N" in call order
};

TEST_F(TableSampleTest, ShardsTakeTurnsUntilCaughtUpAndAnEmptyTurnPauses) {
  answers_["shard-a/0"] = Records({R"({"a":1})", Gzip(R"({"a":2})")}, "shard-a/1", 0);
  answers_["shard-a/1"] = Records({}, "shard-a/2", 0);  // caught up
  answers_["shard-b/0"] = Records({}, "shard-b/1", 5000);  // behind: followed
  answers_["shard-b/1"] = Records({}, "shard-b/2", 4000);
  answers_["shard-b/2"] = Records({R"({"b":1})"}, "", 0);  // a closed shard's end
  SampleOptions options;
  options.stream = "s";
  options.max_records = 10;
  auto sample = SampleStream(client_, clock_, options);
  ASSERT_TRUE(sample.ok()) << sample.status().message();
  std::vector<std::string> records = sample->records;
  EXPECT_EQ(records, (std::vector<std::string>{R"({"a":1})", R"({"a":2})", R"({"b":1})"}));
  EXPECT_EQ(sample->shards, 2u);
  EXPECT_EQ(sample->unreadable, 0);
  // Each turn shares what is still wanted among the shards not caught up (rounded up).
  EXPECT_EQ(asked_, (std::vector<std::string>{"shard-a/0 limit 5", "shard-b/0 limit 5", "shard-a/1 limit 4",
                                              "shard-b/1 limit 4", "shard-b/2 limit 8"}));
  // Only the second turn had no record at all (and a shard still behind): one pause.
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(200)}));
}

TEST_F(TableSampleTest, StopsAtTheSampleSizeAndSplitsNdjsonUserRecords) {
  answers_["shard-a/0"] = Records({"{\"x\":1}\n\n{\"x\":2}\r\n{\"x\":3}", "{\"x\":4}"}, "shard-a/1", 0);
  answers_["shard-b/0"] = Records({"{\"y\":1}\n{\"y\":2}"}, "shard-b/1", 0);
  SampleOptions options;
  options.stream = "s";
  options.max_records = 4;
  options.format = PayloadFormat::kNdjson;
  auto sample = SampleStream(client_, clock_, options);
  ASSERT_TRUE(sample.ok()) << sample.status().message();
  EXPECT_EQ(sample->records, (std::vector<std::string>{R"({"x":1})", R"({"x":2})", R"({"x":3})", R"({"x":4})"}));
  EXPECT_EQ(asked_, (std::vector<std::string>{"shard-a/0 limit 2"}));
}

TEST_F(TableSampleTest, CorruptGzipIsCountedAndKinesisErrorsNameTheShard) {
  answers_["shard-a/0"] = Records({std::string("\x1f\x8b garbage", 10), R"({"a":1})"}, "", 0);
  SampleOptions options;
  options.stream = "s";
  auto sample = SampleStream(client_, clock_, options);
  EXPECT_FALSE(sample.ok());  // shard-b/0 is not scripted: the client's error comes back
  EXPECT_NE(sample.status().message().find("shard-b"), std::string::npos) << sample.status().message();
  answers_["shard-b/0"] = Records({}, "", 0);
  asked_.clear();
  sample = SampleStream(client_, clock_, options);
  ASSERT_TRUE(sample.ok()) << sample.status().message();
  EXPECT_EQ(sample->records, (std::vector<std::string>{R"({"a":1})"}));
  EXPECT_EQ(sample->unreadable, 1);
}

}  // namespace
}  // namespace ki
