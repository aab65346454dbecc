// DuckDbSink against real DuckDB files in a temporary directory. The file is inspected with plain
// SQL through the C API, with the sink closed (DuckDB must not have one file open twice in one
// process).
#include "sink/duckdb/duckdb_sink.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "sink/duckdb/duckdb_handles.h"
#include "sink/sink_factory.h"

namespace ki {
namespace {

using Rows = std::vector<std::vector<std::string>>;

struct OpenedFile {
  DuckDbDatabase db;
  DuckDbConnection con;
};

bool OpenFile(const std::string& path, OpenedFile& file) {
  DuckDbChars error;
  if (duckdb_open_ext(path.c_str(), file.db.out(), nullptr, error.out()) != DuckDBSuccess) {
    ADD_FAILURE() << "open " << path << ": " << (error ? error.get() : "?");
    return false;
  }
  if (duckdb_connect(file.db.get(), file.con.out()) != DuckDBSuccess) {
    ADD_FAILURE() << "connect " << path;
    return false;
  }
  return true;
}

// Runs `sql` (one or more statements) on the file. Fails the test on a DuckDB error.
void ExecFile(const std::string& path, const std::string& sql) {
  OpenedFile file;
  if (!OpenFile(path, file)) return;
  DuckDbResult result;
  if (duckdb_query(file.con.get(), sql.c_str(), result.out()) != DuckDBSuccess) {
    ADD_FAILURE() << sql << ": " << result.error();
  }
}

// Runs one SELECT on the file and returns its rows with every value cast to text by DuckDB
// ("NULL" for NULL). Fails the test on a DuckDB error.
Rows QueryFile(const std::string& path, const std::string& select) {
  OpenedFile file;
  if (!OpenFile(path, file)) return {};
  const std::string sql = "SELECT COLUMNS(*)::VARCHAR FROM (" + select + ") AS q";
  DuckDbResult result;
  if (duckdb_query(file.con.get(), sql.c_str(), result.out()) != DuckDBSuccess) {
    ADD_FAILURE() << select << ": " << result.error();
    return {};
  }
  Rows rows;
  const idx_t columns = duckdb_column_count(result.get());
  const idx_t count = duckdb_row_count(result.get());
  for (idx_t r = 0; r < count; ++r) {
    std::vector<std::string> row;
    for (idx_t c = 0; c < columns; ++c) {
      DuckDbChars value(duckdb_value_varchar(result.get(), c, r));
      row.push_back(value ? value.get() : "NULL");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string QueryOne(const std::string& path, const std::string& sql) {
  Rows rows = QueryFile(path, sql);
  if (rows.size() != 1 || rows[0].size() != 1) {
    ADD_FAILURE() << sql << ": expected one value, got " << rows.size() << " rows";
    return "";
  }
  return rows[0][0];
}

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point now) : now_(now) {}
  std::chrono::system_clock::time_point Now() const override { return now_; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::milliseconds) override {}

 private:
  std::chrono::system_clock::time_point now_;
};

// A temporary directory with one DuckDB file path in it, removed after the test.
class DuckDbSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "ki_duckdb_sink_XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    path_ = (std::filesystem::path(dir_) / "test.duckdb").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Exec(const std::string& sql) { ExecFile(path_, sql); }

  std::unique_ptr<DuckDbSink> OpenSink(Clock& clock = SystemClock()) {
    auto sink = DuckDbSink::Open(path_, clock);
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  // One run: Begin on `table`, append `batch` (when it has rows), save `positions`, commit.
  void RunOnce(const std::string& table, const RowBatch& batch, const std::string& stream,
               const ShardPositions& positions) {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable(table);
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    ASSERT_TRUE(sink->Begin(*schema).ok());
    if (batch.num_rows() > 0) {
      Status st = sink->Append(batch);
      ASSERT_TRUE(st.ok()) << st.message();
    }
    Status st = sink->SavePositions(stream, positions);
    ASSERT_TRUE(st.ok()) << st.message();
    st = sink->Commit();
    ASSERT_TRUE(st.ok()) << st.message();
  }

  Result<ShardPositions> LoadOnce(const std::string& table, const std::string& stream) {
    auto sink = DuckDbSink::Open(path_);
    if (!sink.ok()) return sink.status();
    auto schema = (*sink)->DescribeTable(table);
    if (!schema.ok()) return schema.status();
    KI_RETURN_IF_ERROR((*sink)->Begin(*schema));
    auto positions = (*sink)->LoadPositions(stream);
    (*sink)->Rollback();
    return positions;
  }

  std::string dir_;
  std::string path_;
};

// A batch for a table (id BIGINT, name VARCHAR): rows (first..first+n-1, "row-<id>").
RowBatch IdNameBatch(int64_t first, int64_t n) {
  RowBatch batch(2);
  for (int64_t i = first; i < first + n; ++i) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = i;
    batch.SetString(r, 1, "row-" + std::to_string(i));
  }
  return batch;
}

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

TEST_F(DuckDbSinkDescribe, FindsMetadataColumnsCaseInsensitively) {
  Exec(R"(CREATE TABLE t (payload VARCHAR, "Kinesis_Shard_Id" VARCHAR,
          SHARD_SEQUENCE_NUMBER VARCHAR, kinesis_partition_key VARCHAR,
          Kinesis_Arrival_Time TIMESTAMPTZ, kinesis_SUBSEQUENCE_number BIGINT))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("T");  // table names are case-insensitive too
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  ASSERT_EQ(schema->columns.size(), 6u);
  EXPECT_EQ(schema->table, "t");
  EXPECT_EQ(schema->columns[0].metadata, MetadataColumn::kNone);
  EXPECT_EQ(schema->columns[1].name, "Kinesis_Shard_Id");
  EXPECT_EQ(schema->columns[1].metadata, MetadataColumn::kShardId);
  EXPECT_EQ(schema->columns[2].metadata, MetadataColumn::kSequenceNumber);
  EXPECT_EQ(schema->columns[3].metadata, MetadataColumn::kPartitionKey);
  EXPECT_EQ(schema->columns[4].metadata, MetadataColumn::kArrivalTime);
  EXPECT_EQ(schema->columns[5].metadata, MetadataColumn::kSubsequenceNumber);
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

  auto wrong_schema = sink->DescribeTable("nosuch.events");
  EXPECT_EQ(wrong_schema.status().kind(), ErrorKind::kNotFound);
}

TEST_F(DuckDbSinkDescribe, MissingTableIsNotFoundWithCreateTableSuggestion) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("clicks");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().kind(), ErrorKind::kNotFound);
  const std::string& m = schema.status().message();
  EXPECT_NE(m.find("table 'clicks' does not exist in DuckDB file '" + path_ + "'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("CREATE TABLE clicks ("), std::string::npos) << m;
  EXPECT_NE(m.find("kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR"), std::string::npos)
      << m;
}

TEST_F(DuckDbSinkDescribe, ViewsAndMalformedNamesAreInvalidArguments) {
  Exec("CREATE TABLE t (a INTEGER); CREATE VIEW v AS SELECT * FROM t;");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->DescribeTable("v").status().kind(), ErrorKind::kInvalidArgument);
  for (const char* bad : {"\"t", "a..t", "", "a.b.c.d", "\"a\"x", ".t", "t."}) {
    auto r = sink->DescribeTable(bad);
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument) << "'" << bad << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// Append

using DuckDbSinkAppend = DuckDbSinkTest;

__int128 Int128(uint64_t hi, uint64_t lo) {
  return static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
}

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

  Rows rows = QueryFile(path_, R"(SELECT id, b, ti, si, i, bi, hi, uti, usi, ui, ubi, d4, d9, d18,
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
  EXPECT_EQ(QueryOne(path_, "SELECT string_agg(id::VARCHAR, ',' ORDER BY u) FROM all_types "
                            "WHERE u IS NOT NULL"),
            "2,1");
}

TEST_F(DuckDbSinkAppend, HundredThousandRowsWithNullsAcrossChunks) {
  Exec(R"(CREATE TABLE perf (id BIGINT, shard VARCHAR, value DOUBLE, created TIMESTAMP,
          payload VARCHAR))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("perf");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());

  constexpr int64_t kRows = 100000;
  constexpr int64_t kBatchRows = 10000;
  RowBatch batch(5);
  std::chrono::steady_clock::duration in_append{};
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < kRows; first += kBatchRows) {
    batch.Clear();
    for (int64_t id = first; id < first + kBatchRows; ++id) {
      size_t r = batch.AddRow();
      batch.Set(r, 0).i64 = id;
      batch.SetString(r, 1, id % 2 == 0 ? "shardId-000000000000" : "shardId-000000000001");
      if (id % 7 != 0) batch.Set(r, 2).f64 = static_cast<double>(id) * 0.5;  // every 7th NULL
      batch.Set(r, 3).i64 = 1704067200000000LL + id;
      batch.SetString(r, 4, "{\"user\":\"u" + std::to_string(id) + "\",\"action\":\"click\"}");
    }
    const auto before = std::chrono::steady_clock::now();
    Status st = sink->Append(batch);
    in_append += std::chrono::steady_clock::now() - before;
    ASSERT_TRUE(st.ok()) << st.message();
  }
  Status st = sink->Commit();
  ASSERT_TRUE(st.ok()) << st.message();
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double append = std::chrono::duration<double>(in_append).count();
  std::cout << "[ perf     ] " << kRows << " rows x 5 columns: Append " << append * 1000 << " ms ("
            << static_cast<int64_t>(kRows / append) << " rows/s); building batches + Append + "
            << "Commit " << total * 1000 << " ms\n";
  sink.reset();

  Rows rows = QueryFile(path_, R"(SELECT count(*), count(value), sum(id), count(DISTINCT shard),
      max(created), min(payload) FILTER (WHERE id = 99999) FROM perf)");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "100000");
  EXPECT_EQ(rows[0][1], std::to_string(kRows - (kRows + 6) / 7));  // NULL exactly every 7th row
  EXPECT_EQ(rows[0][2], "4999950000");
  EXPECT_EQ(rows[0][3], "2");
  EXPECT_EQ(rows[0][4], "2024-01-01 00:00:00.099999");
  EXPECT_EQ(rows[0][5], R"({"user":"u99999","action":"click"})");
  // NULLs are exactly where they were put, not carried over into later chunks.
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM perf WHERE (value IS NULL) <> (id % 7 = 0)"),
            "0");
}

TEST_F(DuckDbSinkAppend, InvalidUtf8IsABadRecordAndNothingOfTheBatchIsAppended) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  RowBatch batch = IdNameBatch(0, 3000);
  size_t r = batch.AddRow();
  batch.Set(r, 0).i64 = 3000;
  batch.SetString(r, 1, "bad \xff\xfe");
  Status st = sink->Append(batch);
  EXPECT_EQ(st.kind(), ErrorKind::kBadRecord);
  EXPECT_NE(st.message().find("column 'name', row 3000"), std::string::npos) << st.message();
  // The run can go on: the bad batch left nothing behind.
  st = sink->Append(IdNameBatch(10, 2));
  ASSERT_TRUE(st.ok()) << st.message();
  st = sink->Commit();
  ASSERT_TRUE(st.ok()) << st.message();
  sink.reset();
  EXPECT_EQ(QueryOne(path_, "SELECT string_agg(name, ',' ORDER BY id) FROM t"), "row-10,row-11");
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
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM strict"), "0");
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM duckdb_tables() "
                            "WHERE table_name = 'kinesis_import_positions'"),
            "0");
}

TEST_F(DuckDbSinkAppend, CallsOutOfOrderAreRejected) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  // Misuse of the sink API is a bug of the caller, not a usage error of the user (issue 9).
  EXPECT_EQ(sink->Append(IdNameBatch(0, 1)).kind(), ErrorKind::kInternal);
  EXPECT_EQ(sink->LoadPositions("s").status().kind(), ErrorKind::kInternal);
  EXPECT_EQ(sink->Commit().kind(), ErrorKind::kInternal);
  sink->Rollback();  // nothing begun: a no-op
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  EXPECT_EQ(sink->Begin(*schema).kind(), ErrorKind::kInternal);
  RowBatch wrong_width(3);
  wrong_width.AddRow();
  EXPECT_EQ(sink->Append(wrong_width).kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(sink->Commit().ok());
}

TEST_F(DuckDbSinkAppend, BeginNoticesATableChangedSinceDescribe) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  TableSchema changed = *schema;
  changed.columns[0].type = ColumnType::kInteger;
  Status st = sink->Begin(changed);
  EXPECT_EQ(st.kind(), ErrorKind::kFatal);
  EXPECT_NE(st.message().find("column 'id'"), std::string::npos) << st.message();
  // Nothing stayed open: a correct Begin works afterwards.
  EXPECT_TRUE(sink->Begin(*schema).ok());
  sink->Rollback();
}

// ---------------------------------------------------------------------------------------------
// Transactions and positions

using DuckDbSinkPositions = DuckDbSinkTest;

// Real-looking Kinesis sequence numbers (56 digits, beyond HUGEINT).
constexpr char kSeqA[] = "49590338271490256608559692538361571095921575989136588898";
constexpr char kSeqB[] = "49590338271490256608559692540925702759324208523137515618";

TEST_F(DuckDbSinkPositions, RoundTripThroughCommitAndReopen) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  const auto when =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1704067200123456LL));
  FixedClock clock(when);
  {
    auto sink = OpenSink(clock);
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    auto none = sink->LoadPositions("orders");
    ASSERT_TRUE(none.ok()) << none.status().message();
    EXPECT_TRUE(none->empty());
    ASSERT_TRUE(sink->Append(IdNameBatch(0, 5)).ok());
    ShardPositions positions;
    positions["shardId-000000000000"] = {kSeqA, -1};
    positions["shardId-000000000001"] = {kSeqB, 7};
    Status st = sink->SavePositions("orders", positions);
    ASSERT_TRUE(st.ok()) << st.message();
    st = sink->Commit();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  auto loaded = LoadOnce("t", "orders");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ShardPositions expected;
  expected["shardId-000000000000"] = {kSeqA, -1};
  expected["shardId-000000000001"] = {kSeqB, 7};
  EXPECT_EQ(*loaded, expected);
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM t"), "5");
  Rows rows = QueryFile(path_, "SELECT DISTINCT stream_name, table_name, updated_at "
                               "FROM kinesis_import_positions");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"orders", "main.t", "2024-01-01 00:00:00.123456"}));
}

TEST_F(DuckDbSinkPositions, LaterRunUpdatesItsShardsAndKeepsTheOthers) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  RunOnce("t", IdNameBatch(0, 2), "s", {{"shard-a", {"100", -1}}, {"shard-b", {"200", 3}}});
  RunOnce("main.t", IdNameBatch(2, 2), "s", {{"shard-a", {"150", 2}}});
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"150", 2}}, {"shard-b", {"200", 3}}}));
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM kinesis_import_positions"), "2");
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM t"), "4");
}

TEST_F(DuckDbSinkPositions, SameShardSavedTwiceInOneRunKeepsTheLast) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
  ASSERT_TRUE(sink->Append(IdNameBatch(0, 1)).ok());
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"2", -1}}}).ok());
  auto inside = sink->LoadPositions("s");
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(*inside, (ShardPositions{{"shard-a", {"2", -1}}}));
  ASSERT_TRUE(sink->Commit().ok());
  sink.reset();
  EXPECT_EQ(QueryOne(path_,
                     "SELECT string_agg(sequence_number, ',') FROM kinesis_import_positions"),
            "2");
}

TEST_F(DuckDbSinkPositions, TwoStreamsIntoOneTableAreKeptApart) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  RunOnce("t", IdNameBatch(0, 1), "stream-1", {{"shardId-000000000000", {"11", -1}}});
  RunOnce("t", IdNameBatch(1, 1), "stream-2", {{"shardId-000000000000", {"22", 4}}});
  auto one = LoadOnce("t", "stream-1");
  auto two = LoadOnce("t", "stream-2");
  auto three = LoadOnce("t", "stream-3");
  ASSERT_TRUE(one.ok() && two.ok() && three.ok());
  EXPECT_EQ(*one, (ShardPositions{{"shardId-000000000000", {"11", -1}}}));
  EXPECT_EQ(*two, (ShardPositions{{"shardId-000000000000", {"22", 4}}}));
  EXPECT_TRUE(three->empty());
}

TEST_F(DuckDbSinkPositions, TwoTablesInOneFileAreKeptApart) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR); CREATE TABLE u (id BIGINT, name VARCHAR);");
  RunOnce("t", IdNameBatch(0, 1), "s", {{"shard-a", {"5", -1}}});
  auto u = LoadOnce("u", "s");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->empty());
}

TEST_F(DuckDbSinkPositions, RollbackLeavesTableAndPositionsUnchanged) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  RunOnce("t", IdNameBatch(0, 3), "s", {{"shard-a", {"100", -1}}});
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(3, 5000)).ok());
    ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"999", 1}}, {"shard-b", {"5", -1}}}).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(5003, 10)).ok());  // still cached in the appender
    sink->Rollback();
    sink->Rollback();  // twice is harmless
  }
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM t"), "3");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"100", -1}}}));
}

TEST_F(DuckDbSinkPositions, DestroyingTheSinkMidRunRollsBack) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR)");
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(0, 10)).ok());
    ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(10, 10)).ok());
  }  // no Commit
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM t"), "0");
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM duckdb_tables() "
                            "WHERE table_name = 'kinesis_import_positions'"),
            "0");
}

TEST_F(DuckDbSinkPositions, DerivedFromMetadataColumnsComparingNumerically) {
  Exec(R"(CREATE TABLE events (payload VARCHAR, "Kinesis_Shard_Id" VARCHAR,
          shard_sequence_number VARCHAR, kinesis_subsequence_number BIGINT);
      INSERT INTO events VALUES
        ('a', 'shard-1', '9', NULL), ('b', 'shard-1', '10', NULL), ('c', 'shard-1', '010', NULL),
        ('d', 'shard-2', '49590338271490256608559692538361571095921575989136588898', 0),
        ('e', 'shard-2', '49590338271490256608559692538361571095921575989136588898', 2),
        ('f', 'shard-2', '49590338271490256608559692538361571095921575989136588898', 1),
        ('g', 'shard-2', '99999999999999999999999999999999999999999999999999999', 5),
        ('h', 'shard-3', NULL, NULL), ('i', NULL, '12345', NULL);)");
  auto loaded = LoadOnce("events", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 2u) << "NULL shard or sequence rows are ignored";
  // "10" and "010" are the same number and both beat "9".
  const std::string& shard1 = loaded->at("shard-1").sequence_number;
  EXPECT_TRUE(shard1 == "10" || shard1 == "010") << shard1;
  EXPECT_EQ(loaded->at("shard-1").subsequence_number, -1);
  EXPECT_EQ(loaded->at("shard-2").sequence_number,
            "49590338271490256608559692538361571095921575989136588898");
  EXPECT_EQ(loaded->at("shard-2").subsequence_number, 2);
  EXPECT_TRUE(loaded->at("shard-2").derived);
}

TEST_F(DuckDbSinkPositions, DerivedWithoutSubsequenceColumnCountsTheLastRecordsRows) {
  Exec(R"(CREATE TABLE events (kinesis_shard_id VARCHAR, shard_sequence_number DECIMAL(38,0));
      INSERT INTO events VALUES ('s1', 9), ('s1', 10), ('s1', 2);)");
  auto loaded = LoadOnce("events", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->at("s1").sequence_number, "10");
  EXPECT_EQ(loaded->at("s1").subsequence_number, 0);  // one row of record 10: skip it
  EXPECT_TRUE(loaded->at("s1").derived);
}

TEST_F(DuckDbSinkPositions, PositionsTableWinsOverDerivation) {
  Exec(R"(CREATE TABLE events (kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR);
      INSERT INTO events VALUES ('s1', '500');)");
  auto derived = LoadOnce("events", "s");
  ASSERT_TRUE(derived.ok()) << derived.status().message();
  ASSERT_EQ(derived->size(), 1u);
  EXPECT_EQ(derived->at("s1").sequence_number, "500");
  EXPECT_TRUE(derived->at("s1").derived);

  RowBatch none(2);
  RunOnce("events", none, "s", {{"s1", {"400", -1}}});
  auto saved = LoadOnce("events", "s");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(*saved, (ShardPositions{{"s1", {"400", -1}}}));
}

TEST_F(DuckDbSinkPositions, NoMetadataColumnsAndNoPositionsMeansNoPositions) {
  Exec("CREATE TABLE t (id BIGINT, name VARCHAR); INSERT INTO t VALUES (1, 'x');");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->empty());
}

TEST_F(DuckDbSinkPositions, TableNameWithDoubleQuoteAndDotWorksEndToEnd) {
  Exec(R"(CREATE SCHEMA "we""ird"; CREATE TABLE "we""ird"."ta""ble.x" (id BIGINT, name VARCHAR);)");
  const std::string name = R"("we""ird"."ta""ble.x")";
  RunOnce(name, IdNameBatch(0, 4), "s", {{"shard-a", {"42", -1}}});
  auto loaded = LoadOnce(name, "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"42", -1}}}));
  EXPECT_EQ(QueryOne(path_, R"(SELECT count(*) FROM "we""ird"."ta""ble.x")"), "4");
  EXPECT_EQ(QueryOne(path_, R"(SELECT table_name FROM "we""ird".kinesis_import_positions)"),
            "we\"ird.ta\"ble.x");
}

TEST_F(DuckDbSinkPositions, PositionsTableLivesInTheTargetTablesSchema) {
  Exec(R"(CREATE SCHEMA raw; CREATE TABLE raw.t (id BIGINT, name VARCHAR);
          CREATE TABLE main.t (id BIGINT, name VARCHAR);)");
  RunOnce("raw.t", IdNameBatch(0, 3), "s", {{"shard-a", {"7", -1}}});
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM raw.t"), "3");
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM main.t"), "0");
  EXPECT_EQ(QueryOne(path_, "SELECT schema_name FROM duckdb_tables() "
                            "WHERE table_name = 'kinesis_import_positions'"),
            "raw");
  auto main_positions = LoadOnce("t", "s");
  ASSERT_TRUE(main_positions.ok());
  EXPECT_TRUE(main_positions->empty());
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
