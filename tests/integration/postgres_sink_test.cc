// What only the PostgreSQL sink has: connection strings and their secrets, PostgreSQL's catalog
// and types, the advisory lock, server-side errors, a lost connection, and end-to-end runs of the
// real binary against the server scripts/test starts (KI_POSTGRES_URL) and the Kinesis emulator.
// The contract every sink keeps is tested in sink_conformance_test.cc.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "decode/json_decoder.h"
#include "paused_run.h"
#include "postgres_db.h"
#include "sensor_records.h"
#include "sink/postgres/connection_string.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/postgres/postgres_sql.h"
#include "sink/sink_factory.h"
#include "test_support.h"

namespace ki {
namespace {

using test::PostgresCsv;
using test::PostgresSeedTable;
using test::PostgresUrl;
using test::ProcessResult;
using test::RandomSuffix;
using test::SensorRecords;

constexpr char kPassword[] = "pg-secret-do-not-print";

// The parts of postgresql://user:password@host:port/dbname.
struct UrlParts {
  std::string user, password, host, port, dbname;
};
UrlParts SplitUrl(const std::string& url) {
  UrlParts p;
  const size_t scheme = url.find("://") + 3;
  const size_t at = url.rfind('@');
  const std::string userinfo = url.substr(scheme, at - scheme);
  const size_t colon = userinfo.find(':');
  p.user = userinfo.substr(0, colon);
  p.password = colon == std::string::npos ? "" : userinfo.substr(colon + 1);
  const size_t slash = url.find('/', at);
  const std::string hostport = url.substr(at + 1, slash - at - 1);
  p.host = hostport.substr(0, hostport.find(':'));
  p.port = hostport.substr(hostport.find(':') + 1);
  p.dbname = url.substr(slash + 1, url.find('?', slash) - slash - 1);
  return p;
}

std::string KeyValueConninfo(const std::string& url, const std::string& password) {
  const UrlParts p = SplitUrl(url);
  return "host=" + p.host + " port=" + p.port + " dbname=" + p.dbname + " user=" + p.user +
         " password='" + password + "'";
}

std::string WithPassword(const std::string& url, const std::string& password) {
  const UrlParts p = SplitUrl(url);
  return "postgresql://" + p.user + ":" + password + "@" + p.host + ":" + p.port + "/" + p.dbname;
}

// ---------------------------------------------------------------------------------------------
// Connection strings

TEST(PostgresConnectionString, RedactsUriPasswords) {
  EXPECT_EQ(RedactConnectionString("postgresql://kinesis_test:pg-secret@127.0.0.1:5432/db"),
            "postgresql://kinesis_test:***@127.0.0.1:5432/db");
  EXPECT_EQ(RedactConnectionString("postgres://u:p%40ss:w@rd@h1:1,h2:2/db?sslmode=require&"
                                   "password=other&application_name=x&sslpassword=key"),
            "postgres://u:***@h1:1,h2:2/db?sslmode=require&password=***&application_name=x&"
            "sslpassword=***");
  EXPECT_EQ(RedactConnectionString("postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(RedactConnectionString("postgresql://h/db?user=x"), "postgresql://h/db?user=x");
  EXPECT_EQ(RedactConnectionString("postgresql://"), "postgresql://");
  EXPECT_EQ(RedactConnectionString("postgresql://:secret@h"), "postgresql://:***@h");
}

TEST(PostgresConnectionString, RedactsKeyValuePasswords) {
  EXPECT_EQ(RedactConnectionString("host=h dbname=d user=u password=secret"),
            "host=h dbname=d user=u password=***");
  EXPECT_EQ(RedactConnectionString("host=h  password = 'se cr\\'et' dbname=d"),
            "host=h  password = *** dbname=d");
  EXPECT_EQ(RedactConnectionString("password=a\\ b host=h sslpassword=k"),
            "password=*** host=h sslpassword=***");
  EXPECT_EQ(RedactConnectionString("host=h dbname=d"), "host=h dbname=d");
  // Malformed: cut at the password keyword rather than risk showing it.
  EXPECT_EQ(RedactConnectionString("host=h password='unterminated secret"),
            "host=h password=***");
  EXPECT_EQ(RedactConnectionString("host=h oops password=secret"), "host=h oops password=***");
}

TEST(PostgresConnectionString, SecretsIncludeDecodedForms) {
  auto secrets = ConnectionStringSecrets("postgresql://u:p%40ss@h/db");
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "p%40ss"), secrets.end());
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "p@ss"), secrets.end());
  secrets = ConnectionStringSecrets("host=h password='it\\'s'");
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "it's"), secrets.end());
  EXPECT_EQ(ScrubSecrets("a p@ss b p%40ss", ConnectionStringSecrets("postgresql://u:p%40ss@h")),
            "a *** b ***");
}

TEST(PostgresSinkFactory, RecognisesConnectionStrings) {
  for (const char* db : {"postgresql://user@localhost/db", "postgres://localhost:5433/x",
                         "host=localhost dbname=app", "dbname=app user=me", "  host=/tmp",
                         "service=analytics", "hostaddr=127.0.0.1 user=x"}) {
    EXPECT_TRUE(IsPostgresConnectionString(db)) << db;
  }
  for (const char* db : {"kinesis.duckdb", "/data/host=a/x.duckdb", ":memory:", "mydbname=x"}) {
    EXPECT_FALSE(IsPostgresConnectionString(db)) << db;
  }
}

// ---------------------------------------------------------------------------------------------
// Against the server: a schema of its own per test, first in the search path.

class PostgresSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresUrl();
    schema_ = "ki_pg_" + RandomSuffix();
    auto created = RunPostgresSql(url_, "CREATE SCHEMA " + schema_);
    ASSERT_TRUE(created.ok()) << created.status().message();
    conninfo_ = url_ + "?options=-csearch_path%3D" + schema_;
  }
  void TearDown() override { (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + " CASCADE"); }

  void Exec(const std::string& sql) { PostgresCsv(conninfo_, sql); }
  std::string Query(const std::string& sql) { return PostgresCsv(conninfo_, sql); }

  std::unique_ptr<PostgresSink> OpenSink(PostgresSinkOptions options = {}) {
    auto sink = PostgresSink::Open(conninfo_, SystemClock(), options);
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  std::string url_;
  std::string schema_;
  std::string conninfo_;
};

using PostgresSinkSecrets = PostgresSinkTest;

TEST_F(PostgresSinkSecrets, DescribeNeverShowsThePassword) {
  ASSERT_NE(url_.find(kPassword), std::string::npos) << "scripts/lib/postgres.sh sets a password";
  for (const std::string& conninfo : {url_, KeyValueConninfo(url_, kPassword)}) {
    auto sink = PostgresSink::Open(conninfo);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    const std::string d = (*sink)->Describe();
    EXPECT_EQ(d.find(kPassword), std::string::npos) << d;
    EXPECT_NE(d.find("***"), std::string::npos) << d;
    EXPECT_EQ(d.rfind("PostgreSQL '", 0), 0u) << d;
    auto missing = (*sink)->DescribeTable("no_such_table");
    EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(missing.status().message().find(kPassword), std::string::npos);
    EXPECT_NE(missing.status().message().find("search_path"), std::string::npos)
        << missing.status().message();
  }
  // Through the factory too.
  auto sink = ki::OpenSink(url_);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  EXPECT_EQ((*sink)->Describe().find(kPassword), std::string::npos);
}

TEST_F(PostgresSinkSecrets, ConnectionErrorsNeverShowThePassword) {
  const std::string wrong = "wrong-secret-1234";
  const UrlParts parts = SplitUrl(url_);
  const std::string closed_port =
      "postgresql://" + parts.user + ":" + std::string(kPassword) + "@127.0.0.1:9/" + parts.dbname;
  for (const std::string& conninfo :
       {WithPassword(url_, wrong), KeyValueConninfo(url_, wrong), closed_port,
        KeyValueConninfo(url_, kPassword) + " nosuchoption=1"}) {
    auto sink = PostgresSink::Open(conninfo);
    ASSERT_FALSE(sink.ok()) << RedactConnectionString(conninfo);
    const std::string& m = sink.status().message();
    EXPECT_EQ(sink.status().kind(), ErrorKind::kIo) << m;
    EXPECT_EQ(m.find(wrong), std::string::npos) << m;
    EXPECT_EQ(m.find(kPassword), std::string::npos) << m;
    EXPECT_NE(m.find("cannot connect to PostgreSQL '" + RedactConnectionString(conninfo) + "'"),
              std::string::npos)
        << m;
  }
  auto wrong_password = PostgresSink::Open(WithPassword(url_, wrong));
  EXPECT_NE(wrong_password.status().message().find("password authentication failed"),
            std::string::npos)
      << wrong_password.status().message();
}

TEST_F(PostgresSinkSecrets, PgPasswordFromTheEnvironmentIsUsed) {
  const UrlParts p = SplitUrl(url_);
  const std::string without = "postgresql://" + p.user + "@" + p.host + ":" + p.port + "/" + p.dbname;
  setenv("PGPASSWORD", kPassword, 1);
  auto sink = PostgresSink::Open(without);
  unsetenv("PGPASSWORD");
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  EXPECT_EQ((*sink)->Describe(), "PostgreSQL '" + without + "'");
}

// ---------------------------------------------------------------------------------------------
// Catalog

using PostgresSinkDescribe = PostgresSinkTest;

TEST_F(PostgresSinkDescribe, MapsPostgresTypesToColumnTypes) {
  Exec(R"(CREATE TABLE events (
      b boolean NOT NULL, si int2, i int4, bi int8, n18 numeric(18,0), n38 numeric(38,10),
      n50 numeric(50,2), n numeric, r real, d double precision, t text, v varchar(10), vu varchar,
      c char(3), dt date, ts timestamp, tstz timestamptz, tm time, u uuid, j json, jb jsonb,
      bl bytea, arr int4[], iv interval, ttz timetz, gen int8 GENERATED ALWAYS AS (bi * 2) STORED,
      "Kinesis_Shard_Id" text, shard_sequence_number numeric))");
  Exec("ALTER TABLE events DROP COLUMN c");  // dropped columns are left out
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("events");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(schema->schema, schema_);
  EXPECT_EQ(schema->table, "events");
  const std::vector<std::pair<std::string, ColumnType>> expected = {
      {"b", ColumnType::kBoolean},     {"si", ColumnType::kSmallInt},
      {"i", ColumnType::kInteger},     {"bi", ColumnType::kBigInt},
      {"n18", ColumnType::kDecimal},   {"n38", ColumnType::kDecimal},
      {"n50", ColumnType::kDecimal},   {"n", ColumnType::kDecimal},
      {"r", ColumnType::kReal},        {"d", ColumnType::kDouble},
      {"t", ColumnType::kVarchar},     {"v", ColumnType::kVarchar},
      {"vu", ColumnType::kVarchar},    {"dt", ColumnType::kDate},
      {"ts", ColumnType::kTimestamp},  {"tstz", ColumnType::kTimestampTz},
      {"tm", ColumnType::kTime},       {"u", ColumnType::kUuid},
      {"j", ColumnType::kJson},        {"jb", ColumnType::kJson},
      {"bl", ColumnType::kBlob},       {"arr", ColumnType::kList},
      {"iv", ColumnType::kUnsupported}, {"ttz", ColumnType::kUnsupported},
      {"Kinesis_Shard_Id", ColumnType::kVarchar}, {"shard_sequence_number", ColumnType::kDecimal},
  };
  ASSERT_EQ(schema->columns.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(schema->columns[i].name, expected[i].first);
    EXPECT_EQ(schema->columns[i].type, expected[i].second) << expected[i].first;
  }
  const auto& c = schema->columns;
  EXPECT_TRUE(c[0].not_null);
  EXPECT_FALSE(c[1].not_null);
  EXPECT_EQ(c[4].type_name, "numeric(18,0)");
  EXPECT_EQ(c[4].decimal_width, 18);
  EXPECT_EQ(c[5].decimal_width, 38);
  EXPECT_EQ(c[5].decimal_scale, 10);
  EXPECT_EQ(c[6].decimal_width, 50);  // numeric(50,2): full precision, as canonical text
  EXPECT_EQ(c[6].decimal_scale, 2);
  EXPECT_FALSE(c[6].decimal_unconstrained);
  EXPECT_TRUE(IsTextDecimal(c[6]));
  EXPECT_TRUE(c[7].decimal_unconstrained);  // unconstrained numeric: each value's own scale
  EXPECT_TRUE(IsTextDecimal(c[7]));
  EXPECT_FALSE(IsTextDecimal(c[5]));
  EXPECT_EQ(c[10].max_length, -1);
  EXPECT_EQ(c[11].max_length, 10);
  EXPECT_EQ(c[11].type_name, "character varying(10)");
  EXPECT_EQ(c[12].max_length, -1);
  EXPECT_EQ(c[21].type_name, "integer[]");
  EXPECT_EQ(c[24].metadata, MetadataColumn::kShardId);
  EXPECT_EQ(c[25].metadata, MetadataColumn::kSequenceNumber);
}

TEST_F(PostgresSinkDescribe, NamesResolveLikePostgres) {
  Exec(R"(CREATE TABLE events (a int); CREATE TABLE "Events" (b text);
          CREATE SCHEMA )" + schema_ + R"(_other; CREATE TABLE )" + schema_ +
       R"(_other.events (c date);)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto folded = sink->DescribeTable("EVENTS");  // unquoted: folded to lower case
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  EXPECT_EQ(folded->table, "events");
  auto exact = sink->DescribeTable("\"Events\"");
  ASSERT_TRUE(exact.ok()) << exact.status().message();
  EXPECT_EQ(exact->table, "Events");
  EXPECT_EQ(exact->columns[0].name, "b");
  auto other = sink->DescribeTable(schema_ + "_other.events");
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ(other->schema, schema_ + "_other");
  EXPECT_EQ(other->columns[0].type, ColumnType::kDate);
  auto three = sink->DescribeTable(SplitUrl(url_).dbname + "." + schema_ + ".events");
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_EQ(three->QualifiedName(), schema_ + ".events");
  EXPECT_EQ(sink->DescribeTable("otherdb." + schema_ + ".events").status().kind(),
            ErrorKind::kInvalidArgument);
  (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + "_other CASCADE");
}

// ---------------------------------------------------------------------------------------------
// Append: what PostgreSQL refuses

using PostgresSinkAppend = PostgresSinkTest;

RowBatch TextBatch(const std::vector<std::string>& values) {
  RowBatch batch(2);
  for (size_t i = 0; i < values.size(); ++i) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = static_cast<int64_t>(i);
    batch.SetString(r, 1, values[i]);
  }
  return batch;
}

TEST_F(PostgresSinkAppend, TextPostgresCannotStoreIsABadRecordBeforeAnythingIsSent) {
  Exec("CREATE TABLE t (id int8, v varchar(4))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  struct Case {
    std::string value;
    std::string why;
  };
  // (Invalid UTF-8, refused by every sink, is in the conformance suite.)
  for (const Case& c : {Case{std::string("ab\0c", 4), "NUL"},
                        Case{"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", "5 characters"}}) {
    ASSERT_TRUE(sink->Begin(*schema).ok());
    Status st = sink->Append(TextBatch({"ok", c.value}));
    EXPECT_EQ(st.kind(), ErrorKind::kBadRecord) << st.message();
    EXPECT_NE(st.message().find("column 'v', row 1 of the batch"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(c.why), std::string::npos) << st.message();
    // Nothing was sent: the transaction is intact and the run could go on.
    ASSERT_TRUE(sink->Append(TextBatch({"fine"})).ok());
    sink->Rollback();
  }
  // PostgreSQL's own rule: excess characters that are all spaces are cut off, not an error.
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->Append(TextBatch({"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9   ", "abcd"})).ok());
  ASSERT_TRUE(sink->Commit().ok());
  EXPECT_EQ(Query("SELECT v FROM t ORDER BY id"), "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\nabcd\n");
}

TEST_F(PostgresSinkAppend, ServerSideDataErrorsAreBadRecordsAndTheRunCommitsNothing) {
  Exec("CREATE TABLE t (id int8 CHECK (id < 5), v text NOT NULL)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
  RowBatch batch = TextBatch({"a", "b", "c"});
  batch.SetNull(2, 1);
  Status st = sink->Append(batch);
  EXPECT_EQ(st.kind(), ErrorKind::kBadRecord) << st.message();
  EXPECT_NE(st.message().find("\"v\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("line 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("SQLSTATE 23502"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find(kPassword), std::string::npos) << st.message();
  // PostgreSQL aborted the transaction: further work is refused, COMMIT commits nothing.
  EXPECT_FALSE(sink->Append(TextBatch({"d"})).ok());
  Status commit = sink->Commit();
  EXPECT_FALSE(commit.ok());
  EXPECT_NE(commit.message().find("rolled back"), std::string::npos) << commit.message();
  EXPECT_EQ(Query("SELECT count(*) FROM t"), "0\n");
  EXPECT_EQ(Query("SELECT count(*) FROM kinesis_import_positions"), "0\n");
  // The sink is usable again; a CHECK violation is a bad record too.
  ASSERT_TRUE(sink->Begin(*schema).ok());
  RowBatch big = TextBatch({"a"});
  big.Set(0, 0).i64 = 7;
  EXPECT_EQ(sink->Append(big).kind(), ErrorKind::kBadRecord);
  sink->Rollback();
}

// The binary COPY encoding of what the conformance suite's type matrix does not cover:
// numeric's base-10000 digits around the decimal point, jsonb, char(n), unconstrained numeric.
TEST_F(PostgresSinkAppend, BinaryEncodingOfNumericJsonbAndChar) {
  Exec("CREATE TABLE t (id int4, n0 numeric(18,0), n4 numeric(10,4), n5 numeric(12,5), "
       "n numeric, n38 numeric(38,2), jb jsonb, c char(3))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  ASSERT_TRUE(sink->Begin(*schema).ok());
  struct Row {
    int64_t n0, n4, n5;
    const char* n;  // unconstrained numeric: the decoder's canonical text
    __int128 n38;
    const char* jb;
    const char* c;
  };
  const __int128 big = static_cast<__int128>(999999999999999999LL) * 1000000000000000000LL +
                       999999999999999999LL;  // 36 nines
  const std::vector<Row> rows = {
      {0, 0, 0, "0", 0, R"({"b": 1, "a": [true, null]})", "ab"},
      {1, 1, 1, "1.0", 1, R"([])", "abc"},
      {9999, 10000, 123456712345LL, "-0.5000", -big, R"("x\"y")", ""},
      {10000, 123456789, -100000, "0.00000000000000000001", big, "1.5", "x"},
      {-123456789012345678LL, -5000, 100000000000LL, "12345678901234567890123456789.0123456789",
       100, "null", "  "},
  };
  RowBatch batch(8);
  for (size_t i = 0; i < rows.size(); ++i) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = static_cast<int64_t>(i);
    batch.Set(r, 1).i64 = rows[i].n0;
    batch.Set(r, 2).i64 = rows[i].n4;
    batch.Set(r, 3).i64 = rows[i].n5;
    batch.SetString(r, 4, rows[i].n);  // unconstrained numeric: canonical text
    batch.Set(r, 5).i128 = rows[i].n38;
    batch.SetString(r, 6, rows[i].jb);
    batch.SetString(r, 7, rows[i].c);
  }
  Status st = sink->Append(batch);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(sink->Commit().ok());
  EXPECT_EQ(Query("SELECT n0, n4, n5, n, n38, jb, '[' || c::text || ']', octet_length(c) "
                  "FROM t ORDER BY id"),
            "0,0.0000,0.00000,0,0.00,"
            "{\"a\": [true, null], \"b\": 1},[ab],3\n"
            "1,0.0001,0.00001,1.0,0.01,[],[abc],3\n"
            "9999,1.0000,1234567.12345,-0.5000,"
            "-9999999999999999999999999999999999.99,\"x\\\"y\",[],3\n"
            "10000,12345.6789,-1.00000,0.00000000000000000001,"
            "9999999999999999999999999999999999.99,1.5,[x],3\n"
            "-123456789012345678,-0.5000,1000000.00000,12345678901234567890123456789.0123456789,"
            "1.00,null,[],3\n");
}

// ---------------------------------------------------------------------------------------------
// One-dimensional arrays of scalars: DescribeTable's LIST mapping, the decoder's canonical text
// encoded as PostgreSQL's binary arrays, read back as PostgreSQL's text form.

using PostgresSinkArrays = PostgresSinkTest;

// Decodes `records` (JSON objects) for `schema`, appends them in one batch and commits.
Status AppendRecords(PostgresSink& sink, const TableSchema& schema,
                     const std::vector<std::string>& records) {
  auto decoder = JsonRecordDecoder::Create(schema);
  if (!decoder.ok()) return decoder.status();
  RowBatch batch(schema.columns.size());
  for (const std::string& record : records) {
    Status st = decoder->Decode(record, RecordMetadata{}, batch);
    if (!st.ok()) return st;
  }
  KI_RETURN_IF_ERROR(sink.Begin(schema));
  Status st = sink.Append(batch);
  if (!st.ok()) {
    sink.Rollback();
    return st;
  }
  return sink.Commit();
}

TEST_F(PostgresSinkArrays, DescribeMapsOneDimensionalScalarArraysToLists) {
  Exec(R"(CREATE TABLE t (a int4[], t text[], n numeric(10,2)[], b bool[], ts timestamptz[],
      i2 int2[], i8 int8[], f4 float4[], f8 float8[], v varchar(3)[], d date[], tsn timestamp[],
      u uuid[], nu numeric[], m int4[][], iv interval[], j json[], c char(2)[], tm time[]))");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  const std::vector<std::pair<std::string, ColumnType>> lists = {
      {"a", ColumnType::kInteger},     {"t", ColumnType::kVarchar},  {"n", ColumnType::kDecimal},
      {"b", ColumnType::kBoolean},     {"ts", ColumnType::kTimestampTz},
      {"i2", ColumnType::kSmallInt},   {"i8", ColumnType::kBigInt},  {"f4", ColumnType::kReal},
      {"f8", ColumnType::kDouble},     {"v", ColumnType::kVarchar},  {"d", ColumnType::kDate},
      {"tsn", ColumnType::kTimestamp}, {"u", ColumnType::kUuid},     {"nu", ColumnType::kDecimal},
  };
  ASSERT_EQ(schema->columns.size(), lists.size() + 5);
  for (size_t i = 0; i < lists.size(); ++i) {
    const ColumnSpec& c = schema->columns[i];
    EXPECT_EQ(c.name, lists[i].first);
    EXPECT_EQ(c.type, ColumnType::kList) << c.name;
    ASSERT_EQ(c.children.size(), 1u) << c.name;
    EXPECT_EQ(c.children[0].name, "element");
    EXPECT_EQ(c.children[0].type, lists[i].second) << c.name;
  }
  const auto& c = schema->columns;
  EXPECT_EQ(c[0].type_name, "integer[]");
  EXPECT_EQ(c[0].children[0].type_name, "integer");
  EXPECT_EQ(c[2].type_name, "numeric(10,2)[]");
  EXPECT_EQ(c[2].children[0].type_name, "numeric(10,2)");
  EXPECT_EQ(c[2].children[0].decimal_width, 10);
  EXPECT_EQ(c[2].children[0].decimal_scale, 2);
  EXPECT_TRUE(c[13].children[0].decimal_unconstrained);  // unconstrained numeric, as for scalars
  EXPECT_TRUE(IsTextDecimal(c[13].children[0]));
  EXPECT_EQ(c[9].children[0].max_length, -1);  // children carry none; Append checks it
  for (size_t i = lists.size(); i < c.size(); ++i) {
    EXPECT_EQ(c[i].type, ColumnType::kUnsupported) << c[i].name;
    EXPECT_TRUE(c[i].children.empty()) << c[i].name;
  }
}

TEST_F(PostgresSinkArrays, RoundTripThroughTheDecoder) {
  Exec("CREATE TABLE t (id int4, a int4[], t text[], n numeric(10,2)[], b bool[], "
       "ts timestamptz[])");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  Status st = AppendRecords(
      *sink, *schema,
      {R"({"id":1,"a":[1,2,null],"t":["x","y"],"n":[1.5,-0.05,null,12345678.99],)"
       R"("b":[true,false,null],"ts":["2024-01-02T03:04:05.123456Z",null]})",
       R"({"id":2,"a":[],"t":[],"n":[],"b":[],"ts":[]})",
       R"({"id":3})",
       R"({"id":4,"a":null,"t":["with \"quote\"","\u00fcn\u00ef","",null,"a,b {c}"],)"
       R"("n":[0,100,"-7.125"],"b":[null],"ts":["1999-12-31T23:59:59Z",1700000000]})"});
  ASSERT_TRUE(st.ok()) << st.message();
  const std::string utc = conninfo_ + "%20-cTimeZone%3DUTC";
  EXPECT_EQ(PostgresCsv(utc, "SELECT id, a, t, n, b, ts FROM t ORDER BY id"),
            "1,{1,2,NULL},{x,y},{1.50,-0.05,NULL,12345678.99},{t,f,NULL},"
            "{\"2024-01-02 03:04:05.123456+00\",NULL}\n"
            "2,{},{},{},{},{}\n"
            "3,NULL,NULL,NULL,NULL,NULL\n"
            "4,NULL,{\"with \\\"quote\\\"\",ünï,\"\",NULL,\"a,b {c}\"},{0.00,100.00,-7.13},{NULL},"
            "{\"1999-12-31 23:59:59+00\",\"2023-11-14 22:13:20+00\"}\n");
  // One dimension with lower bound 1; an empty array has no dimension, like '{}'.
  EXPECT_EQ(Query("SELECT id, array_ndims(a), array_lower(a, 1), array_length(a, 1), "
                  "a = '{}', array_length(t, 1) FROM t WHERE id IN (1, 2) ORDER BY id"),
            "1,1,1,3,f,2\n2,NULL,NULL,NULL,t,NULL\n");
}

TEST_F(PostgresSinkArrays, EveryElementTypeRoundTrips) {
  Exec("CREATE TABLE t (i2 int2[], i8 int8[], f4 float4[], f8 float8[], v varchar(3)[], "
       "d date[], tsn timestamp[], u uuid[], nu numeric[], n38 numeric(38,2)[])");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  Status st = AppendRecords(
      *sink, *schema,
      {R"({"i2":[-32768,32767],"i8":[-9223372036854775808,1],"f4":[0.1,"NaN",-1.5],)"
       R"("f8":[0.1,"-Infinity",1e300],"v":["abc","\u00e9","ab   "],"d":["2024-02-29",null],)"
       R"("tsn":["2000-01-01T00:00:00","1969-12-31T23:59:59.5"],)"
       R"("u":["123E4567-e89b-12d3-a456-426614174000"],"nu":[1.25,-3],)"
       R"("n38":[-999999999999999999999999999999999999.99,0.01]})"});
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Query("SELECT i2, i8, f4, f8, v, d, tsn, u, nu, n38 FROM t"),
            "{-32768,32767},{-9223372036854775808,1},{0.1,NaN,-1.5},{0.1,-Infinity,1e+300},"
            "{abc,é,\"ab \"},{2024-02-29,NULL},"
            "{\"2000-01-01 00:00:00\",\"1969-12-31 23:59:59.5\"},"
            "{123e4567-e89b-12d3-a456-426614174000},{1.25,-3},"
            "{-999999999999999999999999999999999999.99,0.01}\n");
}

TEST_F(PostgresSinkArrays, TextElementsPostgresCannotStoreAreBadRecordsBeforeAnythingIsSent) {
  Exec("CREATE TABLE t (id int4, v varchar(3)[], t text[])");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  struct Case {
    const char* record;
    const char* message;
  };
  for (const Case& c : {Case{R"({"id":1,"v":["abc","abcd"]})",
                             "column 'v', row 0 of the batch: element [1]: text of 4 characters "
                             "does not fit character varying(3)"},
                        // Caught by the decoder already (DescribeTable marks text as
                        // rejecting NUL), so it is an ordinary bad record naming the element.
                        Case{R"({"id":1,"t":["a",null,"x\u0000y"]})",
                             "column 't' (text[]) element [2]: value contains a NUL character"}}) {
    Status st = AppendRecords(*sink, *schema, {c.record});
    EXPECT_EQ(st.kind(), ErrorKind::kBadRecord) << st.message();
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
  EXPECT_EQ(Query("SELECT count(*) FROM t"), "0\n");
}

// ---------------------------------------------------------------------------------------------
// Locks, concurrency, a lost connection

using PostgresSinkRuns = PostgresSinkTest;

TEST_F(PostgresSinkRuns, OtherStreamsIntoTheSameTableRunConcurrently) {
  Exec("CREATE TABLE t (id int8, v text)");
  auto first = OpenSink();
  auto second = OpenSink();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto schema = first->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(first->Begin(*schema).ok());
  ASSERT_TRUE(second->Begin(*schema).ok());
  ASSERT_TRUE(first->LoadPositions("stream-1").ok());
  auto other = second->LoadPositions("stream-2");
  ASSERT_TRUE(other.ok()) << other.status().message();
  auto same = second->LoadPositions("stream-1");
  EXPECT_EQ(same.status().kind(), ErrorKind::kFatal);
  EXPECT_NE(same.status().message().find("another kinesis-import run holds the lock for stream "
                                         "'stream-1' and table '" + schema_ + ".t'"),
            std::string::npos)
      << same.status().message();
  // SavePositions of a stream takes the same lock.
  EXPECT_EQ(second->SavePositions("stream-1", {{"a", {"1", -1}}}).kind(), ErrorKind::kFatal);
  first->Rollback();
  second->Rollback();
}

TEST_F(PostgresSinkRuns, WaitForLockWaitsForTheFirstRunToFinish) {
  Exec("CREATE TABLE t (id int8, v text)");
  auto first = OpenSink();
  auto second = OpenSink(PostgresSinkOptions{.wait_for_lock = true});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto schema = first->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(first->Begin(*schema).ok());
  ASSERT_TRUE(first->LoadPositions("s").ok());
  ASSERT_TRUE(first->SavePositions("s", {{"shard-a", {"7", -1}}}).ok());
  ASSERT_TRUE(second->Begin(*schema).ok());
  const auto start = std::chrono::steady_clock::now();
  std::thread committer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_TRUE(first->Commit().ok());
  });
  auto positions = second->LoadPositions("s");
  const auto waited = std::chrono::steady_clock::now() - start;
  committer.join();
  ASSERT_TRUE(positions.ok()) << positions.status().message();
  EXPECT_GE(waited, std::chrono::milliseconds(400));
  // It sees what the first run committed (READ COMMITTED: each statement sees the latest).
  EXPECT_EQ(*positions, (ShardPositions{{"shard-a", {"7", -1}}}));
  second->Rollback();
}

TEST_F(PostgresSinkRuns, ConcurrentFirstRunsCreateThePositionsTableOnce) {
  constexpr int kRuns = 6;
  for (int i = 0; i < kRuns; ++i) Exec("CREATE TABLE t" + std::to_string(i) + " (id int8)");
  std::vector<std::thread> threads;
  std::vector<Status> results(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] {
      results[i] = [&]() -> Status {
        KI_ASSIGN_OR_RETURN(auto sink, PostgresSink::Open(conninfo_));
        KI_ASSIGN_OR_RETURN(TableSchema schema, sink->DescribeTable("t" + std::to_string(i)));
        KI_RETURN_IF_ERROR(sink->Begin(schema));
        KI_RETURN_IF_ERROR(sink->PrepareRejects("shared_rejects"));
        KI_RETURN_IF_ERROR(sink->SavePositions("s", {{"shard-a", {"1", -1}}}));
        return sink->Commit();
      }();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].message();
  EXPECT_EQ(Query("SELECT count(*) FROM kinesis_import_positions"), std::to_string(kRuns) + "\n");
}

TEST_F(PostgresSinkRuns, LostConnectionAbortsTheTransactionAndCommitsNothing) {
  Exec("CREATE TABLE t (id int8, v text)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->LoadPositions("s").ok());
  ASSERT_TRUE(sink->Append(TextBatch({"a", "b"})).ok());
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
  EXPECT_EQ(Query("SELECT pg_terminate_backend(" + std::to_string(sink->BackendPid()) + ")"),
            "t\n");
  Status st = sink->Append(TextBatch({"c"}));
  // Not retriable within the transaction (issue 9): the run must roll back and start again.
  EXPECT_TRUE(st.detail().abort_transaction) << st.message();
  EXPECT_FALSE(st.detail().retriable) << st.message();
  EXPECT_NE(st.message().find("connection to the server was lost"), std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find(kPassword), std::string::npos) << st.message();
  EXPECT_FALSE(sink->Commit().ok());
  sink->Rollback();
  EXPECT_EQ(Query("SELECT count(*) FROM t"), "0\n");
  EXPECT_EQ(Query("SELECT count(*) FROM kinesis_import_positions"), "0\n");
}

// Issue 8, case 13: a connection lost during COMMIT leaves the outcome unknown, and the message
// says so instead of claiming that nothing was committed.
TEST_F(PostgresSinkRuns, ConnectionLostAtCommitSaysTheOutcomeIsUnknown) {
  Exec("CREATE TABLE t (id int8, v text)");
  auto sink = OpenSink();
  ASSERT_NE(sink, nullptr);
  auto schema = sink->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE(sink->Begin(*schema).ok());
  ASSERT_TRUE(sink->LoadPositions("s").ok());
  ASSERT_TRUE(sink->Append(TextBatch({"a"})).ok());
  ASSERT_TRUE(sink->SavePositions("s", {{"shard-a", {"1", -1}}}).ok());
  EXPECT_EQ(Query("SELECT pg_terminate_backend(" + std::to_string(sink->BackendPid()) + ")"),
            "t\n");
  Status st = sink->Commit();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.detail().commit_outcome_unknown) << st.message();
  EXPECT_NE(st.message().find("the outcome is unknown"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("resumes correctly either way"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find("nothing was committed"), std::string::npos) << st.message();
  EXPECT_EQ(Query("SELECT count(*) FROM t"), "0\n");  // here it was not, as nothing reached it
}

// ---------------------------------------------------------------------------------------------
// End to end: the real binary, the Kinesis emulator, PostgreSQL.

class PostgresImportRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = test::ServiceEndpoint("KI_KINESIS_LOCAL_ENDPOINT");
    url_ = PostgresUrl();
    schema_ = "ki_run_" + RandomSuffix();
    auto created = RunPostgresSql(url_, "CREATE SCHEMA " + schema_ + "; " + PostgresSeedTable(schema_));
    ASSERT_TRUE(created.ok()) << created.status().message();
  }
  void TearDown() override { (void)RunPostgresSql(url_, "DROP SCHEMA " + schema_ + " CASCADE"); }

  ProcessResult Cli(std::vector<std::string> args) {
    for (const char* a : {"--endpoint-url", endpoint_.c_str(), "--region", "us-east-1"}) {
      args.push_back(a);
    }
    return test::RunCli(args);
  }
  void CreateStream(const std::string& stream, int shards) {
    auto r = Cli({"stream", "create", "--stream", stream, "--shards", std::to_string(shards)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void Put(const std::string& stream, const std::string& ndjson) {
    test::WriteFile(dir_.File("put.ndjson"), ndjson);
    auto r = Cli({"put", "--stream", stream, "--partition-key-field", "sensorId",
                  dir_.File("put.ndjson")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::vector<std::string> RunArgs(const std::string& stream, const std::string& db, int64_t max) {
    return {"--log-level", "debug", "run", "--stream", stream, "--table",
            schema_ + ".kinesis_table", "--db", db, "--max-records-per-run",
            std::to_string(max), "--output", "json"};
  }
  int64_t Imported(const ProcessResult& r) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (p.parse(r.out).get(doc)) {
      ADD_FAILURE() << "run output is not JSON: " << r.out << r.err;
      return -1;
    }
    return doc["total_records"].get_int64().value();
  }
  std::string Count(const std::string& db) {
    return PostgresCsv(db, "SELECT count(*) FROM " + schema_ + ".kinesis_table");
  }
  std::string Positions(const std::string& db) {
    return PostgresCsv(db, "SELECT shard_id, sequence_number FROM " + schema_ +
                       ".kinesis_import_positions ORDER BY shard_id");
  }

  test::TempDir dir_;
  std::string endpoint_;
  std::string url_;
  std::string schema_;
};

TEST_F(PostgresImportRunTest, SeedScenarioTenTenFiveZeroExactlyOnceWithoutShowingThePassword) {
  const std::string stream = test::UniqueName("pg-seed");
  CreateStream(stream, 1);
  Put(stream, SensorRecords(1, 25));
  std::vector<int64_t> imported;
  for (int run = 0; run < 4; ++run) {
    auto r = Cli(RunArgs(stream, url_, 10));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(kPassword), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(kPassword), std::string::npos) << r.err;
    imported.push_back(Imported(r));
  }
  EXPECT_EQ(imported, (std::vector<int64_t>{10, 10, 5, 0}));
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId), "
                      "sum(currentTemperature) FROM " + schema_ + ".kinesis_table"),
            "25,25,325,2825\n");
  EXPECT_EQ(PostgresCsv(url_, "SELECT count(*) FROM " + schema_ + ".kinesis_table WHERE status <> "
                      "CASE WHEN sensorId % 3 = 0 THEN 'WARN' ELSE 'OK' END"),
            "0\n");
  // Metadata equals what an independent client sees; the stored position is the last record's.
  auto sdk = test::RunNode("sdk_client.js", {"read-all", "--endpoint", endpoint_, "--stream", stream});
  ASSERT_EQ(sdk.exit_code, 0) << sdk.err;
  std::string expected;
  simdjson::dom::parser p;
  for (const auto& line : test::Lines(sdk.out)) {
    simdjson::dom::element doc = p.parse(line).value();
    expected += std::string(doc["shard_id"].get_string().value()) + "," +
                std::string(doc["sequence_number"].get_string().value()) + "\n";
  }
  EXPECT_EQ(PostgresCsv(url_, "SELECT kinesis_shard_id, shard_sequence_number FROM " + schema_ +
                          ".kinesis_table ORDER BY sensorId"),
            expected);
  EXPECT_EQ(Positions(url_), test::Lines(expected).back() + "\n");

  // The key=value form works the same; errors do not show the password either.
  auto kv = Cli(RunArgs(stream, KeyValueConninfo(url_, kPassword), 10));
  ASSERT_EQ(kv.exit_code, 0) << kv.err;
  EXPECT_EQ(Imported(kv), 0);
  EXPECT_EQ((kv.out + kv.err).find(kPassword), std::string::npos);
  for (const std::string& db : {WithPassword(url_, "wrong-password-5678"), url_}) {
    std::vector<std::string> args = RunArgs(stream, db, 10);
    if (db == url_) args[6] = schema_ + ".no_such_table";
    auto r = Cli(args);
    // A wrong password fails while running (1); a missing table is a configuration error (2).
    EXPECT_EQ(r.exit_code, db == url_ ? 2 : 1) << r.out << r.err;
    EXPECT_EQ((r.out + r.err).find(kPassword), std::string::npos) << r.err;
    EXPECT_EQ((r.out + r.err).find("wrong-password-5678"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("***"), std::string::npos) << r.err;
  }
}

// A PostgreSQL server of the test's own (scripts/lib/postgres.sh in a subshell): the test stops
// it with `pg_ctl stop -m immediate`, which must not disturb the tests that ctest runs in
// parallel on the shared server. Stopped and removed by the destructor, also on failure.
class PrivatePostgres {
 public:
  PrivatePostgres() {
    const std::string root = KI_SOURCE_DIR;
    auto r = test::RunProcess(
        {"bash", "-c",
         "set -e; source \"$0/scripts/lib/services.sh\"; source \"$0/scripts/lib/postgres.sh\"; "
         "start_postgres; echo \"$KI_POSTGRES_DIR\"; echo \"$KI_POSTGRES_URL\"; "
         "echo \"$KI_POSTGRES_PGCTL\"; echo \"$KI_POSTGRES_DATA\"",
         root},
        "", {{"KI_POSTGRES_DIR", ""}});
    const auto lines = test::Lines(r.out);
    if (r.exit_code != 0 || lines.size() != 4) {
      ADD_FAILURE() << "could not start a private PostgreSQL: " << r.err;
      return;
    }
    dir_ = lines[0];
    url_ = lines[1];
    pg_ctl_ = lines[2];
    data_ = lines[3];
  }
  ~PrivatePostgres() {
    if (dir_.empty()) return;
    (void)test::RunProcess({"bash", "-c",
                            "source \"$0/scripts/lib/services.sh\"; source "
                            "\"$0/scripts/lib/postgres.sh\"; KI_POSTGRES_DIR=\"$1\"; "
                            "stop_postgres",
                            KI_SOURCE_DIR, dir_});
  }
  bool ok() const { return !dir_.empty(); }
  const std::string& url() const { return url_; }

  // pg_ctl as the owner of the data directory (PostgreSQL refuses to run as root).
  ProcessResult PgCtl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{pg_ctl_, "-D", data_};
    argv.insert(argv.end(), args.begin(), args.end());
    struct stat st {};
    if (geteuid() == 0 && stat(data_.c_str(), &st) == 0 && st.st_uid != 0) {
      std::string command;
      for (const auto& a : argv) command += "'" + a + "' ";
      const passwd* owner = getpwuid(st.st_uid);
      return test::RunProcess(
          {"su", owner != nullptr ? owner->pw_name : "postgres", "-s", "/bin/sh", "-c", command});
    }
    return test::RunProcess(argv);
  }
  ProcessResult StopImmediately() const { return PgCtl({"-m", "immediate", "-w", "stop"}); }
  ProcessResult Start() const {
    return PgCtl({"-l", dir_ + "/postgres.log", "-w", "-t", "60", "start"});
  }
  bool Ready() const { return RunPostgresSql(url_, "SELECT 1").ok(); }
  // Starts the server unless it answers; waits until it does (60 s at most).
  bool EnsureRunning() const {
    if (Ready()) return true;
    (void)Start();
    for (int i = 0; i < 600; ++i) {
      if (Ready()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::string dir_, url_, pg_ctl_, data_;
};

TEST_F(PostgresImportRunTest, ServerCrashBeforeCommitChangesNothingAndTheRerunImportsAllOnce) {
  PrivatePostgres server;
  ASSERT_TRUE(server.ok());
  const std::string db = server.url();
  ASSERT_TRUE(RunPostgresSql(db, "CREATE SCHEMA " + schema_ + "; " + PostgresSeedTable(schema_)).ok());
  const std::string stream = test::UniqueName("pg-crash");
  CreateStream(stream, 2);
  Put(stream, SensorRecords(1, 30));
  auto first = Cli(RunArgs(stream, db, 5));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string count_before = Count(db);
  const std::string positions_before = Positions(db);
  ASSERT_NE(count_before, "0\n");

  // A run in a child process that stops after appending and saving positions, just before
  // COMMIT; the server crashes under it, then the child is killed.
  ImportOptions options;
  options.stream = stream;
  options.table = schema_ + ".kinesis_table";
  options.max_records_per_run = 1000;
  test::PausedRun paused(endpoint_, db, options);
  // Whatever happens below: the server runs again at the end (the child is killed after it).
  struct EnsureRunning {
    const PrivatePostgres& server;
    ~EnsureRunning() { (void)server.EnsureRunning(); }
  } ensure_running{server};
  ASSERT_TRUE(paused.WaitUntilPaused()) << paused.why();

  auto stopped = server.StopImmediately();
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  EXPECT_FALSE(server.Ready());
  auto started = server.Start();
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  ASSERT_TRUE(server.EnsureRunning()) << "PostgreSQL did not come back";

  const int status = paused.KillAndReap();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the paused run ended by itself: " << status;

  // Crash recovery dropped the uncommitted run: rows and positions as before.
  EXPECT_EQ(Count(db), count_before);
  EXPECT_EQ(Positions(db), positions_before);
  auto rerun = Cli(RunArgs(stream, db, 1000));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(PostgresCsv(db, "SELECT count(*), count(DISTINCT sensorId), sum(sensorId) FROM " + schema_ +
                        ".kinesis_table"),
            "30,30,465\n");
  EXPECT_EQ(Imported(Cli(RunArgs(stream, db, 1000))), 0);
}

}  // namespace
}  // namespace ki
