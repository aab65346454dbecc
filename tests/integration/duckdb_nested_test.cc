// LIST and STRUCT columns end to end against a real DuckDB file: DescribeTable's shape of the
// columns, JSON records through JsonRecordDecoder -> DuckDbSink::Append -> Commit, read back
// with SQL (DuckDB's own text of the values).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "decode/json_decoder.h"
#include "duckdb_file.h"
#include "sink/duckdb/duckdb_sink.h"
#include "test_support.h"

namespace ki {
namespace {

using test::Rows;

class DuckDbNestedTest : public ::testing::Test {
 protected:
  // SQL on the file (the sink must be closed); every value cast to text by DuckDB.
  Rows Query(const std::string& sql) { return test::QueryDuckDbFile(path_, sql); }
  void Exec(const std::string& sql) { test::ExecDuckDbFile(path_, sql); }

  // Creates the table, decodes `records` into one batch and commits it through the sink.
  // Returns the decoder's messages for the records it rejected ("" for the good ones).
  std::vector<std::string> Import(const std::string& create, const std::string& table,
                                  const std::vector<std::string>& records) {
    Exec(create);
    auto sink = DuckDbSink::Open(path_);
    EXPECT_TRUE(sink.ok()) << sink.status().message();
    if (!sink.ok()) return {};
    auto schema = (*sink)->DescribeTable(table);
    EXPECT_TRUE(schema.ok()) << schema.status().message();
    if (!schema.ok()) return {};
    auto decoder = JsonRecordDecoder::Create(*schema);
    EXPECT_TRUE(decoder.ok()) << decoder.status().message();
    if (!decoder.ok()) return {};
    RowBatch batch(schema->columns.size());
    std::vector<std::string> messages;
    for (const std::string& record : records) {
      Status s = decoder->Decode(record, RecordMetadata{}, batch);
      messages.push_back(s.message());
    }
    Status s = (*sink)->Begin(*schema);
    EXPECT_TRUE(s.ok()) << s.message();
    s = (*sink)->Append(batch);
    EXPECT_TRUE(s.ok()) << s.message();
    s = (*sink)->Commit();
    EXPECT_TRUE(s.ok()) << s.message();
    return messages;
  }

  test::TempDir dir_;
  const std::string path_ = dir_.File("test.duckdb");
};

TEST_F(DuckDbNestedTest, DescribeTableFillsElementAndFieldTypes) {
  Exec(R"(CREATE TABLE t (a INTEGER[], s STRUCT(a INTEGER, "b c" VARCHAR[], "Q""x" DECIMAL(10,2)),
           d DECIMAL(10,2)[], vv VARCHAR[][], tz TIMESTAMPTZ[], ls STRUCT(x JSON)[],
           fixed INTEGER[3], m MAP(VARCHAR, INTEGER), sm STRUCT(m MAP(VARCHAR, INTEGER)),
           iv INTERVAL[]))");
  auto sink = DuckDbSink::Open(path_);
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  auto schema = (*sink)->DescribeTable("t");
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  const auto& c = schema->columns;
  ASSERT_EQ(c.size(), 10u);

  EXPECT_EQ(c[0].type, ColumnType::kList);
  EXPECT_EQ(c[0].type_name, "INTEGER[]");
  ASSERT_EQ(c[0].children.size(), 1u);
  EXPECT_EQ(c[0].children[0].name, "element");
  EXPECT_EQ(c[0].children[0].type, ColumnType::kInteger);

  EXPECT_EQ(c[1].type, ColumnType::kStruct);
  ASSERT_EQ(c[1].children.size(), 3u);
  EXPECT_EQ(c[1].children[0].name, "a");
  EXPECT_EQ(c[1].children[1].name, "b c");
  EXPECT_EQ(c[1].children[1].type, ColumnType::kList);
  EXPECT_EQ(c[1].children[1].type_name, "VARCHAR[]");
  EXPECT_EQ(c[1].children[1].children[0].type, ColumnType::kVarchar);
  EXPECT_EQ(c[1].children[2].name, "Q\"x");
  EXPECT_EQ(c[1].children[2].type, ColumnType::kDecimal);
  EXPECT_EQ(c[1].children[2].decimal_width, 10);
  EXPECT_EQ(c[1].children[2].decimal_scale, 2);

  EXPECT_EQ(c[2].children[0].type, ColumnType::kDecimal);
  EXPECT_EQ(c[2].children[0].type_name, "DECIMAL(10,2)");
  EXPECT_EQ(c[3].children[0].type, ColumnType::kList);
  EXPECT_EQ(c[3].children[0].children[0].type, ColumnType::kVarchar);
  EXPECT_EQ(c[4].children[0].type, ColumnType::kTimestampTz);
  EXPECT_EQ(c[5].children[0].type, ColumnType::kStruct);
  EXPECT_EQ(c[5].children[0].children[0].type, ColumnType::kJson);
  // What cannot be filled stays NULL-only.
  for (size_t i : {6, 7, 8, 9}) {
    EXPECT_EQ(c[i].type, ColumnType::kUnsupported) << c[i].name;
    EXPECT_TRUE(c[i].children.empty()) << c[i].name;
  }
}

TEST_F(DuckDbNestedTest, ListsAndStructsRoundTrip) {
  const auto messages = Import(
      R"(CREATE TABLE n (id INTEGER, ints INTEGER[], tags VARCHAR[],
                         s STRUCT(a INTEGER, b VARCHAR), m STRUCT(x DECIMAL(10,2), tags VARCHAR[])))",
      "n",
      {R"({"id": 1, "ints": [1, -2, null, "3", 4.0], "tags": ["a", "b\"c", "", "é"],
           "s": {"a": 7, "b": "seven"}, "m": {"x": 1.005, "tags": ["x", null]}})",
       R"({"id": 2, "ints": [], "tags": null, "s": {"B": "upper key", "extra": [1]},
           "m": {"tags": []}})",
       R"({"id": 3, "s": {}, "m": {"x": "-12345678.99", "TAGS": null}})",
       R"({"id": 4, "ints": [1, 1.5]})"});
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0], "");
  EXPECT_EQ(messages[1], "");
  EXPECT_EQ(messages[2], "");
  EXPECT_EQ(messages[3],
            "column 'ints' (INTEGER[]) element [1]: value 1.5 is not an integer");

  const Rows rows = Query("SELECT id, ints, tags, s, m, len(ints), s.b, m.x FROM n ORDER BY id");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "1", "[1, -2, NULL, 3, 4]", "[a, 'b\"c', '', é]", "{'a': 7, 'b': seven}",
                         "{'x': 1.01, 'tags': [x, NULL]}", "5", "seven", "1.01"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "[]", "NULL", "{'a': NULL, 'b': upper key}",
                                               "{'x': NULL, 'tags': []}", "0", "upper key",
                                               "NULL"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"3", "NULL", "NULL", "{'a': NULL, 'b': NULL}",
                                               "{'x': -12345678.99, 'tags': NULL}", "NULL", "NULL",
                                               "-12345678.99"}));
}

TEST_F(DuckDbNestedTest, EveryElementTypeRoundTrips) {
  const auto messages = Import(
      R"(CREATE TABLE e (id INTEGER, b BOOLEAN[], ti TINYINT[], ubi UBIGINT[], hi HUGEINT[],
                         d38 DECIMAL(38,10)[], d4 DECIMAL(4,1)[], r REAL[], dbl DOUBLE[],
                         dt DATE[], ts TIMESTAMP[], tz TIMESTAMPTZ[], tm TIME[], u UUID[],
                         bl BLOB[], j JSON[]))",
      "e",
      {R"({"id": 1, "b": [true, "FALSE", null], "ti": [-128, 127],
           "ubi": [0, 18446744073709551615],
           "hi": [-170141183460469231731687303715884105728, 170141183460469231731687303715884105727],
           "d38": [1234567890123456789012345678.0123456789, -0.00000000005],
           "d4": [-999.9, 0.05], "r": [0.1, "NaN", 3.4e38], "dbl": [1e308, -0.0, "-Infinity"],
           "dt": ["2024-02-29", "0001-01-01"],
           "ts": ["2024-01-01T10:00:00+05:30", 1700000000.5, "1969-12-31 23:59:59.999999"],
           "tz": ["2024-06-30T23:59:59.123456Z"], "tm": ["23:59:59.999999", "00:00"],
           "u": ["123E4567-E89B-12D3-A456-426614174000"],
           "bl": ["AP9hYg==", "-_8", ""], "j": [{"k": [1, 2.50]}, "s", null, 5]})"});
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "");
  const Rows rows = Query(
      "SELECT b, ti, ubi, hi, d38, d4, r, dbl, dt, ts, list_transform(tz, x -> epoch_us(x)), tm, u, "
      "list_transform(bl, x -> hex(x)), j FROM e");
  ASSERT_EQ(rows.size(), 1u);
  const std::vector<std::string> expected = {
      "[true, false, NULL]",
      "[-128, 127]",
      "[0, 18446744073709551615]",
      "[-170141183460469231731687303715884105728, 170141183460469231731687303715884105727]",
      "[1234567890123456789012345678.0123456789, -0.0000000001]",
      "[-999.9, 0.1]",
      "[0.1, nan, 3.4e+38]",
      "[1e+308, -0.0, -inf]",
      "[2024-02-29, 0001-01-01]",
      "['2024-01-01 04:30:00', '2023-11-14 22:13:20.5', '1969-12-31 23:59:59.999999']",
      "[1719791999123456]",
      "['23:59:59.999999', '00:00:00']",
      "[123e4567-e89b-12d3-a456-426614174000]",
      "[00FF6162, FBFF, '']",
      R"([{"k":[1,2.50]}, "s", NULL, 5])",
  };
  EXPECT_EQ(rows[0], expected);
}

TEST_F(DuckDbNestedTest, NestedListsAndStructs) {
  const auto messages = Import(
      R"(CREATE TABLE d (grid INTEGER[][], people STRUCT(name VARCHAR, tags VARCHAR[])[],
                         outer_s STRUCT(inner_s STRUCT(v BIGINT, w DOUBLE[]), n INTEGER)))",
      "d",
      {R"({"grid": [[1, 2], [], null, [3]],
           "people": [{"name": "ann", "tags": ["a"]}, null, {"tags": ["b", "c"]}],
           "outer_s": {"n": 1, "inner_s": {"w": [0.5], "v": 9}}})",
       R"({"grid": [[4]], "people": [], "outer_s": {"inner_s": null}})",
       R"({"outer_s": {"inner_s": {"v": "x"}}})"});
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0], "");
  EXPECT_EQ(messages[1], "");
  EXPECT_EQ(messages[2],
            "column 'outer_s' (STRUCT(inner_s STRUCT(v BIGINT, w DOUBLE[]), n INTEGER)) element "
            "inner_s.v: 'x' is not a number");
  const Rows rows = Query("SELECT grid, people, outer_s FROM d ORDER BY len(grid) DESC");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "[[1, 2], [], NULL, [3]]",
                         "[{'name': ann, 'tags': [a]}, NULL, {'name': NULL, 'tags': [b, c]}]",
                         "{'inner_s': {'v': 9, 'w': [0.5]}, 'n': 1}"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"[[4]]", "[]", "{'inner_s': NULL, 'n': NULL}"}));
}

TEST_F(DuckDbNestedTest, ManyRowsSpanSeveralChunks) {
  // More rows than one data chunk holds (2048): list offsets restart with every chunk.
  std::vector<std::string> records;
  for (int i = 0; i < 5000; ++i) {
    records.push_back("{\"id\": " + std::to_string(i) + ", \"l\": [" + std::to_string(i) + ", " +
                      std::to_string(i + 1) + ", " + std::to_string(i + 2) +
                      "], \"s\": {\"t\": [\"" + std::to_string(i) + "\"]}}");
  }
  const auto messages =
      Import("CREATE TABLE big (id INTEGER, l BIGINT[], s STRUCT(t VARCHAR[]))", "big", records);
  for (const std::string& m : messages) ASSERT_EQ(m, "");
  const Rows rows = Query(
      "SELECT count(*), sum(list_sum(l)), count(*) FILTER (WHERE l[1] = id AND l[3] = id + 2 "
      "AND s.t[1] = CAST(id AS VARCHAR)) FROM big");
  ASSERT_EQ(rows.size(), 1u);
  // sum over i of (3i + 3) = 3 * 4999 * 5000 / 2 + 15000
  EXPECT_EQ(rows[0], (std::vector<std::string>{"5000", "37507500", "5000"}));
}

TEST_F(DuckDbNestedTest, NotCanonicalTextIsAnInternalError) {
  Exec("CREATE TABLE t (l INTEGER[])");
  auto sink = DuckDbSink::Open(path_);
  ASSERT_TRUE(sink.ok());
  auto schema = (*sink)->DescribeTable("t");
  ASSERT_TRUE(schema.ok());
  ASSERT_TRUE((*sink)->Begin(*schema).ok());
  RowBatch batch(1);
  batch.SetString(batch.AddRow(), 0, "[1, \"two\"]");
  Status s = (*sink)->Append(batch);
  EXPECT_EQ(s.kind(), ErrorKind::kInternal) << s.message();
  EXPECT_NE(s.message().find("column 'l' (INTEGER[]), row 0"), std::string::npos) << s.message();
  (*sink)->Rollback();
}

}  // namespace
}  // namespace ki
