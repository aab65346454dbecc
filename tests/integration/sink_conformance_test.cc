// The contract every sink keeps (sink/sink.h), as one parameterized suite that runs unchanged
// against each sink: a fresh DuckDB file, and a fresh schema of the PostgreSQL server that
// scripts/test starts (KI_POSTGRES_URL; without it the PostgreSQL cases fail, they do not skip).
// Differences between the sinks are capabilities named in SinkKind, never `if (postgres)`.
//
// Setup and verification SQL runs through the harness with no sink of the test open (DuckDB must
// not have one file open twice in one process); the SQL is the common subset of both dialects,
// with the few type names that differ taken from SinkKind.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "duckdb_file.h"
#include "fixed_clock.h"
#include "postgres_db.h"
#include "row_batches.h"
#include "sink/duckdb/duckdb_sink.h"
#include "sink/memory/memory_sink.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/postgres/postgres_sql.h"
#include "sink/sink.h"
#include "test_support.h"

namespace ki {
namespace {

using test::IdNameBatch;
using test::Int128;
using test::kSeqA;
using test::kSeqB;
using test::Rows;  // every value as text, NULL as "NULL"

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// SQL quoting for the setup and check statements (the same in both dialects).
std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// One fresh, empty database for one test.
class SinkHarness {
 public:
  virtual ~SinkHarness() = default;
  // A new sink (a new connection / file handle) on the test's database, with the real clock or
  // the given one.
  Result<std::unique_ptr<Sink>> Open() { return OpenWith(SystemClock()); }
  virtual Result<std::unique_ptr<Sink>> OpenWith(Clock& clock) = 0;
  // The schema unqualified names resolve to ("main" in DuckDB, the test's own in PostgreSQL).
  virtual std::string DefaultSchema() = 0;
  // Creates a schema of its own for this test, its name derived from `base` (PostgreSQL schemas
  // are shared by the tests running in parallel), and returns the name, unquoted.
  virtual std::string NewSchema(const std::string& base) = 0;
  // Runs setup SQL (one or more statements); fails the test on error.
  virtual void Exec(const std::string& sql) = 0;
  // Runs one SELECT; fails the test on error.
  virtual Rows Query(const std::string& select) = 0;
  // Whether a table of this name exists in the test's default schema, or in `schema`.
  bool TableExists(const std::string& name) { return TableExistsIn(DefaultSchema(), name); }
  virtual bool TableExistsIn(const std::string& schema, const std::string& name) = 0;
  // A SQL literal of a BLOB / bytea value.
  virtual std::string BlobLiteral(const std::string& bytes) = 0;

  // What the cases that also run on the in-memory sink use instead of SQL.
  // A table (id BIGINT, name VARCHAR) named `table` in `schema` (unquoted; empty: the default).
  virtual void CreateIdNameTable(const std::string& schema, const std::string& table) {
    Exec("CREATE TABLE " + SqlName(schema, table) + " (id BIGINT, name VARCHAR)");
  }
  // The number of committed rows of that table, as text.
  virtual std::string RowCount(const std::string& schema, const std::string& table) {
    Rows rows = Query("SELECT count(*) FROM " + SqlName(schema, table));
    return rows.size() == 1 && rows[0].size() == 1 ? rows[0][0] : "(no count)";
  }
  // The committed rows of kinesis_import_gaps in `schema` as text (NULL as "NULL"), detected_at
  // as epoch microseconds, ordered by shard id and detected_at.
  virtual Rows GapRows(const std::string& schema) {
    return Query("SELECT stream_name, table_name, shard_id, last_sequence_number, "
                 "CAST(last_subsequence_number AS VARCHAR), first_sequence_number_after, CAST(" +
                 EpochMicros("detected_at") + " AS VARCHAR) FROM " +
                 SqlName(schema, "kinesis_import_gaps") + " ORDER BY shard_id, detected_at");
  }
  // SQL for the epoch microseconds of a TIMESTAMP / timestamptz column, as BIGINT.
  virtual std::string EpochMicros(const std::string& column) = 0;

 protected:
  static std::string SqlName(const std::string& schema, const std::string& table) {
    return (schema.empty() ? std::string() : QuoteIdentifier(schema) + ".") +
           QuoteIdentifier(table);
  }
};

// --- In memory: a MemoryDatabase shared by the sinks of the test (no SQL) ---

class MemoryHarness final : public SinkHarness {
 public:
  Result<std::unique_ptr<Sink>> OpenWith(Clock& clock) override {
    return std::unique_ptr<Sink>(std::make_unique<InMemorySink>(database_, clock));
  }
  std::string DefaultSchema() override { return "main"; }
  std::string NewSchema(const std::string& base) override { return base; }
  void Exec(const std::string& sql) override {
    ADD_FAILURE() << "the in-memory sink has no SQL (list the case in MemoryKind only when it "
                     "needs none): " << sql;
  }
  Rows Query(const std::string& select) override {
    ADD_FAILURE() << "the in-memory sink has no SQL: " << select;
    return {};
  }
  // A table exists once declared; the gaps and positions tables once something was committed
  // into them (the SQL sinks create them in the run that first writes them).
  bool TableExistsIn(const std::string& schema, const std::string& name) override {
    const std::string prefix = schema + ".";
    for (const MemoryCommit& commit : database_->Commits()) {
      if (commit.table.rfind(prefix, 0) != 0) continue;
      if (name == "kinesis_import_gaps" && !commit.gaps.empty()) return true;
      if (name == "kinesis_import_positions" && !commit.positions.empty()) return true;
    }
    return database_->HasTable(schema + "." + name);
  }
  std::string BlobLiteral(const std::string&) override {
    ADD_FAILURE() << "the in-memory sink has no SQL";
    return "";
  }
  std::string EpochMicros(const std::string&) override {
    ADD_FAILURE() << "the in-memory sink has no SQL";
    return "";
  }
  void CreateIdNameTable(const std::string& schema, const std::string& table) override {
    TableSchema t;
    t.schema = schema.empty() ? DefaultSchema() : schema;
    t.table = table;
    ColumnSpec id;
    id.name = "id";
    id.type_name = "BIGINT";
    id.type = ColumnType::kBigInt;
    ColumnSpec name;
    name.name = "name";
    name.type_name = "VARCHAR";
    name.type = ColumnType::kVarchar;
    t.columns = {id, name};
    database_->CreateTable(std::move(t));
  }
  std::string RowCount(const std::string& schema, const std::string& table) override {
    return std::to_string(
        database_->RowCount((schema.empty() ? DefaultSchema() : schema) + "." + table));
  }
  Rows GapRows(const std::string& schema) override {
    std::vector<std::pair<RetentionGap, std::string>> gaps;  // with the table
    for (const MemoryCommit& commit : database_->Commits()) {
      if (commit.table.rfind(schema + ".", 0) != 0) continue;
      for (const RetentionGap& gap : commit.gaps) gaps.emplace_back(gap, commit.table);
    }
    std::stable_sort(gaps.begin(), gaps.end(), [](const auto& a, const auto& b) {
      return std::tie(a.first.shard_id, a.first.detected_at_us) <
             std::tie(b.first.shard_id, b.first.detected_at_us);
    });
    auto text = [](const std::string& s) { return s.empty() ? std::string("NULL") : s; };
    Rows rows;
    for (const auto& [gap, table] : gaps) {
      rows.push_back({gap.stream, table, gap.shard_id, text(gap.last_sequence_number),
                      gap.last_subsequence_number < 0
                          ? std::string("NULL")
                          : std::to_string(gap.last_subsequence_number),
                      text(gap.first_sequence_number_after), std::to_string(gap.detected_at_us)});
    }
    return rows;
  }

 private:
  std::shared_ptr<MemoryDatabase> database_ = std::make_shared<MemoryDatabase>();
};

struct SinkKind {
  std::string name;
  // VARCHAR(n) is enforced: a longer value is a bad record (PostgreSQL); or not (DuckDB).
  bool enforces_varchar_length = false;
  // The positions table is created inside the run's transaction, so a run that never commits
  // leaves none behind (DuckDB); or in a short transaction of its own before the run, so two first
  // runs cannot race to create it (PostgreSQL).
  bool creates_positions_table_in_the_run = false;
  // Type names that differ between the dialects.
  std::string double_type;
  std::string blob_type;
  std::string text_type;  // as the missing-table message suggests it for the metadata columns
  // Part of the error a second run on the same stream and table gets while the first is open.
  std::string concurrent_run_message;
  // Several sinks of one process can run on the test's database at the same time (PostgreSQL);
  // or one at a time (DuckDB: one file is opened by one sink).
  bool concurrent_sinks_in_one_process = false;
  // The positions and schema version tables exactly as the release with positions schema
  // version 2 created them (before `finished`), with the version row.
  std::string positions_v2_ddl;
  // The setup and checks of the cases speak SQL (DuckDB, PostgreSQL); or not (in memory: then
  // only the cases in `cases` run, the others are skipped naming why).
  bool speaks_sql = true;
  std::set<std::string> cases;

  std::function<std::unique_ptr<SinkHarness>()> make;
};

void PrintTo(const SinkKind& kind, std::ostream* os) { *os << kind.name; }

// --- DuckDB: a file in a temporary directory ---

class DuckDbHarness final : public SinkHarness {
 public:
  Result<std::unique_ptr<Sink>> OpenWith(Clock& clock) override {
    KI_ASSIGN_OR_RETURN(std::unique_ptr<DuckDbSink> sink, DuckDbSink::Open(path_, clock));
    return std::unique_ptr<Sink>(std::move(sink));
  }
  std::string DefaultSchema() override { return "main"; }
  std::string NewSchema(const std::string& base) override {
    Exec("CREATE SCHEMA " + QuoteIdentifier(base));
    return base;
  }
  void Exec(const std::string& sql) override { test::ExecDuckDbFile(path_, sql); }
  Rows Query(const std::string& select) override { return test::QueryDuckDbFile(path_, select); }
  bool TableExistsIn(const std::string& schema, const std::string& name) override {
    Rows rows = Query("SELECT count(*) FROM duckdb_tables() WHERE schema_name = " +
                      QuoteLiteral(schema) + " AND table_name = " + QuoteLiteral(name));
    return rows.size() == 1 && rows[0][0] == "1";
  }
  std::string BlobLiteral(const std::string& bytes) override {
    return "from_hex('" + Hex(bytes) + "')";
  }
  std::string EpochMicros(const std::string& column) override {
    return "epoch_us(" + column + ")";
  }

 private:
  test::TempDir dir_;
  const std::string path_ = dir_.File("test.duckdb");
};

// --- PostgreSQL: a schema of its own on KI_POSTGRES_URL, first in the search path ---

class PostgresHarness final : public SinkHarness {
 public:
  explicit PostgresHarness(std::string url) : url_(std::move(url)) {
    std::random_device random;
    schema_ = "ki_test_" + std::to_string(getpid()) + "_" + std::to_string(random() % 1000000);
    RunOrFail(url_, "CREATE SCHEMA " + schema_);
    // Every connection of the test (sinks and checks) resolves unqualified names in the schema.
    conninfo_ = url_ + (url_.find('?') == std::string::npos ? "?" : "&") +
                "options=-csearch_path%3D" + schema_;
  }
  ~PostgresHarness() override {
    for (const std::string& extra : extra_schemas_) {
      RunOrFail(url_, "DROP SCHEMA " + QuoteIdentifier(extra) + " CASCADE");
    }
    RunOrFail(url_, "DROP SCHEMA " + schema_ + " CASCADE");
  }

  Result<std::unique_ptr<Sink>> OpenWith(Clock& clock) override {
    KI_ASSIGN_OR_RETURN(std::unique_ptr<PostgresSink> sink, PostgresSink::Open(conninfo_, clock));
    return std::unique_ptr<Sink>(std::move(sink));
  }
  std::string DefaultSchema() override { return schema_; }
  std::string NewSchema(const std::string& base) override {
    const std::string name = schema_ + "_" + base;
    RunOrFail(url_, "CREATE SCHEMA " + QuoteIdentifier(name));
    extra_schemas_.push_back(name);
    return name;
  }
  void Exec(const std::string& sql) override { RunOrFail(conninfo_, sql); }
  Rows Query(const std::string& select) override {
    auto result = RunPostgresSql(conninfo_, "SELECT * FROM (" + select + ") AS q");
    if (!result.ok()) {
      ADD_FAILURE() << select << ": " << result.status().message();
      return {};
    }
    Rows rows;
    for (const auto& row : *result) {
      std::vector<std::string> text;
      for (const auto& v : row) text.push_back(v.value_or("NULL"));
      rows.push_back(std::move(text));
    }
    return rows;
  }
  bool TableExistsIn(const std::string& schema, const std::string& name) override {
    Rows rows = Query("SELECT count(*) FROM pg_tables WHERE schemaname = " + QuoteLiteral(schema) +
                      " AND tablename = " + QuoteLiteral(name));
    return rows.size() == 1 && rows[0][0] == "1";
  }
  std::string BlobLiteral(const std::string& bytes) override {
    return "'\\x" + Hex(bytes) + "'::bytea";
  }
  std::string EpochMicros(const std::string& column) override {
    return "CAST(extract(epoch FROM " + column + ") * 1000000 AS BIGINT)";
  }

 private:
  static void RunOrFail(const std::string& conninfo, const std::string& sql) {
    auto result = RunPostgresSql(conninfo, sql);
    if (!result.ok()) ADD_FAILURE() << sql << ": " << result.status().message();
  }

  std::string url_;
  std::string schema_;
  std::string conninfo_;
  std::vector<std::string> extra_schemas_;
};

SinkKind DuckDbKind() {
  SinkKind kind;
  kind.name = "DuckDb";
  kind.enforces_varchar_length = false;
  kind.creates_positions_table_in_the_run = true;
  kind.double_type = "DOUBLE";
  kind.blob_type = "BLOB";
  kind.text_type = "VARCHAR";
  kind.concurrent_run_message = "is in use by another process";
  kind.concurrent_sinks_in_one_process = false;
  kind.positions_v2_ddl =
      "CREATE TABLE kinesis_import_positions (stream_name VARCHAR NOT NULL, table_name VARCHAR NOT"
      " NULL, shard_id VARCHAR NOT NULL, sequence_number VARCHAR NOT NULL, subsequence_number"
      " BIGINT NOT NULL DEFAULT -1, updated_at TIMESTAMP NOT NULL, resume_at TIMESTAMP,"
      " stream_arn VARCHAR, stream_created_at TIMESTAMP);"
      " CREATE TABLE kinesis_import_schema_version (component VARCHAR NOT NULL, version INTEGER"
      " NOT NULL); INSERT INTO kinesis_import_schema_version VALUES ('positions', 2);";
  kind.make = [] { return std::make_unique<DuckDbHarness>(); };
  return kind;
}

SinkKind PostgresKind() {
  SinkKind kind;
  kind.name = "Postgres";
  kind.enforces_varchar_length = true;
  kind.creates_positions_table_in_the_run = false;
  kind.double_type = "DOUBLE PRECISION";
  kind.blob_type = "BYTEA";
  kind.text_type = "text";
  kind.concurrent_run_message = "another kinesis-import run holds the lock for stream 's'";
  kind.concurrent_sinks_in_one_process = true;
  kind.positions_v2_ddl =
      "CREATE TABLE kinesis_import_positions (stream_name text NOT NULL, table_name text NOT NULL,"
      " shard_id text NOT NULL, sequence_number text NOT NULL, subsequence_number bigint NOT NULL"
      " DEFAULT -1, updated_at timestamp NOT NULL, resume_at timestamp, stream_arn text,"
      " stream_created_at timestamp, PRIMARY KEY (stream_name, table_name, shard_id));"
      " CREATE TABLE kinesis_import_schema_version (component text PRIMARY KEY, version integer"
      " NOT NULL); INSERT INTO kinesis_import_schema_version VALUES ('positions', 2);";

  kind.make = []() -> std::unique_ptr<SinkHarness> {
    const std::string url = test::PostgresUrl();  // fails the test when it is not set
    if (::testing::Test::HasFailure()) return nullptr;
    return std::make_unique<PostgresHarness>(url);
  };
  return kind;
}

SinkKind InMemoryKind() {
  SinkKind kind;
  kind.name = "InMemory";
  kind.enforces_varchar_length = false;
  kind.creates_positions_table_in_the_run = false;  // no tables to look for
  kind.concurrent_run_message = "another kinesis-import run holds the lock for stream 's'";
  kind.concurrent_sinks_in_one_process = true;
  kind.speaks_sql = false;
  // The contract's cases without SQL setup: transactions, positions, gaps, the lock, call order.
  kind.cases = {"AppendedRowsAreVisibleAfterCommit",
                "RollbackLeavesTableAndPositionsUnchanged",
                "DestroyingTheSinkMidRunChangesNothing",
                "PositionsRoundTripThroughCommit",
                "TwoStreamsIntoOneTableAreKeptApart",
                "LaterRunUpdatesItsShardsAndKeepsTheOthers",
                "PositionsKeepTimeAndStreamIdentityAndCanBeListedAndDeleted",
                "RolledBackRunsPositionsAreNotVisibleSoTheReplayImportsOnce",
                "FinishedRoundTrips",
                "GapsAreWrittenInTheRunsTransactionAndTheTableIsCreatedOnce",
                "SecondRunInTheSameProcessFailsFastOnTheLock",
                "CallsOutOfOrderAreRejected"};
  kind.make = [] { return std::make_unique<MemoryHarness>(); };
  return kind;
}

class SinkConformance : public ::testing::TestWithParam<SinkKind> {
 protected:
  void SetUp() override {
    if (!kind().cases.empty()) {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      name = name.substr(0, name.find('/'));
      if (kind().cases.count(name) == 0) {
        GTEST_SKIP() << kind().name << ": this case sets up or checks the database with SQL, or is "
                        "about a SQL catalog, type system, derivation from metadata columns or "
                        "another process; the in-memory sink has none of these";
      }
    }
    harness_ = GetParam().make();
    ASSERT_NE(harness_, nullptr);
  }
  void TearDown() override { harness_.reset(); }

  const SinkKind& kind() const { return GetParam(); }
  SinkHarness& db() { return *harness_; }

  std::unique_ptr<Sink> OpenSink() {
    auto sink = harness_->Open();
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  std::string QueryOne(const std::string& select) {
    Rows rows = harness_->Query(select);
    if (rows.size() != 1 || rows[0].size() != 1) {
      ADD_FAILURE() << select << ": expected one value, got " << rows.size() << " rows";
      return "";
    }
    return rows[0][0];
  }

  // One committed run: Begin on `table`, load positions, append `batch` (when it has rows),
  // save `positions`, commit.
  void RunOnce(const std::string& table, const RowBatch& batch, const std::string& stream,
               const ShardPositions& positions) {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable(table);
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    Status st = sink->Begin(*schema);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(sink->LoadPositions(stream).ok());
    if (batch.num_rows() > 0) {
      st = sink->Append(batch);
      ASSERT_TRUE(st.ok()) << st.message();
    }
    st = sink->SavePositions(stream, positions);
    ASSERT_TRUE(st.ok()) << st.message();
    st = sink->Commit();
    ASSERT_TRUE(st.ok()) << st.message();
  }

  Result<ShardPositions> LoadOnce(const std::string& table, const std::string& stream) {
    auto sink = harness_->Open();
    if (!sink.ok()) return sink.status();
    auto schema = (*sink)->DescribeTable(table);
    if (!schema.ok()) return schema.status();
    KI_RETURN_IF_ERROR((*sink)->Begin(*schema));
    auto positions = (*sink)->LoadPositions(stream);
    (*sink)->Rollback();
    return positions;
  }

  // Runs `body` in a forked child that has no sink state of this process. Returns the child's
  // exit status (as from waitpid).
  int RunInChild(const std::function<int()>& body) {
    const pid_t child = fork();
    if (child == 0) _exit(body());
    int status = 0;
    waitpid(child, &status, 0);
    return status;
  }

  std::unique_ptr<SinkHarness> harness_;
};

// ---------------------------------------------------------------------------------------------

TEST_P(SinkConformance, AppendedRowsAreVisibleAfterCommit) {
  db().CreateIdNameTable("", "t");
  RunOnce("t", IdNameBatch(0, 1000), "s", {{"shard-a", {"100", -1}}});
  EXPECT_EQ(db().RowCount("", "t"), "1000");
  if (kind().speaks_sql) {
    EXPECT_EQ(QueryOne("SELECT CAST(sum(id) AS VARCHAR) FROM t"), "499500");
    EXPECT_EQ(QueryOne("SELECT name FROM t WHERE id = 999"), "row-999");
  }
  // Several appends in one run.
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(sink->Append(IdNameBatch(1000 + 10 * i, 10)).ok());
    ASSERT_TRUE(sink->Append(RowBatch(2)).ok());  // an empty batch is fine
    ASSERT_TRUE(sink->Commit().ok());
  }
  EXPECT_EQ(db().RowCount("", "t"), "1050");
}

TEST_P(SinkConformance, RollbackLeavesTableAndPositionsUnchanged) {
  db().CreateIdNameTable("", "t");
  RunOnce("t", IdNameBatch(0, 3), "s", {{"shard-a", {"100", -1}}});
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    ASSERT_TRUE(sink->LoadPositions("s").ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(3, 5000)).ok());
    ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"999", 1}}, {"shard-b", {"5", -1}}}).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(5003, 10)).ok());
    sink->Rollback();
    sink->Rollback();  // twice is harmless
    // The sink is usable for another run afterwards.
    ASSERT_TRUE(sink->Begin(*schema).ok());
    sink->Rollback();
  }
  EXPECT_EQ(db().RowCount("", "t"), "3");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"100", -1}}}));
}

TEST_P(SinkConformance, DestroyingTheSinkMidRunChangesNothing) {
  db().CreateIdNameTable("", "t");
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
  EXPECT_EQ(db().RowCount("", "t"), "0");
  if (kind().creates_positions_table_in_the_run) {
    EXPECT_FALSE(db().TableExists("kinesis_import_positions"))
        << "the positions table outlived a run that never committed";
  }
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->empty());
}

TEST_P(SinkConformance, ProcessKilledBetweenAppendAndCommitChangesNothing) {
  db().CreateIdNameTable("", "t");
  RunOnce("t", IdNameBatch(0, 3), "s", {{"shard-a", {kSeqA, -1}}});
  // The child appends and saves positions, then dies without committing or closing anything.
  const int status = RunInChild([&]() -> int {
    auto sink = harness_->Open();
    if (!sink.ok()) return 2;
    auto schema = (*sink)->DescribeTable("t");
    if (!schema.ok() || !(*sink)->Begin(*schema).ok()) return 3;
    if (!(*sink)->LoadPositions("s").ok()) return 4;
    if (!(*sink)->Append(IdNameBatch(3, 20000)).ok()) return 5;
    if (!(*sink)->SavePositions("s", {{"shard-a", {kSeqB, -1}}}).ok()) return 6;
    _exit(9);
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 9) << "the child failed before the crash point";
  EXPECT_EQ(db().RowCount("", "t"), "3");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {kSeqA, -1}}}));
  // And the next run works normally (no stale lock, no half-written state).
  RunOnce("t", IdNameBatch(3, 2), "s", {{"shard-a", {kSeqB, -1}}});
  EXPECT_EQ(db().RowCount("", "t"), "5");
}

TEST_P(SinkConformance, PositionsRoundTripThroughCommit) {
  db().CreateIdNameTable("", "t");
  {
    auto sink = OpenSink();
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
    ASSERT_TRUE(sink->SavePositions("orders", positions).ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(5, 1)).ok());
    // The same shard saved again in one run keeps the last.
    ASSERT_TRUE(sink->SavePositions("orders", {{"shardId-000000000001", {kSeqB, 8}}}).ok());
    auto inside = sink->LoadPositions("orders");
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ(inside->at("shardId-000000000001"), (ShardPosition{kSeqB, 8}));
    ASSERT_TRUE(sink->Commit().ok());
  }
  auto loaded = LoadOnce("t", "orders");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shardId-000000000000", {kSeqA, -1}},
                                     {"shardId-000000000001", {kSeqB, 8}}}));
  auto other_stream = LoadOnce("t", "payments");
  ASSERT_TRUE(other_stream.ok());
  EXPECT_TRUE(other_stream->empty());
  if (kind().speaks_sql) {
    EXPECT_EQ(QueryOne("SELECT count(*) FROM kinesis_import_positions"), "2");
  }
  EXPECT_EQ(db().RowCount("", "t"), "6");
}

// updated_at is the injected clock's time; table_name is the schema-qualified table.
TEST_P(SinkConformance, PositionsRecordTheQualifiedTableAndTheInjectedClocksTime) {
  db().CreateIdNameTable("", "t");
  test::FixedClock clock = test::FixedClock::AtMicros(1704067200123456LL);
  {
    auto opened = db().OpenWith(clock);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Sink& sink = **opened;
    auto schema = sink.DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink.Begin(*schema).ok());
    ASSERT_TRUE(sink.LoadPositions("s").ok());
    ASSERT_TRUE(sink.Append(IdNameBatch(0, 5)).ok());
    ASSERT_TRUE(sink.SavePositions("s", {{"shard-a", {"42", 3}}, {"shard-b", {kSeqA, -1}}}).ok());
    ASSERT_TRUE(sink.Commit().ok());
  }
  EXPECT_EQ(db().Query("SELECT stream_name, table_name, shard_id, sequence_number, "
                       "CAST(subsequence_number AS VARCHAR), CAST(updated_at AS VARCHAR) "
                       "FROM kinesis_import_positions ORDER BY shard_id"),
            (Rows{{"s", db().DefaultSchema() + ".t", "shard-a", "42", "3",
                   "2024-01-01 00:00:00.123456"},
                  {"s", db().DefaultSchema() + ".t", "shard-b", kSeqA, "-1",
                   "2024-01-01 00:00:00.123456"}}));
  EXPECT_EQ(db().RowCount("", "t"), "5");
}

TEST_P(SinkConformance, TwoStreamsIntoOneTableAreKeptApart) {
  db().CreateIdNameTable("", "t");
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

TEST_P(SinkConformance, LaterRunUpdatesItsShardsAndKeepsTheOthers) {
  db().CreateIdNameTable("", "t");
  db().CreateIdNameTable("", "u");
  RunOnce("t", IdNameBatch(0, 2), "s", {{"shard-a", {"100", -1}}, {"shard-b", {"200", 3}}});
  // The qualified name is the same table: the same positions.
  RunOnce(db().DefaultSchema() + ".t", IdNameBatch(2, 2), "s", {{"shard-a", {"150", 2}}});
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"150", 2}}, {"shard-b", {"200", 3}}}));
  if (kind().speaks_sql) {
    EXPECT_EQ(QueryOne("SELECT count(*) FROM kinesis_import_positions"), "2");
  }
  EXPECT_EQ(db().RowCount("", "t"), "4");
  auto other_table = LoadOnce("u", "s");  // positions are per (stream, table)
  ASSERT_TRUE(other_table.ok());
  EXPECT_TRUE(other_table->empty());
}

// A position derived from the table's metadata columns (Sink::LoadPositions).
ShardPosition Derived(std::string sequence, int64_t subsequence) {
  ShardPosition p(std::move(sequence), subsequence);
  p.derived = true;
  return p;
}

TEST_P(SinkConformance, ResumesFromMetadataColumnsComparingNumerically) {
  db().Exec(R"(CREATE TABLE events (payload VARCHAR, "Kinesis_Shard_Id" VARCHAR,
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
  const std::string& shard1 = loaded->at("shard-1").sequence_number;
  EXPECT_TRUE(shard1 == "10" || shard1 == "010") << shard1;
  EXPECT_EQ(loaded->at("shard-1").subsequence_number, -1);
  EXPECT_TRUE(loaded->at("shard-1").derived);
  EXPECT_EQ(loaded->at("shard-2"),
            Derived("49590338271490256608559692538361571095921575989136588898", 2));
  // Once a run saved positions, the positions table wins over the columns.
  RunOnce("events", RowBatch(4), "s", {{"shard-1", {"5", -1}}});
  auto saved = LoadOnce("events", "s");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(*saved, (ShardPositions{{"shard-1", {"5", -1}}}));
}

// Without a subsequence column the rows of the newest record are counted, so a table whose last
// run stopped inside a KPL aggregate resumes at the next user record (issue 8, case 3).
TEST_P(SinkConformance, DerivedWithoutSubsequenceColumnCountsTheRowsOfTheLastRecord) {
  db().Exec(R"(CREATE TABLE events (payload VARCHAR, kinesis_shard_id VARCHAR,
          shard_sequence_number VARCHAR);
      INSERT INTO events VALUES ('a', 's1', '9'), ('b', 's1', '10'), ('c', 's1', '2'),
        ('d', 's2', '77'), ('e', 's2', '077'), ('f', 's2', '77'), ('g', 's2', '8');)");
  auto loaded = LoadOnce("events", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->at("s1"), Derived("10", 0));  // one row: skip that record's one user record
  EXPECT_EQ(loaded->at("s2").subsequence_number, 2);  // three rows of record 77
  EXPECT_TRUE(loaded->at("s2").derived);
}

// Positions of another stream in the positions table: nothing is derived (issue 8, case 2), but
// a table with no positions row at all still derives.
TEST_P(SinkConformance, NothingIsDerivedWhenTheTableHasPositionsOfAnotherStream) {
  db().Exec(R"(CREATE TABLE events (payload VARCHAR, kinesis_shard_id VARCHAR,
          shard_sequence_number VARCHAR);
      INSERT INTO events VALUES ('a', 'shardId-000000000000', '500');)");
  auto derived = LoadOnce("events", "stream-b");
  ASSERT_TRUE(derived.ok()) << derived.status().message();
  EXPECT_EQ(*derived, (ShardPositions{{"shardId-000000000000", Derived("500", 0)}}));
  RunOnce("events", RowBatch(3), "stream-a", {{"shardId-000000000000", {"600", -1}}});
  auto after = LoadOnce("events", "stream-b");
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_TRUE(after->empty());
}

// Version 2 keeps a time to resume from, the stream's identity, and can list and delete rows.
TEST_P(SinkConformance, PositionsKeepTimeAndStreamIdentityAndCanBeListedAndDeleted) {
  db().CreateIdNameTable("", "t");
  ShardPosition at_time;
  at_time.resume_timestamp_ms = 1764582000123;
  at_time.stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  at_time.stream_created_ms = 1764500000456;
  ShardPosition at_seq(kSeqA, 3);
  at_seq.stream_arn = at_time.stream_arn;
  at_seq.stream_created_ms = at_time.stream_created_ms;
  RunOnce("t", IdNameBatch(0, 1), "s", {{"shard-a", at_time}, {"shard-b", at_seq}});
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", at_time}, {"shard-b", at_seq}}));

  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  auto listed = sink->ListPositions("s");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].shard_id, "shard-a");
  EXPECT_EQ((*listed)[1].position, at_seq);
  EXPECT_GT((*listed)[1].updated_at_us, 0);
  auto has_rows = sink->TableHasRows();
  ASSERT_TRUE(has_rows.ok());
  EXPECT_TRUE(*has_rows);
  auto one = sink->DeletePositions("s", "shard-b");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(*one, 1);
  auto rest = sink->DeletePositions("s", "");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);
  sink->Rollback();  // nothing deleted after all
  auto again = LoadOnce("t", "s");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 2u);
}

// A positions table written by version 0.1 (schema version 1) is migrated in place: its rows
// keep working and the new columns appear.
TEST_P(SinkConformance, VersionOnePositionsTableIsMigratedInPlace) {
  db().Exec("CREATE TABLE t (id BIGINT, name VARCHAR); "
            "CREATE TABLE kinesis_import_positions (stream_name VARCHAR NOT NULL, "
            "table_name VARCHAR NOT NULL, shard_id VARCHAR NOT NULL, sequence_number VARCHAR NOT "
            "NULL, subsequence_number BIGINT NOT NULL DEFAULT -1, updated_at TIMESTAMP NOT NULL)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  db().Exec("INSERT INTO kinesis_import_positions VALUES ('s', '" + schema->QualifiedName() +
            "', 'shard-a', '" + kSeqA + "', -1, TIMESTAMP '2026-01-01 00:00:00')");
  sink.reset();
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {kSeqA, -1}}}));
  // DuckDB migrates inside the run's transaction (LoadOnce rolls back); a committed run keeps it.
  RunOnce("t", IdNameBatch(0, 1), "s", {});
  EXPECT_EQ(QueryOne("SELECT version FROM kinesis_import_schema_version "
                     "WHERE component = 'positions'"),
            "3");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM kinesis_import_positions WHERE stream_arn IS NULL "
                     "AND resume_at IS NULL AND stream_created_at IS NULL AND NOT finished"),
            "1");
}

// A positions table written by the release with schema version 2 (before `finished`) is
// migrated in place to version 3: its rows read as they were, not finished, and the migrated
// table stores finished shards.
TEST_P(SinkConformance, VersionTwoPositionsTableIsMigratedInPlace) {
  db().Exec("CREATE TABLE t (id BIGINT, name VARCHAR); " + kind().positions_v2_ddl);
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  const std::string table_key = schema->QualifiedName();
  sink.reset();
  db().Exec("INSERT INTO kinesis_import_positions VALUES ('s', '" + table_key + "', 'shard-a', '" +
            kSeqA + "', 2, TIMESTAMP '2026-01-01 00:00:00', NULL, "
            "'arn:aws:kinesis:us-east-1:000000000000:stream/s', "
            "TIMESTAMP '2025-12-01 10:00:00'), ('s', '" + table_key + "', 'shard-b', '', -1, "
            "TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2025-12-31 23:00:00', NULL, NULL)");
  ShardPosition a(kSeqA, 2);
  a.stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  a.stream_created_ms = 1764583200000;  // 2025-12-01 10:00:00 UTC
  ShardPosition b;
  b.resume_timestamp_ms = 1767222000000;  // 2025-12-31 23:00:00 UTC
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", a}, {"shard-b", b}}));

  ShardPosition finished(kSeqB, -1);
  finished.finished = true;
  RunOnce("t", IdNameBatch(0, 1), "s", {{"shard-b", finished}});
  EXPECT_EQ(QueryOne("SELECT version FROM kinesis_import_schema_version "
                     "WHERE component = 'positions'"),
            "3");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM kinesis_import_schema_version"), "1");
  EXPECT_EQ(db().Query("SELECT shard_id, CAST(finished AS VARCHAR) FROM kinesis_import_positions "
                       "ORDER BY shard_id"),
            (Rows{{"shard-a", "false"}, {"shard-b", "true"}}));
  auto after = LoadOnce("t", "s");
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(*after, (ShardPositions{{"shard-a", a}, {"shard-b", finished}}));
  // Later runs find version 3 and change nothing of the table.
  RunOnce("t", IdNameBatch(1, 1), "s", {{"shard-a", {kSeqB, -1}}});
  auto last = LoadOnce("t", "s");
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_EQ(*last, (ShardPositions{{"shard-a", {kSeqB, -1}}, {"shard-b", finished}}));
}

// ShardPosition::finished (a closed shard read to its end) is stored with the position, read back
// by LoadPositions and ListPositions, and overwritten like the rest of the position.
TEST_P(SinkConformance, FinishedRoundTrips) {
  db().CreateIdNameTable("", "t");
  ShardPosition parent(kSeqA, -1);
  parent.finished = true;
  parent.stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
  parent.stream_created_ms = 1764500000456;
  ShardPosition child(kSeqB, 4);
  RunOnce("t", IdNameBatch(0, 3), "s", {{"shard-p", parent}, {"shard-c", child}});
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-p", parent}, {"shard-c", child}}));
  if (kind().speaks_sql) {
    EXPECT_EQ(db().Query("SELECT shard_id, CAST(finished AS VARCHAR) FROM "
                         "kinesis_import_positions ORDER BY shard_id"),
              (Rows{{"shard-c", "false"}, {"shard-p", "true"}}));
  }
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  auto listed = sink->ListPositions("s");
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].shard_id, "shard-c");
  EXPECT_FALSE((*listed)[0].position.finished);
  EXPECT_EQ((*listed)[1].position, parent);
  // Saved again, the position is replaced as a whole, finished with it.
  ShardPosition child_done = child;
  child_done.finished = true;
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-p", {kSeqA, -1}}, {"shard-c", child_done}}).ok());
  ASSERT_TRUE(sink->Commit().ok());
  sink.reset();
  auto again = LoadOnce("t", "s");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, (ShardPositions{{"shard-p", {kSeqA, -1}}, {"shard-c", child_done}}));
}

TEST_P(SinkConformance, DerivedPositionsAreNeverFinished) {
  db().Exec(R"(CREATE TABLE events (payload VARCHAR, kinesis_shard_id VARCHAR,
          shard_sequence_number VARCHAR);
      INSERT INTO events VALUES ('a', 'shard-p', '500');)");
  auto derived = LoadOnce("events", "s");
  ASSERT_TRUE(derived.ok()) << derived.status().message();
  ASSERT_EQ(derived->size(), 1u);
  EXPECT_TRUE(derived->at("shard-p").derived);
  EXPECT_FALSE(derived->at("shard-p").finished) << "a derived position is never finished";
}

TEST_P(SinkConformance, ResumesFromADecimalSequenceColumnWithoutSubsequenceCountingRows) {
  db().Exec(R"(CREATE TABLE events (kinesis_shard_id VARCHAR, shard_sequence_number DECIMAL(38,0));
      INSERT INTO events VALUES ('s1', 9), ('s1', 10), ('s1', 2);)");
  auto loaded = LoadOnce("events", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"s1", Derived("10", 0)}}));  // one row of record 10
}

TEST_P(SinkConformance, NoMetadataColumnsAndNoPositionsMeansNoPositions) {
  db().Exec("CREATE TABLE t (id BIGINT, name VARCHAR); INSERT INTO t VALUES (1, 'x');");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(loaded->empty());
}

TEST_P(SinkConformance, PositionsTableLivesInTheTargetTablesSchema) {
  const std::string raw = db().NewSchema("raw");
  const std::string raw_sql = QuoteIdentifier(raw);
  db().Exec("CREATE TABLE " + raw_sql + ".t (id BIGINT, name VARCHAR); "
            "CREATE TABLE t (id BIGINT, name VARCHAR);");
  RunOnce(raw_sql + ".t", IdNameBatch(0, 3), "s", {{"shard-a", {"7", -1}}});
  EXPECT_EQ(QueryOne("SELECT count(*) FROM " + raw_sql + ".t"), "3");
  EXPECT_EQ(db().RowCount("", "t"), "0");
  EXPECT_TRUE(db().TableExistsIn(raw, "kinesis_import_positions"));
  EXPECT_EQ(QueryOne("SELECT table_name FROM " + raw_sql + ".kinesis_import_positions"),
            raw + ".t");
  auto default_positions = LoadOnce("t", "s");
  ASSERT_TRUE(default_positions.ok());
  EXPECT_TRUE(default_positions->empty());
}

TEST_P(SinkConformance, SchemaAndTableNamesWithQuotesAndDotsWorkEndToEnd) {
  const std::string schema = db().NewSchema("we\"ird");
  const std::string name = QuoteIdentifier(schema) + R"(."ta""ble.x")";
  db().Exec("CREATE TABLE " + name + " (id BIGINT, name VARCHAR)");
  RunOnce(name, IdNameBatch(0, 4), "s", {{"shard-a", {"42", -1}}});
  auto loaded = LoadOnce(name, "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"42", -1}}}));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM " + name), "4");
  EXPECT_EQ(QueryOne("SELECT table_name FROM " + QuoteIdentifier(schema) +
                     ".kinesis_import_positions"),
            schema + ".ta\"ble.x");
}

// Replaying the same records in a later run is avoided by the positions; a rolled-back run's
// positions must therefore never become visible, and its rows neither.
TEST_P(SinkConformance, RolledBackRunsPositionsAreNotVisibleSoTheReplayImportsOnce) {
  db().CreateIdNameTable("", "t");
  RunOnce("t", IdNameBatch(0, 3), "s", {{"shard-a", {"100", -1}}});
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    ASSERT_TRUE(sink->LoadPositions("s").ok());
    ASSERT_TRUE(sink->Append(IdNameBatch(3, 3)).ok());
    ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"200", -1}}}).ok());
    sink->Rollback();
  }
  auto after_failure = LoadOnce("t", "s");
  ASSERT_TRUE(after_failure.ok());
  EXPECT_EQ(*after_failure, (ShardPositions{{"shard-a", {"100", -1}}}));
  // The replay from "100" appends the same records again, this time committed: once each.
  RunOnce("t", IdNameBatch(3, 3), "s", {{"shard-a", {"200", -1}}});
  EXPECT_EQ(db().RowCount("", "t"), "6");
  if (kind().speaks_sql) {
    EXPECT_EQ(QueryOne("SELECT count(DISTINCT id) FROM t"), "6");
  }
}

TEST_P(SinkConformance, RejectsTableIsCreatedAndFilledInTheRunsTransaction) {
  db().CreateIdNameTable("", "t");
  RejectedRecord reject;
  reject.stream = "s";
  reject.shard_id = "shard-a";
  reject.sequence_number = kSeqA;
  reject.subsequence_number = 3;
  reject.partition_key = "pk-1";
  reject.arrival_time_us = 1704067200123456LL;
  reject.payload = std::string("{\"x\": \0\xff}", 9);
  reject.error = "column 'x': not a number";
  RejectedRecord whole = reject;
  whole.subsequence_number = -1;
  whole.payload = "plain";

  auto run = [&](bool commit) {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable("t");
    ASSERT_TRUE(schema.ok());
    ASSERT_TRUE(sink->Begin(*schema).ok());
    Status st = sink->PrepareRejects("t_rejects");
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(sink->Append(IdNameBatch(0, 2)).ok());
    st = sink->AppendRejects({reject, whole});
    ASSERT_TRUE(st.ok()) << st.message();
    if (commit) {
      ASSERT_TRUE(sink->Commit().ok());
    } else {
      sink->Rollback();
    }
  };
  run(false);
  EXPECT_FALSE(db().TableExists("t_rejects")) << "the rejects table outlived a rolled-back run";
  EXPECT_EQ(db().RowCount("", "t"), "0");

  run(true);
  ASSERT_TRUE(db().TableExists("t_rejects"));
  Rows rows = db().Query(
      "SELECT stream_name, shard_id, sequence_number, CAST(subsequence_number AS VARCHAR), "
      "partition_key, CAST(arrival_time AS VARCHAR), error FROM t_rejects ORDER BY "
      "subsequence_number NULLS FIRST");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"s", "shard-a", kSeqA, "NULL", "pk-1",
                                               "2024-01-01 00:00:00.123456",
                                               "column 'x': not a number"}));
  EXPECT_EQ(rows[1][3], "3");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM t_rejects WHERE payload = " +
                     db().BlobLiteral(reject.payload) + " AND rejected_at IS NOT NULL"),
            "1");
  // An existing rejects table is reused.
  run(true);
  EXPECT_EQ(QueryOne("SELECT count(*) FROM t_rejects"), "4");
}

// Retention gaps (--on-trimmed continue): kinesis_import_gaps beside the positions table, created
// by the first SaveGaps and filled in the run's transaction.
TEST_P(SinkConformance, GapsAreWrittenInTheRunsTransactionAndTheTableIsCreatedOnce) {
  const std::string raw = db().NewSchema("raw");
  const std::string raw_sql = QuoteIdentifier(raw);
  db().CreateIdNameTable(raw, "t");
  RetentionGap trimmed;
  trimmed.stream = "s";
  trimmed.shard_id = "shardId-000000000001";
  trimmed.last_sequence_number = kSeqA;
  trimmed.last_subsequence_number = 3;
  trimmed.first_sequence_number_after = kSeqB;
  trimmed.detected_at_us = 1764582000123456LL;
  RetentionGap expired;  // nothing of the shard left; no time given: the sink's clock
  expired.stream = "s";
  expired.shard_id = "shardId-000000000002";
  expired.last_sequence_number = kSeqA;
  test::FixedClock clock = test::FixedClock::AtMicros(1704067200654321LL);

  auto run = [&](bool commit, const std::vector<RetentionGap>& gaps) {
    auto opened = db().OpenWith(clock);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Sink& sink = **opened;
    auto schema = sink.DescribeTable(raw_sql + ".t");
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    ASSERT_TRUE(sink.Begin(*schema).ok());
    ASSERT_TRUE(sink.LoadPositions("s").ok());
    ASSERT_TRUE(sink.Append(IdNameBatch(0, 2)).ok());
    Status st = sink.SaveGaps(gaps);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(sink.SavePositions("s", {{"shardId-000000000001", {kSeqB, -1}}}).ok());
    if (commit) {
      st = sink.Commit();
      ASSERT_TRUE(st.ok()) << st.message();
    } else {
      sink.Rollback();
    }
  };
  run(true, {});  // no gaps: no table
  EXPECT_FALSE(db().TableExistsIn(raw, "kinesis_import_gaps"));
  run(false, {trimmed, expired});
  EXPECT_FALSE(db().TableExistsIn(raw, "kinesis_import_gaps"))
      << "the gaps table outlived a rolled-back run";

  run(true, {trimmed, expired});
  ASSERT_TRUE(db().TableExistsIn(raw, "kinesis_import_gaps"));
  EXPECT_FALSE(db().TableExists("kinesis_import_gaps")) << "it lives in the target table's schema";
  const std::vector<std::string> trimmed_row = {
      "s", raw + ".t", "shardId-000000000001", kSeqA, "3", kSeqB, "1764582000123456"};
  const std::vector<std::string> expired_row = {
      "s", raw + ".t", "shardId-000000000002", kSeqA, "NULL", "NULL", "1704067200654321"};
  EXPECT_EQ(db().GapRows(raw), (Rows{trimmed_row, expired_row}));
  EXPECT_EQ(db().RowCount(raw, "t"), "4");

  // A second transaction finds the table and adds to it; a rolled-back one adds nothing.
  RetentionGap later = trimmed;
  later.detected_at_us += 1000000;
  run(true, {later});
  run(false, {later, later});
  Rows rows = db().GapRows(raw);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], trimmed_row);
  EXPECT_EQ(rows[1][6], "1764582001123456");
  EXPECT_EQ(rows[2], expired_row);
}

// Two runs that write the first gaps of a schema at the same time both commit, into one table.
TEST_P(SinkConformance, ConcurrentRunsCreateTheGapsTableOnce) {
  if (!kind().concurrent_sinks_in_one_process) {
    GTEST_SKIP() << kind().name << ": one sink at a time has the database open, so no two runs "
                 "can race to create the gaps table";
  }
  constexpr int kRuns = 6;
  for (int i = 0; i < kRuns; ++i) {
    db().Exec("CREATE TABLE t" + std::to_string(i) + " (id BIGINT, name VARCHAR)");
  }
  std::vector<std::unique_ptr<Sink>> sinks;
  std::vector<TableSchema> schemas;
  for (int i = 0; i < kRuns; ++i) {
    sinks.push_back(OpenSink());
    ASSERT_NE(sinks.back(), nullptr);
    auto schema = sinks.back()->DescribeTable("t" + std::to_string(i));
    ASSERT_TRUE(schema.ok());
    schemas.push_back(*schema);
  }
  // All runs are open before any creates the table: each CREATE waits for the first one's commit.
  for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(sinks[i]->Begin(schemas[i]).ok());
  std::vector<std::thread> threads;
  std::vector<Status> results(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      RetentionGap gap;
      gap.stream = "s";
      gap.shard_id = "shard-" + std::to_string(i);
      gap.last_sequence_number = "1";
      results[i] = sinks[i]->SaveGaps({gap});
      results[i] = results[i].ok() ? sinks[i]->Commit() : results[i];
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].message();
  EXPECT_EQ(QueryOne("SELECT count(DISTINCT table_name) FROM kinesis_import_gaps"),
            std::to_string(kRuns));
}

TEST_P(SinkConformance, EverySupportedTypeRoundTrips) {
  db().Exec("CREATE TABLE all_types (id INTEGER, b BOOLEAN, si SMALLINT, i INTEGER, bi BIGINT, "
            "d4 DECIMAL(4,2), d9 DECIMAL(9,3), d18 DECIMAL(18,0), d38 DECIMAL(38,10), r REAL, "
            "dbl " + kind().double_type + ", v VARCHAR, v5 VARCHAR(5), dt DATE, ts TIMESTAMP, "
            "tstz TIMESTAMPTZ, tm TIME, u UUID, j JSON, bl " + kind().blob_type + ")");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("all_types");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  ASSERT_EQ(schema->columns.size(), 20u);
  const std::vector<ColumnType> expected_types = {
      ColumnType::kInteger, ColumnType::kBoolean, ColumnType::kSmallInt, ColumnType::kInteger,
      ColumnType::kBigInt,  ColumnType::kDecimal, ColumnType::kDecimal,  ColumnType::kDecimal,
      ColumnType::kDecimal, ColumnType::kReal,    ColumnType::kDouble,   ColumnType::kVarchar,
      ColumnType::kVarchar, ColumnType::kDate,    ColumnType::kTimestamp, ColumnType::kTimestampTz,
      ColumnType::kTime,    ColumnType::kUuid,    ColumnType::kJson,     ColumnType::kBlob};
  for (size_t c = 0; c < expected_types.size(); ++c) {
    EXPECT_EQ(schema->columns[c].type, expected_types[c]) << schema->columns[c].name;
  }
  EXPECT_EQ(schema->columns[8].decimal_width, 38);
  EXPECT_EQ(schema->columns[8].decimal_scale, 10);
  EXPECT_EQ(schema->columns[12].max_length, kind().enforces_varchar_length ? 5 : -1);
  ASSERT_TRUE(sink->Begin(*schema).ok());

  const std::string text = "h\xC3\xA9llo \"world\"\ttab\nnew line\r\\back\\slash 'quoted' \\N";
  const std::string blob("\0\xff" "ab\\\t\n", 7);
  RowBatch batch(20);
  {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = 1;
    batch.Set(r, 1).i64 = 1;
    batch.Set(r, 2).i64 = -32768;
    batch.Set(r, 3).i64 = 2147483647;
    batch.Set(r, 4).i64 = std::numeric_limits<int64_t>::min();
    batch.Set(r, 5).i64 = -5;  // -0.05
    batch.Set(r, 6).i64 = -123456789;
    batch.Set(r, 7).i64 = 999999999999999999LL;
    batch.Set(r, 8).i128 =
        Int128(0, 1234567890123456789ULL) * static_cast<__int128>(100000000000LL) + 1234567890;
    batch.Set(r, 9).f64 = 1.5;
    batch.Set(r, 10).f64 = 0.1;
    batch.SetString(r, 11, text);
    batch.SetString(r, 12, "h\xC3\xA9llo");  // 5 characters, 6 bytes
    batch.Set(r, 13).i64 = 19723;               // 2024-01-01
    batch.Set(r, 14).i64 = 1704067200123456LL;  // 2024-01-01 00:00:00.123456
    batch.Set(r, 15).i64 = 1704067200123456LL;
    batch.Set(r, 16).i64 = 45296789012LL;  // 12:34:56.789012
    batch.Set(r, 17).i128 = Int128(0xf81d4fae7dec11d0ULL, 0xa76500a0c91e6bf6ULL);
    batch.SetString(r, 18, R"({"a": [1, 2]})");
    batch.SetString(r, 19, blob);
  }
  {
    size_t r = batch.AddRow();  // before the epoch, other extremes
    batch.Set(r, 0).i64 = 2;
    batch.Set(r, 1).i64 = 0;
    batch.Set(r, 4).i64 = std::numeric_limits<int64_t>::max();
    batch.Set(r, 8).i128 = -Int128(0x4b3b4ca85a86c47aULL, 0x098a223fffffffffULL);  // -(10^38-1)
    batch.Set(r, 10).f64 = -1e300;
    batch.SetString(r, 11, "");
    batch.Set(r, 13).i64 = -1;       // 1969-12-31
    batch.Set(r, 14).i64 = -1;       // 1969-12-31 23:59:59.999999
    batch.Set(r, 15).i64 = -86400000000LL * 365;  // 1969-01-01
    batch.Set(r, 16).i64 = 0;
    batch.SetString(r, 19, "");
  }
  {
    size_t r = batch.AddRow();  // NULL everywhere but the id
    batch.Set(r, 0).i64 = 3;
  }
  Status st = sink->Append(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(sink->Commit().ok());
  sink.reset();

  // Each value is compared in the database, column by column, so a failure names the column.
  const std::vector<std::pair<std::string, std::string>> row1 = {
      {"b", "b = true"},
      {"si", "CAST(si AS VARCHAR) = '-32768'"},
      {"i", "CAST(i AS VARCHAR) = '2147483647'"},
      {"bi", "CAST(bi AS VARCHAR) = '-9223372036854775808'"},
      {"d4", "CAST(d4 AS VARCHAR) = '-0.05'"},
      {"d9", "CAST(d9 AS VARCHAR) = '-123456.789'"},
      {"d18", "CAST(d18 AS VARCHAR) = '999999999999999999'"},
      {"d38", "CAST(d38 AS VARCHAR) = '12345678901234567890.1234567890'"},
      {"r", "r = 1.5"},
      {"dbl", "dbl = 0.1"},
      {"v", "v = '" + std::string("h\xC3\xA9llo \"world\"\ttab\nnew line\r\\back\\slash "
                                  "''quoted'' \\N") + "'"},
      {"v5", "v5 = 'h\xC3\xA9llo'"},
      {"dt", "dt = DATE '2024-01-01'"},
      {"ts", "ts = TIMESTAMP '2024-01-01 00:00:00.123456'"},
      {"tstz", "tstz = CAST('2024-01-01 00:00:00.123456+00' AS TIMESTAMPTZ)"},
      {"tm", "tm = TIME '12:34:56.789012'"},
      {"u", "u = CAST('f81d4fae-7dec-11d0-a765-00a0c91e6bf6' AS UUID)"},
      {"j", "CAST(j AS VARCHAR) = '{\"a\": [1, 2]}'"},
      {"bl", "bl = " + db().BlobLiteral(blob)},
  };
  for (const auto& [column, predicate] : row1) {
    EXPECT_EQ(QueryOne("SELECT count(*) FROM all_types WHERE id = 1 AND " + predicate), "1")
        << column << ": " << predicate << "; stored: "
        << QueryOne("SELECT CAST(" + column + " AS VARCHAR) FROM all_types WHERE id = 1");
  }
  const std::vector<std::pair<std::string, std::string>> row2 = {
      {"b", "b = false"},
      {"bi", "CAST(bi AS VARCHAR) = '9223372036854775807'"},
      {"d38", "CAST(d38 AS VARCHAR) = '-9999999999999999999999999999.9999999999'"},
      {"dbl", "dbl = -1e300"},
      {"v", "v = ''"},
      {"dt", "dt = DATE '1969-12-31'"},
      {"ts", "ts = TIMESTAMP '1969-12-31 23:59:59.999999'"},
      {"tstz", "tstz = CAST('1969-01-01 00:00:00+00' AS TIMESTAMPTZ)"},
      {"tm", "tm = TIME '00:00:00'"},
      {"bl", "bl = " + db().BlobLiteral("")},
  };
  for (const auto& [column, predicate] : row2) {
    EXPECT_EQ(QueryOne("SELECT count(*) FROM all_types WHERE id = 2 AND " + predicate), "1")
        << column << ": " << predicate << "; stored: "
        << QueryOne("SELECT CAST(" + column + " AS VARCHAR) FROM all_types WHERE id = 2");
  }
  std::string all_null;
  for (const auto& [column, predicate] : row1) {
    all_null += " AND " + column + " IS NULL";
  }
  EXPECT_EQ(QueryOne("SELECT count(*) FROM all_types WHERE id = 3" + all_null), "1");
}

TEST_P(SinkConformance, TooLongVarcharIsABadRecordWhereLengthsAreEnforced) {
  db().Exec("CREATE TABLE t (id BIGINT, v5 VARCHAR(5))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  RowBatch batch(2);
  for (const char* value : {"abcde", "abcdef"}) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = static_cast<int64_t>(r);
    batch.SetString(r, 1, value);
  }
  Status st = sink->Append(batch);
  if (kind().enforces_varchar_length) {
    EXPECT_EQ(st.kind(), ErrorKind::kBadRecord) << st.message();
    EXPECT_NE(st.message().find("column 'v5'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("row 1"), std::string::npos) << st.message();
    sink->Rollback();
    sink.reset();
    EXPECT_EQ(db().RowCount("", "t"), "0");
  } else {
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(sink->Commit().ok());
    sink.reset();
    EXPECT_EQ(QueryOne("SELECT v5 FROM t WHERE id = 1"), "abcdef");
  }
}

TEST_P(SinkConformance, SecondRunOnTheSameStreamAndTableFailsFast) {
  db().CreateIdNameTable("", "t");
  int ready[2];
  int release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    close(release[1]);
    auto sink = harness_->Open();
    if (!sink.ok()) _exit(2);
    auto schema = (*sink)->DescribeTable("t");
    if (!schema.ok() || !(*sink)->Begin(*schema).ok()) _exit(3);
    if (!(*sink)->LoadPositions("s").ok()) _exit(4);
    (void)!write(ready[1], "x", 1);
    char c;
    pollfd pfd{release[0], POLLIN, 0};
    (void)poll(&pfd, 1, 60000);
    (void)!read(release[0], &c, 1);
    (*sink)->Rollback();
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char c = 0;
  pollfd pfd{ready[0], POLLIN, 0};
  const bool child_ready = poll(&pfd, 1, 60000) == 1 && read(ready[0], &c, 1) == 1;

  Status second;
  const auto start = std::chrono::steady_clock::now();
  if (child_ready) {
    second = [&]() -> Status {
      KI_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, harness_->Open());
      KI_ASSIGN_OR_RETURN(TableSchema schema, sink->DescribeTable("t"));
      KI_RETURN_IF_ERROR(sink->Begin(schema));
      KI_RETURN_IF_ERROR(sink->LoadPositions("s").status());
      KI_RETURN_IF_ERROR(sink->Append(IdNameBatch(0, 1)));
      return sink->Commit();
    }();
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  close(release[1]);
  close(ready[0]);
  int status = 0;
  waitpid(child, &status, 0);

  ASSERT_TRUE(child_ready) << "the first run never got going (child status " << status << ")";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_FALSE(second.ok()) << "a second run on the same stream and table was not stopped";
  EXPECT_EQ(second.kind(), ErrorKind::kFatal) << second.message();
  EXPECT_NE(second.message().find(kind().concurrent_run_message), std::string::npos)
      << second.message();
  EXPECT_LT(ms, 10000) << "must fail fast";
  EXPECT_EQ(db().RowCount("", "t"), "0");
  // Once the first run is gone, the next one works.
  RunOnce("t", IdNameBatch(0, 1), "s", {{"shard-a", {"1", -1}}});
  EXPECT_EQ(db().RowCount("", "t"), "1");
}

// The same within one process (two sinks, as two follow workers would be): the second run fails
// fast on the first one's lock, and gets it once the first has ended.
TEST_P(SinkConformance, SecondRunInTheSameProcessFailsFastOnTheLock) {
  if (!kind().concurrent_sinks_in_one_process) {
    GTEST_SKIP() << kind().name << ": one sink at a time has the database open (the case above "
                 "covers a second process)";
  }
  db().CreateIdNameTable("", "t");
  auto first = OpenSink();
  auto second = OpenSink();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto schema = first->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(first->Begin(*schema).ok());
  ASSERT_TRUE(first->LoadPositions("s").ok());
  ASSERT_TRUE(second->Begin(*schema).ok());
  auto blocked = second->LoadPositions("s");
  EXPECT_EQ(blocked.status().kind(), ErrorKind::kFatal) << blocked.status().message();
  EXPECT_NE(blocked.status().message().find(kind().concurrent_run_message), std::string::npos)
      << blocked.status().message();
  second->Rollback();
  ASSERT_TRUE(second->Begin(*schema).ok());
  auto other_stream = second->SavePositions("s2", {{"shard-a", {"1", -1}}});
  EXPECT_TRUE(other_stream.ok()) << other_stream.message();
  second->Rollback();
  ASSERT_TRUE(first->SavePositions("s", {{"shard-a", {"7", -1}}}).ok());
  ASSERT_TRUE(first->Commit().ok());
  ASSERT_TRUE(second->Begin(*schema).ok());
  auto after = second->LoadPositions("s");
  ASSERT_TRUE(after.ok()) << after.status().message();
  EXPECT_EQ(*after, (ShardPositions{{"shard-a", {"7", -1}}}));
  second->Rollback();
}

TEST_P(SinkConformance, HostileTableNameIsQuotedEverywhere) {
  const std::string weird = "weird\"name; DROP TABLE x";
  db().Exec(R"(CREATE TABLE x (id BIGINT);
               CREATE TABLE "weird""name; DROP TABLE x" (id BIGINT, "na""me; --" VARCHAR,
                                                          kinesis_shard_id VARCHAR,
                                                          shard_sequence_number VARCHAR))");
  const std::string quoted = R"("weird""name; DROP TABLE x")";
  {
    // Unquoted, the name is malformed: rejected before any SQL is built from it.
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(sink->DescribeTable(weird).status().kind(), ErrorKind::kInvalidArgument);
  }
  RowBatch batch(4);
  for (int i = 0; i < 3; ++i) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = i;
    batch.SetString(r, 1, "'); DROP TABLE x; --");
    batch.SetString(r, 2, "shard-a");
    batch.SetString(r, 3, std::to_string(10 + i));
  }
  // Derivation from the metadata columns of the hostile table (no positions yet).
  auto derived_before = LoadOnce(quoted, "s");
  ASSERT_TRUE(derived_before.ok()) << derived_before.status().message();
  EXPECT_TRUE(derived_before->empty());
  {
    auto sink = OpenSink();
    ASSERT_NE(sink, nullptr);
    auto schema = sink->DescribeTable(quoted);
    ASSERT_TRUE(schema.ok()) << schema.status().message();
    EXPECT_EQ(schema->table, weird);
    ASSERT_TRUE(sink->Begin(*schema).ok());
    ASSERT_TRUE(sink->LoadPositions("s'; DROP TABLE x; --").ok());
    ASSERT_TRUE(sink->Append(batch).ok());
    Status st = sink->PrepareRejects(R"("rej""ects; DROP TABLE x")");
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(sink->AppendRejects({RejectedRecord{"s'; DROP TABLE x; --", "shard-a", "1", -1,
                                                    "pk", 0, "payload", "error'); --"}})
                    .ok());
    ASSERT_TRUE(sink->SavePositions("s'; DROP TABLE x; --", {{"shard-a", {"12", -1}}}).ok());
    ASSERT_TRUE(sink->Commit().ok());
  }
  EXPECT_EQ(QueryOne(R"(SELECT count(*) FROM "weird""name; DROP TABLE x")"), "3");
  EXPECT_EQ(QueryOne(R"(SELECT count(*) FROM "rej""ects; DROP TABLE x")"), "1");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM x"), "0");  // still there
  auto loaded = LoadOnce(quoted, "s'; DROP TABLE x; --");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"12", -1}}}));
  // The table has positions (of another stream): its columns may hold that stream's sequence
  // numbers, so nothing is derived for a new stream (issue 8, case 2).
  auto derived = LoadOnce(quoted, "another stream");
  ASSERT_TRUE(derived.ok()) << derived.status().message();
  EXPECT_TRUE(derived->empty());
}

TEST_P(SinkConformance, MissingTableIsNotFoundWithCreateTableSuggestion) {
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("clicks");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(schema.status().message().find("CREATE TABLE clicks ("), std::string::npos)
      << schema.status().message();
  EXPECT_NE(schema.status().message().find(sink->Describe()), std::string::npos)
      << schema.status().message();
  const std::string& m = schema.status().message();
  EXPECT_NE(m.find("table 'clicks' does not exist in " + sink->Describe()), std::string::npos) << m;
  EXPECT_NE(m.find("kinesis_shard_id " + kind().text_type + ", shard_sequence_number " +
                   kind().text_type),
            std::string::npos)
      << m;
}

TEST_P(SinkConformance, FindsMetadataColumnsCaseInsensitively) {
  db().Exec(R"(CREATE TABLE t (payload VARCHAR, "Kinesis_Shard_Id" VARCHAR,
          SHARD_SEQUENCE_NUMBER VARCHAR, kinesis_partition_key VARCHAR,
          Kinesis_Arrival_Time TIMESTAMPTZ, kinesis_SUBSEQUENCE_number BIGINT))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("T");  // unquoted table names are case-insensitive too
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

TEST_P(SinkConformance, ViewsAndMalformedNamesAreInvalidArgumentsAndUnknownSchemasNotFound) {
  db().Exec("CREATE TABLE t (a INTEGER); CREATE VIEW v AS SELECT * FROM t;");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->DescribeTable("v").status().kind(), ErrorKind::kInvalidArgument);
  for (const char* bad : {"\"t", "a..t", "", "a.b.c.d", "\"a\"x", ".t", "t."}) {
    auto r = sink->DescribeTable(bad);
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidArgument) << "'" << bad << "'";
  }
  EXPECT_EQ(sink->DescribeTable("nosuch.t").status().kind(), ErrorKind::kNotFound);
}

// Text the sink cannot store is a bad record naming column and row, found before anything of the
// batch is written: the transaction stays usable and the run can go on and commit.
TEST_P(SinkConformance, BadTextIsABadRecordAndLeavesNothingOfTheBatchBehind) {
  db().CreateIdNameTable("", "t");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->LoadPositions("s").ok());
  RowBatch batch = IdNameBatch(0, 3000);  // more than one DuckDB chunk before the bad row
  size_t r = batch.AddRow();
  batch.Set(r, 0).i64 = 3000;
  batch.SetString(r, 1, "bad \xff\xfe");
  Status st = sink->Append(batch);
  EXPECT_EQ(st.kind(), ErrorKind::kBadRecord) << st.message();
  EXPECT_NE(st.message().find("column 'name', row 3000 of the batch"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("not valid UTF-8"), std::string::npos) << st.message();
  // The run goes on: the bad batch left nothing behind.
  st = sink->Append(IdNameBatch(10, 2));
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
  st = sink->Commit();
  ASSERT_TRUE(st.ok()) << st.message();
  sink.reset();
  EXPECT_EQ(QueryOne("SELECT string_agg(name, ',' ORDER BY id) FROM t"), "row-10,row-11");
  auto loaded = LoadOnce("t", "s");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(*loaded, (ShardPositions{{"shard-a", {"1", -1}}}));
}

// Many batches of many rows: NULLs stay where they were put across DuckDB's chunks, and long text
// spans many of PostgreSQL's COPY buffers.
TEST_P(SinkConformance, LargeBatchesRoundTripWithNullsInPlace) {
  db().Exec("CREATE TABLE perf (id BIGINT, shard VARCHAR, value " + kind().double_type +
            ", created TIMESTAMP, payload VARCHAR)");
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
  // ~3 MB of text in one batch: a dozen 256 KiB COPY buffers.
  const std::string long_text(1000, 'x');
  batch.Clear();
  for (int64_t id = kRows; id < kRows + 3000; ++id) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = id;
    batch.SetString(r, 1, "long");
    batch.SetString(r, 4, long_text + "\t" + std::to_string(id));
  }
  Status st = sink->Append(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  st = sink->Commit();
  ASSERT_TRUE(st.ok()) << st.message();
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double append = std::chrono::duration<double>(in_append).count();
  std::cout << "[ perf     ] " << kind().name << ": " << kRows << " rows x 5 columns: Append "
            << append * 1000 << " ms (" << static_cast<int64_t>(kRows / append)
            << " rows/s); building batches + Append + Commit (+3000 long rows) " << total * 1000
            << " ms\n";
  sink.reset();

  Rows rows = db().Query(
      "SELECT count(*), count(value), CAST(sum(id) AS VARCHAR), count(DISTINCT shard), "
      "CAST(max(created) AS VARCHAR), min(payload) FILTER (WHERE id = 99999) FROM perf "
      "WHERE id < 100000");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "100000");
  EXPECT_EQ(rows[0][1], std::to_string(kRows - (kRows + 6) / 7));  // NULL exactly every 7th row
  EXPECT_EQ(rows[0][2], "4999950000");
  EXPECT_EQ(rows[0][3], "2");
  EXPECT_EQ(rows[0][4], "2024-01-01 00:00:00.099999");
  EXPECT_EQ(rows[0][5], R"({"user":"u99999","action":"click"})");
  // Every row keeps its own text although the batch's memory was reused for the next batch (the
  // DuckDB sink hands DuckDB strings that point into the batch: they must be copied in Append).
  EXPECT_EQ(QueryOne("SELECT count(*) FROM perf WHERE id < 100000 AND payload = '{\"user\":\"u' || "
                     "CAST(id AS VARCHAR) || '\",\"action\":\"click\"}' AND shard = 'shardId-00000000000' || "
                     "CAST(id % 2 AS VARCHAR)"),
            "100000");
  // NULLs are exactly where they were put, not carried over into later chunks.
  EXPECT_EQ(QueryOne("SELECT count(*) FROM perf WHERE id < 100000 AND "
                     "(value IS NULL) <> (id % 7 = 0)"),
            "0");
  EXPECT_EQ(QueryOne("SELECT CAST(count(*) AS VARCHAR) || ',' || CAST(sum(id) AS VARCHAR) || ',' "
                     "|| CAST(count(*) FILTER (WHERE payload = repeat('x', 1000) || chr(9) || "
                     "CAST(id AS VARCHAR)) AS VARCHAR) FROM perf WHERE id >= 100000"),
            "3000,304498500,3000");
}

TEST_P(SinkConformance, CallsOutOfOrderAreRejected) {
  db().CreateIdNameTable("", "t");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(sink->Append(IdNameBatch(0, 1)).kind(), ErrorKind::kInternal);
  EXPECT_EQ(sink->LoadPositions("s").status().kind(), ErrorKind::kInternal);
  EXPECT_EQ(sink->Commit().kind(), ErrorKind::kInternal);
  EXPECT_EQ(sink->SaveGaps({}).kind(), ErrorKind::kInternal);
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

TEST_P(SinkConformance, BeginNoticesATableChangedSinceDescribe) {
  db().CreateIdNameTable("", "t");
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

INSTANTIATE_TEST_SUITE_P(AllSinks, SinkConformance,
                         ::testing::Values(DuckDbKind(), PostgresKind(), InMemoryKind()),
                         [](const ::testing::TestParamInfo<SinkKind>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ki
