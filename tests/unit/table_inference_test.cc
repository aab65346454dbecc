// Type inference over sample records and the CREATE TABLE it suggests (src/infer), issue 16.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "infer/ddl.h"
#include "infer/type_inference.h"

namespace ki {
namespace {

TableSuggestion Suggest(const std::vector<std::string>& records, SqlDialect dialect = SqlDialect::kDuckDb,
                        const std::string& table = "t") {
  TableInference inference;
  for (const auto& r : records) inference.AddRecord(r);
  auto s = SuggestTable(inference, table, dialect, "test records");
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? *s : TableSuggestion{};
}

// name -> type, in column order, as "name:type" strings.
std::vector<std::string> Types(const TableSuggestion& s) {
  std::vector<std::string> out;
  for (const auto& c : s.columns) out.push_back(c.name + ":" + c.type);
  return out;
}

using Strings = std::vector<std::string>;

TEST(TableInference, SensorRecordsGetExactTypesInFirstSeenOrder) {
  auto s = Suggest({R"({"sensorId": 17, "currentTemperature": 147, "status": "WARN"})",
                    R"({"sensorId": 18, "currentTemperature": 21.75, "status": "OK"})"});
  EXPECT_EQ(Types(s), (Strings{"sensorId:BIGINT", "currentTemperature:DECIMAL(5,2)", "status:VARCHAR"}));
  EXPECT_EQ(s.records, 2);
}

TEST(TableInference, NumbersWidenAlongTheLattice) {
  auto s = Suggest({R"({"i": 1, "big": 9223372036854775807, "huge": 1, "wide": 1, "dec": 0.5, "exp": 1, "mix": 1})",
                    R"({"i": -9223372036854775808, "big": 9223372036854775808, "huge": 170141183460469231731687303715884105727, "wide": 1701411834604692317316873037158841057280, "dec": 123.25, "exp": 1e3, "mix": 1.5})"});
  EXPECT_EQ(Types(s), (Strings{"i:BIGINT", "big:HUGEINT", "huge:HUGEINT", "wide:DOUBLE", "dec:DECIMAL(5,2)",
                               "exp:DOUBLE", "mix:DECIMAL(2,1)"}));
  auto pg = Suggest({R"({"i": 1, "big": 9223372036854775808, "dec": 12.345, "exp": 2.5E-3})"}, SqlDialect::kPostgres);
  EXPECT_EQ(Types(pg), (Strings{"i:bigint", "big:numeric(19,0)", "dec:numeric(5,3)", "exp:double precision"}));
}

TEST(TableInference, DecimalsTooWideForDuckDbBecomeDouble) {
  const std::string forty_digits = "1234567890123456789012345678901234567890";
  auto s = Suggest({"{\"x\": " + forty_digits + ".5}"});
  EXPECT_EQ(Types(s), (Strings{"x:DOUBLE"}));
  auto pg = Suggest({"{\"x\": " + forty_digits + ".5}"}, SqlDialect::kPostgres);
  EXPECT_EQ(Types(pg), (Strings{"x:numeric(41,1)"}));
}

TEST(TableInference, StringsThatAreDatesTimestampsOrUuids) {
  auto s = Suggest({R"({"d": "2024-05-01", "ts": "2024-05-01T12:00:00", "tz": "2024-05-01T12:00:00Z", "off": "2024-05-01 12:00:00.5+02:00", "u": "0f8fad5b-d9cb-469f-a165-70867728950e", "s": "hello", "dts": "2024-05-01", "tsz": "2024-05-01T00:00:00", "nd": "2024-02-30"})",
                    R"({"d": "2024-05-02", "ts": "2024-05-01 12:00:00.123456", "tz": "2024-05-01T12:00:00-0530", "off": "2024-05-01T12:00:00+02", "u": "0F8FAD5B-D9CB-469F-A165-70867728950E", "s": "2024-05-01", "dts": "2024-05-01T10:00:00", "tsz": "2024-05-01T00:00:00Z", "nd": "2024-02-29"})"});
  EXPECT_EQ(Types(s), (Strings{"d:DATE", "ts:TIMESTAMP", "tz:TIMESTAMPTZ", "off:TIMESTAMPTZ", "u:UUID", "s:VARCHAR",
                               "dts:TIMESTAMP", "tsz:TIMESTAMPTZ", "nd:VARCHAR"}));
  auto pg = Suggest({R"({"d": "2024-05-01", "ts": "2024-05-01T12:00:00", "tz": "2024-05-01T12:00:00Z", "u": "0f8fad5b-d9cb-469f-a165-70867728950e", "s": "x"})"},
                    SqlDialect::kPostgres);
  EXPECT_EQ(Types(pg), (Strings{"d:date", "ts:timestamp", "tz:timestamptz", "u:uuid", "s:text"}));
}

TEST(TableInference, MixedScalarsAreVarcharAndNullsAloneAreVarchar) {
  auto s = Suggest({R"({"a": 1, "b": true, "c": null, "d": "x", "e": true})",
                    R"({"a": "one", "b": 2, "c": null, "d": 3, "e": false})"});
  EXPECT_EQ(Types(s), (Strings{"a:VARCHAR", "b:VARCHAR", "c:VARCHAR", "d:VARCHAR", "e:BOOLEAN"}));
}

TEST(TableInference, StableObjectsAreStructsArraysAreListsElseJson) {
  auto s = Suggest({R"({"geo": {"lat": 52.5, "lon": 13.25}, "tags": ["a", "b"], "nums": [1, 2.5], "pts": [{"x": 1}], "empty": [], "var": {"a": 1}, "mixed": {"a": 1}, "deep": {"in": {"x": [true]}}})",
                    R"({"geo": {"LAT": 48.125, "lon": null}, "tags": [], "nums": null, "pts": [{"x": 2}, {"x": null}], "empty": [], "var": {"b": 1}, "mixed": [1], "deep": {"in": {"x": []}}})"});
  EXPECT_EQ(Types(s), (Strings{"geo:STRUCT(lat DECIMAL(5,3), lon DECIMAL(4,2))", "tags:VARCHAR[]", "nums:DECIMAL(2,1)[]",
                               "pts:STRUCT(x BIGINT)[]", "empty:JSON", "var:JSON", "mixed:JSON",
                               "deep:STRUCT(\"in\" STRUCT(x BOOLEAN[]))"}));
  auto pg = Suggest({R"({"geo": {"lat": 1}, "tags": ["a"]})"}, SqlDialect::kPostgres);
  EXPECT_EQ(Types(pg), (Strings{"geo:jsonb", "tags:jsonb"}));
}

TEST(TableInference, KeysMergeCaseInsensitivelyAndCountPresence) {
  auto s = Suggest({R"({"Id": 1, "note": "x"})", R"({"id": 2, "note": null})", R"({"ID": 3, "extra": true})"});
  ASSERT_EQ(Types(s), (Strings{"Id:BIGINT", "note:VARCHAR", "extra:BOOLEAN"}));
  EXPECT_EQ(s.columns[0].present, 3);
  EXPECT_EQ(s.columns[1].present, 1);
  EXPECT_EQ(s.columns[1].nulls, 1);
  EXPECT_EQ(s.columns[1].absent, 1);
  EXPECT_EQ(s.columns[2].absent, 2);
  const std::string sql = CreateTableSql(s);
  EXPECT_NE(sql.find("-- inferred from 3 records sampled from test records\n"), std::string::npos) << sql;
  EXPECT_NE(sql.find("(absent or null): \"note\" (1), \"extra\" (1)\n"), std::string::npos) << sql;
  const std::string json = SuggestionJson(s);
  EXPECT_NE(json.find(R"({"name":"Id","type":"BIGINT","present":3,"nulls":0,"absent":0,"nullable":false})"),
            std::string::npos) << json;
  EXPECT_NE(json.find(R"({"name":"note","type":"VARCHAR","present":1,"nulls":1,"absent":1,"nullable":true})"),
            std::string::npos) << json;
}

TEST(TableInference, RecordsThatAreNotObjectsAreCountedNotTyped) {
  auto s = Suggest({R"({"a": 1})", "[1, 2]", "not json", R"({"a": 2} trailing)", R"({"a": 1e})", "\xff{}"});
  EXPECT_EQ(s.records, 1);
  EXPECT_EQ(s.not_objects, 5);
  EXPECT_EQ(Types(s), (Strings{"a:BIGINT"}));
}

TEST(TableInference, MetadataNamesAndEmptyKeysGetNoColumn) {
  auto s = Suggest({R"({"kinesis_shard_id": "x", "": 1, "Shard_Sequence_Number": 2, "v": 3})"});
  EXPECT_EQ(Types(s), (Strings{"v:BIGINT"}));
  ASSERT_EQ(s.skipped.size(), 3u);
  EXPECT_EQ(s.skipped[0].name, "kinesis_shard_id");
  const std::string long_key(64, 'k');
  auto pg = Suggest({"{\"" + long_key + "\": 1, \"ok\": 2}"}, SqlDialect::kPostgres);
  EXPECT_EQ(Types(pg), (Strings{"ok:bigint"}));
}

TEST(TableInference, IdentifiersAreQuotedWhenNeeded) {
  EXPECT_EQ(SqlName("sensorId", SqlDialect::kDuckDb), "sensorId");
  EXPECT_EQ(SqlName("sensorId", SqlDialect::kPostgres), "\"sensorId\"");
  EXPECT_EQ(SqlName("sensor_id", SqlDialect::kPostgres), "sensor_id");
  EXPECT_EQ(SqlName("order", SqlDialect::kDuckDb), "\"order\"");
  EXPECT_EQ(SqlName("Select", SqlDialect::kDuckDb), "\"Select\"");
  EXPECT_EQ(SqlName("a b", SqlDialect::kDuckDb), "\"a b\"");
  EXPECT_EQ(SqlName("1st", SqlDialect::kDuckDb), "\"1st\"");
  EXPECT_EQ(SqlName("say \"hi\"", SqlDialect::kPostgres), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(SqlName("größe", SqlDialect::kDuckDb), "\"größe\"");
}

TEST(TableInference, StatementHasTheMetadataColumnsAndTheOptionalOnesAsComments) {
  auto s = Suggest({R"({"a b": 1, "line\nbreak": "x"})", R"({"a b": 2})"}, SqlDialect::kDuckDb, "raw.\"My Events\"");
  const std::string sql = CreateTableSql(s);
  EXPECT_NE(sql.find("CREATE TABLE raw.\"My Events\" (\n  \"a b\" BIGINT,\n  \"line\nbreak\" VARCHAR,\n"
                     "  kinesis_shard_id VARCHAR,\n  shard_sequence_number VARCHAR\n"
                     "  -- optional metadata columns:\n  -- , kinesis_partition_key VARCHAR\n"
                     "  -- , kinesis_arrival_time TIMESTAMP\n  -- , kinesis_subsequence_number BIGINT\n"
                     "  -- , kinesis_explicit_hash_key VARCHAR\n);\n"),
            std::string::npos) << sql;
  // The key with a line break is JSON-quoted in the comment, so it cannot end the comment.
  EXPECT_NE(sql.find("\"line\\nbreak\" (1)"), std::string::npos) << sql;
  DdlStyle one_line;
  one_line.one_line = true;
  one_line.if_not_exists = true;
  auto pg = Suggest({R"({"Temp": 1.5})"}, SqlDialect::kPostgres, "Events");
  EXPECT_EQ(CreateTableSql(pg, one_line),
            "CREATE TABLE IF NOT EXISTS events (\"Temp\" numeric(2,1), kinesis_shard_id text, "
            "shard_sequence_number text);");
}

TEST(TableInference, MalformedTableNameIsAnError) {
  TableInference inference;
  inference.AddRecord(R"({"a": 1})");
  auto s = SuggestTable(inference, "a..b", SqlDialect::kDuckDb, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().kind(), ErrorKind::kInvalidArgument);
}

TEST(TableInference, ClassifyString) {
  EXPECT_EQ(ClassifyString("2024-05-01"), InferredKind::kDate);
  EXPECT_EQ(ClassifyString("2024-13-01"), InferredKind::kString);
  EXPECT_EQ(ClassifyString("2024-05-01T12:00"), InferredKind::kTimestamp);
  EXPECT_EQ(ClassifyString("2024-05-01t12:00:00z"), InferredKind::kTimestampTz);
  EXPECT_EQ(ClassifyString("2024-05-01T25:00:00"), InferredKind::kString);
  EXPECT_EQ(ClassifyString("0f8fad5bd9cb469fa16570867728950e"), InferredKind::kString);  // no hyphens: VARCHAR
  EXPECT_EQ(ClassifyString("0f8fad5b-d9cb-469f-a165-70867728950g"), InferredKind::kString);
  EXPECT_EQ(ClassifyString(""), InferredKind::kString);
}

}  // namespace
}  // namespace ki
