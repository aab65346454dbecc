// Issue 8 case 4 (data columns): PostgreSQL numeric(p > 38) keeps every digit (it was capped at
// 38 digits), and unconstrained numeric keeps each value's own scale (it was rounded and padded
// to 16 decimals). The decoder hands such values over as exact canonical text and the sink
// encodes binary numeric from it. The real binary, the Kinesis emulator, a real PostgreSQL
// (scripts/test); records put by the AWS SDK for JavaScript.
#include <gtest/gtest.h>
#include <unistd.h>

#include <simdjson.h>

#include <cstdlib>
#include <random>

#include "sink/postgres/postgres_sql.h"
#include "duckdb_file.h"
#include "postgres_db.h"
#include "test_support.h"

namespace ki::test {
namespace {

const std::string kDigits56 = "49590338271490256608559692538361571095921575989136588898";

class PostgresNumericTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    url_ = PostgresUrl();
    stream_ = UniqueName("pg-numeric");
    std::random_device random;
    schema_ = "ki_numeric_" + std::to_string(getpid()) + "_" + std::to_string(random() % 1000000);
    auto created = RunPostgresSql(
        url_, "CREATE SCHEMA " + schema_ + "; CREATE TABLE " + schema_ +
                  ".t (id int4, n60 numeric(60,0), n50 numeric(50,10), n numeric, "
                  "l numeric[], l60 numeric(60,2)[], kinesis_shard_id text, "
                  "shard_sequence_number text)");
    ASSERT_TRUE(created.ok()) << created.status().message();
    auto r = Cli({"stream", "create", "--stream", stream_, "--shards", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override { (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + " CASCADE"); }
  ProcessResult Cli(std::vector<std::string> args) {
    for (auto a : {"--endpoint-url", endpoint_.c_str(), "--region", "us-east-1"}) args.push_back(a);
    return RunCli(args);
  }

  TempDir dir_;
  std::string endpoint_, url_, stream_, schema_;
};

TEST_F(PostgresNumericTest, WideAndUnconstrainedNumericKeepEveryDigitAndTheirScale) {
  const std::string lines =
      R"({"id": 1, "n60": )" + kDigits56 + R"(, "n50": 1234567890123456789012345678901234567890.0123456789, "n": 1.5})" "\n"
      R"({"id": 2, "n60": "-)" + kDigits56 + R"(", "n50": "-0.00000000005", "n": 123.4560})" "\n"
      R"({"id": 3, "n50": 0.00000000004, "n": -1e-30, "l": [1.5, null, 1e3], "l60": [)" + kDigits56 + R"(.555]})" "\n"
      R"({"id": 4, "n": 1)" + std::string(45, '0') + R"(.000})" "\n"
      // Out of precision: bad records, skipped.
      R"({"id": 5, "n60": 1)" + std::string(60, '0') + R"(})" "\n"
      R"({"id": 6, "n50": 12345678901234567890123456789012345678901})" "\n"
      R"({"id": 7, "n": 1e200000})" "\n";
  WriteFile(dir_.File("in.ndjson"), lines);
  auto put = RunNode("sdk_client.js", {"put", "--file", dir_.File("in.ndjson"), "--endpoint",
                                       endpoint_, "--stream", stream_});
  ASSERT_EQ(put.exit_code, 0) << put.err;

  auto r = Cli({"run", "--stream", stream_, "--table", schema_ + ".t", "--db", url_, "--on-error",
                "skip", "--output", "text"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 bad record(s) skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not fit numeric(60,0)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not fit numeric(50,10)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not fit numeric (at most 131072 digits"), std::string::npos) << r.out;
  // PostgreSQL's own text of the stored values: every digit, the scale of numeric(50,10), and
  // the value's own scale for numeric (1.5 stays 1.5, 123.4560 keeps its 4 decimals).
  EXPECT_EQ(PostgresCsv(url_, "SELECT id, n60, n50, n, l, l60, scale(n) FROM " + schema_ +
                            ".t ORDER BY id"),
            "1," + kDigits56 + ",1234567890123456789012345678901234567890.0123456789,1.5,NULL,"
            "NULL,1\n"
            "2,-" + kDigits56 + ",-0.0000000001,123.4560,NULL,NULL,4\n"
            "3,NULL,0.0000000000,-0.000000000000000000000000000001,{1.5,NULL,1000},{" +
            kDigits56 + ".56},30\n"
            "4,NULL,NULL,1" + std::string(45, '0') + ".000,NULL,NULL,3\n");
  // Exact: the 56-digit value compares equal to its text, and nothing was rounded through a double.
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + schema_ + ".t WHERE n60 = " + kDigits56 +
                            " OR n60 = -" + kDigits56),
            "2\n");

  // The next run imports nothing more.
  auto again = Cli({"run", "--stream", stream_, "--table", schema_ + ".t", "--db", url_,
                    "--on-error", "skip", "--output", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReportField(again, "total_records"), 0);
}

// Issue 8, case 4: a numeric shard_sequence_number takes the exact sequence number when it can
// hold 129 digits (unconstrained or numeric(p >= 129)); a narrower one is refused before reading.
TEST_F(PostgresNumericTest, SequenceNumberColumnOfNumericHoldsTheExactValueOrIsRefused) {
  WriteFile(dir_.File("in.ndjson"), "{\"id\": 1}\n{\"id\": 2}\n");
  auto put = RunNode("sdk_client.js", {"put", "--file", dir_.File("in.ndjson"), "--endpoint",
                                       endpoint_, "--stream", stream_});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto sdk = RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream_});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  std::string expected;
  simdjson::dom::parser p;
  for (const auto& line : Lines(sdk.out))
    expected += std::string(p.parse(line).value()["sequence_number"].get_string().value()) + "\n";
  for (const char* type : {"numeric", "numeric(129,0)"}) {
    SCOPED_TRACE(type);
    const std::string table = schema_ + ".seq_" + (std::string(type) == "numeric" ? "u" : "p");
    PostgresCsv(url_, "CREATE TABLE " + table + " (id int4, kinesis_shard_id text, "
                      "shard_sequence_number " + type + ")");
    auto r = Cli({"run", "--stream", stream_, "--table", table, "--db", url_, "--output", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ReportField(r, "total_records"), 2);
    EXPECT_EQ(PostgresCsv(url_, "SELECT shard_sequence_number FROM " + table + " ORDER BY id"),
              expected);
  }
  PostgresCsv(url_, "CREATE TABLE " + schema_ + ".seq_narrow (id int4, kinesis_shard_id text, "
                    "shard_sequence_number numeric(60,0))");
  auto refused = Cli({"run", "--stream", stream_, "--table", schema_ + ".seq_narrow", "--db",
                      url_, "--on-error", "skip"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("129 digits"), std::string::npos) << refused.err;
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + schema_ + ".seq_narrow"), "0\n");
}

}  // namespace
}  // namespace ki::test
