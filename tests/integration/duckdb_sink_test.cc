// What only the DuckDB sink has: DuckDB's types and name resolution, the appender's types beyond
// the common ones, constraint errors surfacing at COMMIT, the file lock, opening files. The
// contract every sink keeps is tested in sink_conformance_test.cc. The file is inspected with
// plain SQL through the C API, with the sink closed (DuckDB must not have one file open twice in
// one process).
#include "sink/duckdb/duckdb_sink.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "duckdb_file.h"
#include "row_batches.h"
#include "sink/sink_factory.h"
#include "test_support.h"

namespace ki {
namespace {

using test::IdNameBatch;
using test::Int128;
using test::Rows;

// A temporary directory with one DuckDB file path in it, removed after the test.
class DuckDbSinkTest : public ::testing::Test {
 protected:
  void Exec(const std::string& sql) { test::ExecDuckDbFile(path_, sql); }
  Rows QueryFile(const std::string& select) { return test::QueryDuckDbFile(path_, select); }
  std::string QueryOne(const std::string& select) { return test::QueryDuckDbOne(path_, select); }

  std::unique_ptr<DuckDbSink> OpenSink() {
    auto sink = DuckDbSink::Open(path_);
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  test::TempDir temp_;
  const std::string dir_ = temp_.path();
  const std::string path_ = temp_.File("test.duckdb");
};

// ---------------------------------------------------------------------------------------------
// DescribeTable

using DuckDbSinkDescribe = DuckDbSinkTest;

TEST_F(DuckDbSinkDescribe, MapsDuckDbTypesToColumnTypes) {
  Exec(R"(CREATE TABLE events (
      b BOOLEAN NOT NULL, ti TINYINT, si SMALLINT, i INTEGER, bi BIGINT, hi HUGEINT,
      uti UTINYINT, usi USMALLINT, ui UINTEGER, ubi UBIGINT,
      d18 DECIMAL(18,0), d38 DECIMAL(38,10), d4 DECIMAL(4,2),
      r REAL, dbl DOUBLE, v VARCHAR(10), dt DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, tm TIME,
      u UUID, j JSON, bl BLOB, arr INTEGER[], iv INTERVAL))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("events");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(schema->schema, "main");
  EXPECT_EQ(schema->table, "events");
  EXPECT_EQ(schema->QualifiedName(), "main.events");

  const std::vector<std::pair<std::string, ColumnType>> expected = {
      {"b", ColumnType::kBoolean},      {"ti", ColumnType::kTinyInt},
      {"si", ColumnType::kSmallInt},    {"i", ColumnType::kInteger},
      {"bi", ColumnType::kBigInt},      {"hi", ColumnType::kHugeInt},
      {"uti", ColumnType::kUTinyInt},   {"usi", ColumnType::kUSmallInt},
      {"ui", ColumnType::kUInteger},    {"ubi", ColumnType::kUBigInt},
      {"d18", ColumnType::kDecimal},    {"d38", ColumnType::kDecimal},
      {"d4", ColumnType::kDecimal},     {"r", ColumnType::kReal},
      {"dbl", ColumnType::kDouble},     {"v", ColumnType::kVarchar},
      {"dt", ColumnType::kDate},        {"ts", ColumnType::kTimestamp},
      {"tstz", ColumnType::kTimestampTz}, {"tm", ColumnType::kTime},
      {"u", ColumnType::kUuid},         {"j", ColumnType::kJson},
      {"bl", ColumnType::kBlob},        {"arr", ColumnType::kList},
      {"iv", ColumnType::kUnsupported},
  };
  ASSERT_EQ(schema->columns.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(schema->columns[i].name, expected[i].first);
    EXPECT_EQ(schema->columns[i].type, expected[i].second) << expected[i].first;
    EXPECT_EQ(schema->columns[i].metadata, MetadataColumn::kNone);
  }
  const auto& c = schema->columns;
  EXPECT_TRUE(c[0].not_null);
  EXPECT_FALSE(c[1].not_null);
  EXPECT_EQ(c[10].decimal_width, 18);
  EXPECT_EQ(c[10].decimal_scale, 0);
  EXPECT_EQ(c[10].type_name, "DECIMAL(18,0)");
  EXPECT_EQ(c[11].decimal_width, 38);
  EXPECT_EQ(c[11].decimal_scale, 10);
  EXPECT_EQ(c[12].decimal_width, 4);
  EXPECT_EQ(c[12].decimal_scale, 2);
  EXPECT_EQ(c[15].max_length, -1);  // DuckDB does not enforce VARCHAR(10)
  EXPECT_EQ(c[18].type_name, "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(c[23].type_name, "INTEGER[]");
  EXPECT_EQ(c[24].type_name, "INTERVAL");
}

TEST_F(DuckDbSinkDescribe, SchemaQualifiedNamesPickTheRightTable) {
  Exec(R"(CREATE SCHEMA raw; CREATE TABLE raw.events (a INTEGER, b VARCHAR);
          CREATE TABLE main.events (x DOUBLE);
          CREATE SCHEMA "My Schema"; CREATE TABLE "My Schema"."Odd.Table" (z DATE);)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);

  auto raw = sink->DescribeTable("raw.events");
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(raw->QualifiedName(), "raw.events");
  ASSERT_EQ(raw->columns.size(), 2u);
  EXPECT_EQ(raw->columns[1].type, ColumnType::kVarchar);

  auto raw_upper = sink->DescribeTable("RAW.\"EVENTS\"");
  ASSERT_TRUE(raw_upper.ok()) << raw_upper.status().message();
  EXPECT_EQ(raw_upper->QualifiedName(), "raw.events");

  auto plain = sink->DescribeTable("events");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  EXPECT_EQ(plain->QualifiedName(), "main.events");
  ASSERT_EQ(plain->columns.size(), 1u);
  EXPECT_EQ(plain->columns[0].type, ColumnType::kDouble);

  auto odd = sink->DescribeTable(" \"my schema\" . \"odd.table\" ");
  ASSERT_TRUE(odd.ok()) << odd.status().message();
  EXPECT_EQ(odd->schema, "My Schema");
  EXPECT_EQ(odd->table, "Odd.Table");
  ASSERT_EQ(odd->columns.size(), 1u);
  EXPECT_EQ(odd->columns[0].type, ColumnType::kDate);

  auto three_parts = sink->DescribeTable("test.raw.events");  // the file's catalog is "test"
  ASSERT_TRUE(three_parts.ok()) << three_parts.status().message();
  EXPECT_EQ(three_parts->QualifiedName(), "raw.events");
}

// ---------------------------------------------------------------------------------------------
// Append

using DuckDbSinkAppend = DuckDbSinkTest;

TEST_F(DuckDbSinkAppend, AllSupportedTypesRoundTripThroughCommit) {
  Exec(R"(CREATE TABLE all_types (
      id INTEGER, b BOOLEAN, ti TINYINT, si SMALLINT, i INTEGER, bi BIGINT, hi HUGEINT,
      uti UTINYINT, usi USMALLINT, ui UINTEGER, ubi UBIGINT,
      d4 DECIMAL(4,2), d9 DECIMAL(9,3), d18 DECIMAL(18,0), d38 DECIMAL(38,10),
      r REAL, dbl DOUBLE, v VARCHAR, dt DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, tm TIME,
      u UUID, j JSON, bl BLOB, arr INTEGER[]))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("all_types");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  ASSERT_EQ(schema->columns.size(), 26u);
  ASSERT_TRUE(sink->Begin(*schema).ok());

  RowBatch batch(26);
  const __int128 two_pow_100 = static_cast<__int128>(1) << 100;
  {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = 1;
    batch.Set(r, 1).i64 = 1;
    batch.Set(r, 2).i64 = -128;
    batch.Set(r, 3).i64 = -32768;
    batch.Set(r, 4).i64 = 2147483647;
    batch.Set(r, 5).i64 = std::numeric_limits<int64_t>::min();
    batch.Set(r, 6).i128 = two_pow_100;
    batch.Set(r, 7).i64 = 255;
    batch.Set(r, 8).i64 = 65535;
    batch.Set(r, 9).i64 = 4294967295LL;
    batch.Set(r, 10).i64 = -1;  // UBIGINT max as a bit pattern
    batch.Set(r, 11).i64 = 1234;
    batch.Set(r, 12).i64 = -123456789;
    batch.Set(r, 13).i64 = 999999999999999999LL;
    // 12345678901234567890.1234567890 at scale 10
    batch.Set(r, 14).i128 =
        Int128(0, 1234567890123456789ULL) * static_cast<__int128>(100000000000LL) + 1234567890;
    batch.Set(r, 15).f64 = 1.5;
    batch.Set(r, 16).f64 = 0.1;
    batch.SetString(r, 17, "h\xC3\xA9llo \"world\", a longer string");
    batch.Set(r, 18).i64 = 19723;                 // 2024-01-01
    batch.Set(r, 19).i64 = 1704067200123456LL;    // 2024-01-01 00:00:00.123456
    batch.Set(r, 20).i64 = 1704067200123456LL;
    batch.Set(r, 21).i64 = 45296789012LL;         // 12:34:56.789012
    batch.Set(r, 22).i128 = Int128(0xf81d4fae7dec11d0ULL, 0xa76500a0c91e6bf6ULL);
    batch.SetString(r, 23, R"({"a": [1, 2]})");
    batch.SetString(r, 24, std::string{'\0', '\xff', 'a', 'b'});
    // arr (unsupported) stays NULL
  }
  {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = 2;
    batch.Set(r, 1).i64 = 0;
    batch.Set(r, 2).i64 = 127;
    batch.Set(r, 3).i64 = 32767;
    batch.Set(r, 4).i64 = std::numeric_limits<int32_t>::min();
    batch.Set(r, 5).i64 = std::numeric_limits<int64_t>::max();
    batch.Set(r, 6).i128 = -two_pow_100;
    batch.Set(r, 7).i64 = 0;
    batch.Set(r, 8).i64 = 0;
    batch.Set(r, 9).i64 = 0;
    batch.Set(r, 10).i64 = 0;
    batch.Set(r, 11).i64 = -9999;
    batch.Set(r, 12).i64 = 0;
    batch.Set(r, 13).i64 = -999999999999999999LL;
    batch.Set(r, 14).i128 = -1;
    batch.Set(r, 15).f64 = -0.25;
    batch.Set(r, 16).f64 = -1e300;
    batch.SetString(r, 17, "");
    batch.Set(r, 18).i64 = -1;
    batch.Set(r, 19).i64 = 0;
    batch.Set(r, 20).i64 = -1;
    batch.Set(r, 21).i64 = 0;
    batch.Set(r, 22).i128 = Int128(0x0011223344556677ULL, 0x8899aabbccddeeffULL);
    batch.SetString(r, 23, "null");
    batch.SetString(r, 24, "");
  }
  {
    size_t r = batch.AddRow();  // all NULL except the id
    batch.Set(r, 0).i64 = 3;
  }
  Status st = sink->Append(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  st = sink->Commit();
  ASSERT_TRUE(st.ok()) << st.message();
  sink.reset();

  Rows rows = QueryFile(R"(SELECT id, b, ti, si, i, bi, hi, uti, usi, ui, ubi, d4, d9, d18,
      d38, r, dbl, v, dt, ts, epoch_us(tstz), tm, u, j, hex(bl), arr
      FROM all_types ORDER BY id)");
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string> row1 = {
      "1", "true", "-128", "-32768", "2147483647", "-9223372036854775808",
      "1267650600228229401496703205376", "255", "65535", "4294967295", "18446744073709551615",
      "12.34", "-123456.789", "999999999999999999", "12345678901234567890.1234567890", "1.5",
      "0.1", "h\xC3\xA9llo \"world\", a longer string", "2024-01-01",
      "2024-01-01 00:00:00.123456", "1704067200123456", "12:34:56.789012",
      "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", R"({"a": [1, 2]})", "00FF6162", "NULL"};
  const std::vector<std::string> row2 = {
      "2", "false", "127", "32767", "-2147483648", "9223372036854775807",
      "-1267650600228229401496703205376", "0", "0", "0", "0", "-99.99", "0.000",
      "-999999999999999999", "-0.0000000001", "-0.25", "-1e+300", "", "1969-12-31",
      "1970-01-01 00:00:00", "-1", "00:00:00", "00112233-4455-6677-8899-aabbccddeeff", "null", "",
      "NULL"};
  EXPECT_EQ(rows[0], row1);
  EXPECT_EQ(rows[1], row2);
  std::vector<std::string> row3(26, "NULL");
  row3[0] = "3";
  EXPECT_EQ(rows[2], row3);
  // UUIDs order like their text only if the top bit is stored flipped.
  EXPECT_EQ(QueryOne("SELECT string_agg(id::VARCHAR, ',' ORDER BY u) FROM all_types "
                            "WHERE u IS NOT NULL"),
            "2,1");
}

TEST_F(DuckDbSinkAppend, NotNullViolationFailsCommitNamingTheTable) {
  Exec("CREATE TABLE strict (id BIGINT NOT NULL, name VARCHAR)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("strict");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  RowBatch batch = IdNameBatch(1, 2);
  size_t r = batch.AddRow();
  batch.SetString(r, 1, "no id");
  ASSERT_TRUE(sink->Append(batch).ok());
  Status st = sink->Commit();
  EXPECT_EQ(st.kind(), ErrorKind::kIo);
  EXPECT_NE(st.message().find("main.strict"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("NOT NULL"), std::string::npos) << st.message();
  sink.reset();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM strict"), "0");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM duckdb_tables() "
                            "WHERE table_name = 'kinesis_import_positions'"),
            "0");
}

// ---------------------------------------------------------------------------------------------
// Open and the factory

using DuckDbSinkOpen = DuckDbSinkTest;

TEST_F(DuckDbSinkOpen, SecondProcessFailsFastWithInUseMessage) {
  Exec("CREATE TABLE t (id BIGINT)");
  int go[2];
  int report[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(report), 0);
  // Fork before this process opens the file: the child starts with no DuckDB state of its own.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(go[1]);
    close(report[0]);
    char c;
    (void)!read(go[0], &c, 1);  // wait until the parent holds the file
    const auto start = std::chrono::steady_clock::now();
    auto second = DuckDbSink::Open(path_);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    std::string out = second.ok() ? std::string("opened")
                                  : std::string(ErrorKindName(second.status().kind())) + "\n" +
                                        std::to_string(ms) + "\n" + second.status().message();
    (void)!write(report[1], out.data(), out.size());
    _exit(0);
  }
  close(go[0]);
  close(report[1]);
  auto first = DuckDbSink::Open(path_);
  (void)!write(go[1], "x", 1);
  close(go[1]);

  std::string out;
  char buf[4096];
  pollfd pfd{report[0], POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll(&pfd, 1, 1000) <= 0) continue;
    ssize_t n = read(report[0], buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(report[0]);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);

  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_NE(out, "opened") << "a second process could open a file that is in use";
  const size_t nl1 = out.find('\n');
  const size_t nl2 = out.find('\n', nl1 + 1);
  ASSERT_NE(nl2, std::string::npos) << out;
  EXPECT_EQ(out.substr(0, nl1), ErrorKindName(ErrorKind::kFatal));
  EXPECT_LT(std::stoll(out.substr(nl1 + 1, nl2 - nl1 - 1)), 10000) << "must fail fast";
  const std::string message = out.substr(nl2 + 1);
  // The holder comes from the operating system (fcntl F_GETLK), not from DuckDB's message.
  EXPECT_NE(message.find("DuckDB file '" + path_ + "' is in use by another process (pid " +
                         std::to_string(getpid()) + ", another kinesis-import run?): "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("Could not set lock"), std::string::npos) << message;
}

TEST_F(DuckDbSinkOpen, MissingDirectoryIsAnIoError) {
  const std::string missing = dir_ + "/no/such/dir/x.duckdb";
  auto sink = DuckDbSink::Open(missing);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().kind(), ErrorKind::kIo);
  EXPECT_NE(sink.status().message().find(missing), std::string::npos) << sink.status().message();
}

size_t ThreadsOfThisProcess() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// `threads` is DuckDB's worker threads (run and follow pass --duckdb-threads, default 1): DuckDB
// starts threads - 1 of its own when the database opens.
TEST_F(DuckDbSinkOpen, ThreadsSetsDuckDbsWorkerThreads) {
  Exec("CREATE TABLE t (id BIGINT)");
  const size_t before = ThreadsOfThisProcess();
  {
    auto sink = DuckDbSink::Open(path_, SystemClock(), 1);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    EXPECT_EQ(ThreadsOfThisProcess(), before) << "threads=1 must not start worker threads";
  }
  {
    auto sink = DuckDbSink::Open(path_, SystemClock(), 4);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    EXPECT_EQ(ThreadsOfThisProcess(), before + 3);
  }
}

TEST_F(DuckDbSinkOpen, DescribeNamesTheFile) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->Describe(), "DuckDB file '" + path_ + "'");
}

using DuckDbSinkFactory = DuckDbSinkTest;

TEST_F(DuckDbSinkFactory, AnythingElseIsADuckDbFile) {
  // A path that merely contains "host=" inside a directory name is still a path.
  const std::string hive_like = dir_ + "/host=a";
  std::filesystem::create_directories(hive_like);
  for (const std::string& db : {path_, hive_like + "/k.duckdb"}) {
    auto sink = ki::OpenSink(db);
    ASSERT_TRUE(sink.ok()) << db << ": " << sink.status().message();
    EXPECT_EQ((*sink)->Describe(), "DuckDB file '" + db + "'");
  }
  EXPECT_TRUE(std::filesystem::exists(hive_like + "/k.duckdb"));
}

}  // namespace
}  // namespace ki
