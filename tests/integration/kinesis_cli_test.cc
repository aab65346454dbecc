// The Kinesis commands (stream create, put, shards, peek) against both emulators over HTTP, checked
// against an independent client: the AWS SDK for JavaScript (tests/node/sdk_client.js).
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/base64.h"
#include "test_support.h"

namespace ki::test {
namespace {

struct SdkRecord {
  std::string shard_id, sequence_number, partition_key, data;
  bool operator<(const SdkRecord& o) const {
    return std::tie(shard_id, sequence_number) < std::tie(o.shard_id, o.sequence_number);
  }
};

std::vector<SdkRecord> ParseRecords(const std::string& ndjson, bool base64_data) {
  std::vector<SdkRecord> out;
  simdjson::dom::parser parser;
  for (const auto& line : Lines(ndjson)) {
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    SdkRecord r;
    r.shard_id = std::string(doc["shard_id"].get_string().value());
    r.sequence_number = std::string(doc["sequence_number"].get_string().value());
    r.partition_key = std::string(doc["partition_key"].get_string().value());
    if (base64_data) {
      std::string data;
      EXPECT_TRUE(Base64Decode(doc["data_base64"].get_string().value(), data));
      r.data = data;
    } else {
      r.data = std::string(doc["data"].get_string().value());
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Records with escapes, non-ASCII text and varying sizes, one per NDJSON line.
std::string MakeNdjson(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += "{\"id\": " + std::to_string(i) + ", \"name\": \"caf\\u00e9 \\\"" + std::to_string(i) +
           "\\\" \xc3\xa9\xf0\x9f\x98\x80\", \"pad\": \"" + std::string(i % 97, 'x') + "\"}\n";
  }
  return out;
}

class KinesisCliTest : public ::testing::TestWithParam<const char*> {
 protected:
  std::string endpoint() const { return ServiceEndpoint(GetParam()); }
  std::vector<std::string> Aws() const { return {"--endpoint-url", endpoint(), "--region", "us-east-1"}; }
  std::vector<std::string> With(std::vector<std::string> args) const {
    for (auto& a : Aws()) args.push_back(a);
    return args;
  }
  void CreateStream(const std::string& stream, int shards) {
    auto r = RunCli(With({"stream", "create", "--stream", stream, "--shards", std::to_string(shards)}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_P(KinesisCliTest, PutThousandRecordsReadBackBySdkByteForByte) {
  std::string stream = UniqueName("put");
  CreateStream(stream, 2);
  TempDir dir;
  std::string input = MakeNdjson(1000);
  WriteFile(dir.File("in.ndjson"), input);
  auto put = RunCli(With({"put", "--stream", stream, dir.File("in.ndjson")}));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("put 1000 records"), std::string::npos) << put.out;

  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint(), "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  auto records = ParseRecords(sdk.out, true);
  ASSERT_EQ(records.size(), 1000u);
  std::multiset<std::string> got, want;
  std::set<std::string> shards;
  for (const auto& r : records) {
    got.insert(r.data);
    shards.insert(r.shard_id);
    // Default partition key: the line number (1-based), so each record's key matches its id.
    EXPECT_NE(r.data.find("\"id\": " + std::to_string(std::stoi(r.partition_key) - 1) + ","), std::string::npos);
  }
  for (const auto& line : Lines(input)) want.insert(line);
  EXPECT_EQ(got, want);
  EXPECT_EQ(shards.size(), 2u) << "line-number partition keys should reach both shards";
}

TEST_P(KinesisCliTest, PeekShowsWhatTheSdkShows) {
  std::string stream = UniqueName("peek");
  CreateStream(stream, 2);
  TempDir dir;
  WriteFile(dir.File("in.ndjson"), MakeNdjson(120));
  ASSERT_EQ(RunCli(With({"put", "--stream", stream, "--partition-key-field", "id", dir.File("in.ndjson")})).exit_code, 0);
  auto peek = RunCli(With({"peek", "--stream", stream, "-n", "1000"}));
  ASSERT_EQ(peek.exit_code, 0) << peek.err;
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint(), "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  auto mine = ParseRecords(peek.out, false);
  auto theirs = ParseRecords(sdk.out, true);
  ASSERT_EQ(mine.size(), 120u);
  ASSERT_EQ(theirs.size(), 120u);
  for (size_t i = 0; i < mine.size(); ++i) {
    EXPECT_EQ(mine[i].shard_id, theirs[i].shard_id);
    EXPECT_EQ(mine[i].sequence_number, theirs[i].sequence_number);
    EXPECT_EQ(mine[i].partition_key, theirs[i].partition_key);
    EXPECT_EQ(mine[i].data, theirs[i].data);
  }
  // -n caps the output.
  auto few = RunCli(With({"peek", "--stream", stream, "-n", "7"}));
  EXPECT_EQ(Lines(few.out).size(), 7u);
  // latest: nothing new since.
  auto latest = RunCli(With({"peek", "--stream", stream, "--from", "latest"}));
  EXPECT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(latest.out, "");
}

TEST_P(KinesisCliTest, ShardsShowWhatTheSdkShows) {
  std::string stream = UniqueName("shards");
  CreateStream(stream, 3);
  auto mine = RunCli(With({"shards", "--stream", stream, "--output", "json"}));
  ASSERT_EQ(mine.exit_code, 0) << mine.err;
  auto theirs = RunNode("sdk_client.js", {"list-shards", "--endpoint", endpoint(), "--stream", stream});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  simdjson::dom::parser p1, p2;
  simdjson::dom::array a, b;
  ASSERT_EQ(p1.parse(mine.out).get_array().get(a), simdjson::SUCCESS) << mine.out;
  ASSERT_EQ(p2.parse(theirs.out).get_array().get(b), simdjson::SUCCESS) << theirs.out;
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto x = a.at(i).value();
    auto y = b.at(i).value();
    EXPECT_EQ(x["shard_id"].get_string().value(), y["ShardId"].get_string().value());
    EXPECT_EQ(x["starting_hash_key"].get_string().value(), y["HashKeyRange"]["StartingHashKey"].get_string().value());
    EXPECT_EQ(x["ending_hash_key"].get_string().value(), y["HashKeyRange"]["EndingHashKey"].get_string().value());
    EXPECT_EQ(x["starting_sequence_number"].get_string().value(),
              y["SequenceNumberRange"]["StartingSequenceNumber"].get_string().value());
    EXPECT_EQ(x["state"].get_string().value(), "open");
  }
  auto table = RunCli(With({"shards", "--stream", stream}));
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_EQ(Lines(table.out).size(), 4u) << table.out;  // header + 3 shards
}

TEST_P(KinesisCliTest, UnknownStreamIsAClearOneLineErrorWithExitCode1) {
  std::string stream = UniqueName("missing");
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"shards", "--stream", stream}, {"peek", "--stream", stream}, {"put", "--stream", stream, "-"}}) {
    auto r = RunCli(With(cmd), "{\"a\":1}\n");
    EXPECT_EQ(r.exit_code, 1) << cmd[0] << ": " << r.err;
    EXPECT_NE(r.err.find("ResourceNotFoundException"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(stream), std::string::npos) << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_EQ(r.out.find("put 1 records"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Emulators, KinesisCliTest,
                         ::testing::Values("KI_KINESIS_LOCAL_ENDPOINT", "KI_KINESALITE_ENDPOINT"),
                         [](const auto& info) {
                           return std::string(info.param) == "KI_KINESIS_LOCAL_ENDPOINT" ? "kinesis_local"
                                                                                         : "kinesalite";
                         });

// kinesalite ignores MaxResults, so paging is checked on kinesis-local only.
TEST(KinesisCliPaging, ListShardsFollowsNextTokenWithMaxResultsOne) {
  std::string endpoint = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
  std::string stream = UniqueName("paging");
  auto c = RunCli({"stream", "create", "--stream", stream, "--shards", "4", "--endpoint-url", endpoint});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto r = RunCli({"--verbose", "shards", "--stream", stream, "--page-size", "1", "--output", "json",
                   "--endpoint-url", endpoint});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t calls = 0;
  for (const auto& line : Lines(r.err))
    if (line.find(" ListShards -> HTTP 200") != std::string::npos) ++calls;
  EXPECT_GE(calls, 4u) << "one page per shard expected:\n" << r.err;
  simdjson::dom::parser p;
  simdjson::dom::array a;
  ASSERT_EQ(p.parse(r.out).get_array().get(a), simdjson::SUCCESS);
  std::set<std::string> ids;
  for (auto s : a) ids.insert(std::string(s["shard_id"].get_string().value()));
  EXPECT_EQ(ids.size(), 4u);
  auto sdk = RunNode("sdk_client.js", {"list-shards", "--endpoint", endpoint, "--stream", stream, "--max-results", "1"});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  for (const auto& id : ids) EXPECT_NE(sdk.out.find(id), std::string::npos);
}

}  // namespace
}  // namespace ki::test
