// Issue 8 case 5: a value the database cannot store (a NUL character for PostgreSQL text,
// varchar, char and text[], the escape \u0000 for jsonb; invalid UTF-8 for DuckDB's VARCHAR) is
// a bad record like a decoder error: it follows --on-error (fail, skip, dead-letter) and its
// message names stream, shard, sequence (and subsequence) number and column. It used to fail
// the whole run on PostgreSQL under every policy, naming neither shard nor sequence number, and
// every rerun failed the same way. The real binary, the Kinesis emulator, a real PostgreSQL
// (scripts/test) and a real DuckDB file; records put by the AWS SDK for JavaScript.
#include <gtest/gtest.h>
#include <unistd.h>

#include <simdjson.h>

#include <cstdlib>
#include <random>

#include "common/base64.h"
#include "sink/duckdb/duckdb_sql.h"
#include "sink/postgres/postgres_sql.h"
#include "duckdb_file.h"
#include "postgres_db.h"
#include "test_support.h"

namespace ki::test {
namespace {

class UnstorableValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    stream_ = UniqueName("unstorable");
    auto r = Cli({"stream", "create", "--stream", stream_, "--shards", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessResult Cli(std::vector<std::string> args) {
    for (auto a : {"--endpoint-url", endpoint_.c_str(), "--region", "us-east-1"}) args.push_back(a);
    return RunCli(args);
  }
  void NodePut(const std::string& command, const std::string& lines,
               std::vector<std::string> extra = {}) {
    WriteFile(dir_.File("in.txt"), lines);
    std::vector<std::string> args{command, "--file", dir_.File("in.txt"), "--endpoint", endpoint_,
                                  "--stream", stream_};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunNode("sdk_client.js", args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessResult Run(const std::string& table, const std::string& db,
                    std::vector<std::string> extra) {
    std::vector<std::string> args{"run", "--stream", stream_, "--table", table, "--db", db,
                                  "--output", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }

  TempDir dir_;
  std::string endpoint_, stream_;
};

// Three good records and five that PostgreSQL cannot store, each in another column type.
constexpr char kPostgresRecords[] =
    R"({"a": 1, "note": "ok"})" "\n"
    R"({"a": 2, "note": "x\u0000y"})" "\n"
    R"({"a": 3, "doc": {"k": ["\u0000"]}})" "\n"
    R"({"a": 4, "tag": "\u0000"})" "\n"
    R"({"a": 5, "c": "a\u0000"})" "\n"
    R"({"a": 6, "tags": ["fine", "\u0000"]})" "\n"
    R"({"a": 7, "note": "fine", "doc": {"k": "\\u0000"}, "tags": ["\\u0000"]})" "\n"
    R"({"a": 8})" "\n";

class PostgresUnstorableValuesTest : public UnstorableValuesTest {
 protected:
  void SetUp() override {
    UnstorableValuesTest::SetUp();
    url_ = PostgresUrl();
    std::random_device random;
    schema_ = "ki_unstorable_" + std::to_string(getpid()) + "_" + std::to_string(random() % 1000000);
    std::string sql = "CREATE SCHEMA " + schema_ + ";";
    for (const char* table : {"t_fail", "t_skip", "t_dead"}) {
      sql += " CREATE TABLE " + schema_ + "." + table +
             " (a int8, note text, tag varchar(20), c char(5), doc jsonb, tags text[],"
             " kinesis_shard_id text, shard_sequence_number text, kinesis_subsequence_number int8);";
    }
    auto created = RunPostgresSql(url_, sql);
    ASSERT_TRUE(created.ok()) << created.status().message();
    NodePut("put", kPostgresRecords);
  }
  void TearDown() override { (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + " CASCADE"); }
  std::string Table(const std::string& name) const { return schema_ + "." + name; }

  std::string url_, schema_;
};

TEST_F(PostgresUnstorableValuesTest, FailStopsAtTheFirstAndNamesRecordAndColumn) {
  for (int attempt = 0; attempt < 2; ++attempt) {  // the rerun fails the same way, nothing lands
    auto r = Run(Table("t_fail"), url_, {"--on-error", "fail"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("stream '" + stream_ + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("shard 'shardId-000000000000'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("shard 'shardId-000000000000' sequence number "), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("column 'note' (text): value contains a NUL character"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + Table("t_fail")), "0\n");
  }
}

TEST_F(PostgresUnstorableValuesTest, SkipImportsTheGoodRowsAndMovesOn) {
  auto r = Run(Table("t_skip"), url_, {"--on-error", "skip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 3);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 5);
  EXPECT_EQ(PostgresCsv(url_, "SELECT a, note, doc::text, tags::text FROM " + Table("t_skip") +
                            " ORDER BY a"),
            "1,ok,NULL,NULL\n"
            "7,fine,{\"k\": \"\\\\u0000\"},{\"\\\\u0000\"}\n"
            "8,NULL,NULL,NULL\n");
  // The shard is not blocked: the next run starts after the last record.
  auto again = Run(Table("t_skip"), url_, {"--on-error", "skip"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
  EXPECT_EQ(ReportField(again, "total_bad_records"), 0);
}

TEST_F(PostgresUnstorableValuesTest, DeadLetterKeepsTheRecordsWithTheColumnInTheError) {
  auto r = Run(Table("t_dead"), url_, {"--on-error", "dead-letter"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReportField(r, "total_records"), 3);
  EXPECT_EQ(ReportField(r, "total_bad_records"), 5);
  EXPECT_EQ(PostgresCsv(url_, "SELECT string_agg(a::text, ',' ORDER BY a) FROM " + Table("t_dead")),
            "1,7,8\n");
  // One reject per unstorable record, as put, the error naming its column.
  EXPECT_EQ(PostgresCsv(url_, "SELECT substring(convert_from(payload, 'UTF8') from '\"a\": ([0-9]+)'), shard_id, "
                        "substring(error from '^(column .*?): value') FROM " +
                            Table("t_dead_rejects") + " ORDER BY 1"),
            "2,shardId-000000000000,column 'note' (text)\n"
            "3,shardId-000000000000,column 'doc' (jsonb)\n"
            "4,shardId-000000000000,column 'tag' (character varying(20))\n"
            "5,shardId-000000000000,column 'c' (character(5))\n"
            "6,shardId-000000000000,column 'tags' (text[]) element [1]\n");
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + Table("t_dead_rejects") +
                        " r WHERE convert_from(payload, 'UTF8') NOT IN (" +
                        "SELECT unnest(string_to_array(" + "$x$" + kPostgresRecords + "$x$" +
                        ", E'\\n')))"),
            "0\n");
  auto again = Run(Table("t_dead"), url_, {"--on-error", "dead-letter"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + Table("t_dead_rejects")), "5\n");
}

TEST_F(PostgresUnstorableValuesTest, InsideAKplAggregateTheSubsequenceNumberIsNamed) {
  stream_ = UniqueName("unstorable-kpl");
  auto created = Cli({"stream", "create", "--stream", stream_, "--shards", "1"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  NodePut("put-kpl", R"({"a": 1})" "\n" R"({"a": 2, "note": "\u0000"})" "\n" R"({"a": 3})" "\n",
          {"--per", "3"});
  auto r = Run(Table("t_fail"), url_, {"--on-error", "fail"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("subsequence 1: column 'note' (text)"), std::string::npos) << r.err;
  auto skip = Run(Table("t_fail"), url_, {"--on-error", "skip"});
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_EQ(PostgresCsv(url_, "SELECT string_agg(a || ':' || kinesis_subsequence_number, ',' ORDER BY a)"
                        " FROM " + Table("t_fail")),
            "1:0,3:2\n");
}

// DuckDB: VARCHAR must be valid UTF-8 (the appender would refuse the whole batch when flushing);
// a NUL character is a value DuckDB stores.
TEST_F(UnstorableValuesTest, DuckDbInvalidUtf8IsABadRecordUnderEveryPolicy) {
  const std::string db = dir_.File("unstorable.duckdb");
  for (const char* table : {"t_fail", "t_skip", "t_dead", "t_raw"}) {
    DuckDbCsv(db, std::string("CREATE TABLE ") + table +
                    (std::string(table) == "t_raw"
                         ? "(body VARCHAR, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR)"
                         : "(a BIGINT, note VARCHAR, kinesis_shard_id VARCHAR, "
                           "shard_sequence_number VARCHAR)"));
  }
  std::string b64;
  for (const std::string& line :
       {std::string(R"({"a": 1, "note": "ok"})"), std::string("{\"a\": 2, \"note\": \"caf\xE9\"}"),
        std::string(R"({"a": 3, "note": "nul\u0000inside"})")}) {
    b64 += Base64Encode(line) + "\n";
  }
  NodePut("put-raw-b64", b64);

  auto fail = Run("t_fail", db, {"--on-error", "fail"});
  EXPECT_EQ(fail.exit_code, 1) << fail.out << fail.err;
  EXPECT_NE(fail.err.find("stream '" + stream_ + "' shard 'shardId-000000000000' sequence number "),
            std::string::npos)
      << fail.err;
  EXPECT_NE(fail.err.find("not valid UTF-8 at byte 21 (0xE9), in the value of column 'note'"),
            std::string::npos)
      << fail.err;
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*) FROM t_fail"), "0\n");

  auto skip = Run("t_skip", db, {"--on-error", "skip"});
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_EQ(ReportField(skip, "total_records"), 2);
  EXPECT_EQ(ReportField(skip, "total_bad_records"), 1);
  EXPECT_EQ(DuckDbCsv(db, "SELECT a, strlen(note) FROM t_skip ORDER BY a"), "1,2\n3,10\n");

  auto dead = Run("t_dead", db, {"--on-error", "dead-letter"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_EQ(DuckDbCsv(db, "SELECT count(*) FROM t_dead"), "2\n");
  EXPECT_EQ(DuckDbCsv(db, "SELECT octet_length(payload), error LIKE '%column ''note''%' FROM t_dead_rejects"),
            "24,true\n");

  // The raw format into VARCHAR: a payload that is not UTF-8 is skipped, the others land.
  auto raw = Run("t_raw", db, {"--format", "raw", "--on-error", "skip"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(ReportField(raw, "total_records"), 2);
  EXPECT_EQ(ReportField(raw, "total_bad_records"), 1);
}

}  // namespace
}  // namespace ki::test
