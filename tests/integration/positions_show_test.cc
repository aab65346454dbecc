// `kinesis-import positions show` through the real binary on a real DuckDB file: whether each
// shard is finished (positions schema version 3), in the text and the JSON output. The positions
// are written by the DuckDB sink itself, as a run would.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "duckdb_file.h"
#include "sink/duckdb/duckdb_sink.h"
#include "test_support.h"

namespace ki::test {
namespace {

TEST(PositionsShow, SaysWhichShardsAreFinished) {
  TempDir dir;
  const std::string db = dir.File("positions.duckdb");
  ExecDuckDbFile(db, "CREATE TABLE t (id BIGINT)");
  {
    auto sink = DuckDbSink::Open(db);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    auto schema = (*sink)->DescribeTable("t");
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    ASSERT_TRUE((*sink)->Begin(*schema).ok());
    ShardPosition parent("49590338271490256608559692538361571095921575989136588898", -1);
    parent.finished = true;
    ShardPosition child("49590338271490256608559692540925702759324208523137515618", 2);
    Status st = (*sink)->SavePositions(
        "s", {{"shardId-000000000000", parent}, {"shardId-000000000001", child}});
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE((*sink)->Commit().ok());
  }

  auto text = RunCli({"positions", "show", "--stream", "s", "--table", "t", "--db", db});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 3u) << text.out;
  EXPECT_NE(lines[0].find(" finished "), std::string::npos) << lines[0];
  // The column's value sits under its heading.
  const size_t column = lines[0].find(" finished ") + 1;
  EXPECT_EQ(lines[1].rfind("shardId-000000000000", 0), 0u) << lines[1];
  EXPECT_EQ(lines[1].substr(column, 4), "yes ") << lines[1];
  EXPECT_EQ(lines[2].rfind("shardId-000000000001", 0), 0u) << lines[2];
  EXPECT_EQ(lines[2].substr(column, 3), "no ") << lines[2];

  auto json = RunCli(
      {"positions", "show", "--stream", "s", "--table", "t", "--db", db, "--output", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json.out).get(doc), simdjson::SUCCESS) << json.out;
  simdjson::dom::array shards = doc["shards"].get_array().value();
  ASSERT_EQ(shards.size(), 2u) << json.out;
  EXPECT_EQ(std::string(shards.at(0)["shard_id"].get_string().value()), "shardId-000000000000");
  EXPECT_TRUE(shards.at(0)["finished"].get_bool().value()) << json.out;
  EXPECT_FALSE(shards.at(1)["finished"].get_bool().value()) << json.out;
}

}  // namespace
}  // namespace ki::test
