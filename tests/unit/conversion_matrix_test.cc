// The conversion matrix of docs/conversion.md as one table: target column type x JSON value ->
// the exact Cell the decoder stores, or a bad record with a message. One row per case; a new
// rule or a fixed bug gets a row here.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "decode/decimal.h"
#include "decode/json_decoder.h"
#include "sink/duckdb/duckdb_nested.h"

namespace ki {
namespace {

// The column type as DuckDB spells it. LIST/STRUCT types are read by the DuckDB sink's parser of
// that spelling (DescribeDuckDbNestedType), so the rows below look like the tables users write.
ColumnType ScalarType(const std::string& t) {
  static const std::vector<std::pair<std::string, ColumnType>> kTypes = {
      {"BOOLEAN", ColumnType::kBoolean},    {"TINYINT", ColumnType::kTinyInt},
      {"SMALLINT", ColumnType::kSmallInt},  {"INTEGER", ColumnType::kInteger},
      {"BIGINT", ColumnType::kBigInt},      {"HUGEINT", ColumnType::kHugeInt},
      {"UTINYINT", ColumnType::kUTinyInt},  {"USMALLINT", ColumnType::kUSmallInt},
      {"UINTEGER", ColumnType::kUInteger},  {"UBIGINT", ColumnType::kUBigInt},
      {"REAL", ColumnType::kReal},          {"DOUBLE", ColumnType::kDouble},
      {"VARCHAR", ColumnType::kVarchar},    {"JSON", ColumnType::kJson},
      {"DATE", ColumnType::kDate},          {"TIMESTAMP", ColumnType::kTimestamp},
      {"TIMESTAMPTZ", ColumnType::kTimestampTz}, {"TIME", ColumnType::kTime},
      {"UUID", ColumnType::kUuid},          {"BLOB", ColumnType::kBlob},
  };
  if (t.rfind("DECIMAL(", 0) == 0 && t.back() == ')') return ColumnType::kDecimal;
  if (t.back() == ']') return ColumnType::kList;
  if (t.rfind("STRUCT(", 0) == 0) return ColumnType::kStruct;
  for (const auto& [name, type] : kTypes) {
    if (name == t) return type;
  }
  return ColumnType::kUnsupported;
}

ColumnSpec SpecFor(const std::string& type_text) {
  ColumnSpec spec;
  spec.name = "v";
  spec.type_name = type_text;
  spec.type = ScalarType(type_text);
  if (spec.type == ColumnType::kDecimal) {
    const size_t comma = type_text.find(',');
    spec.decimal_width = static_cast<uint8_t>(std::stoi(type_text.substr(8, comma - 8)));
    spec.decimal_scale = static_cast<uint8_t>(std::stoi(type_text.substr(comma + 1)));
  } else if (IsNestedType(spec.type)) {
    EXPECT_TRUE(DescribeDuckDbNestedType(type_text, &ScalarType, &spec)) << type_text;
  }
  return spec;
}

// What the row expects, as text:
//   "null"          the cell is NULL
//   "i64:N"         Cell::i64 == N (BOOLEAN 0/1, integers, UBIGINT's bit pattern, DECIMAL <= 18
//                   digits scaled, DATE days, TIMESTAMP/TIME microseconds)
//   "i128:N"        Cell::i128 == N (HUGEINT, DECIMAL 19..38 digits scaled)
//   "uuid:HEX"      Cell::i128 as 32 hex digits (UUID, big-endian value)
//   "f64:X"         Cell::f64, shortest text ("-0", "nan", "inf", "-inf")
//   "str:TEXT"      the cell's string (VARCHAR, JSON, canonical LIST/STRUCT text)
//   "hex:HEX"       the cell's string as hex (BLOB bytes)
//   "bad:TEXT"      a bad record whose message contains TEXT
struct Conversion {
  const char* type;
  const char* json;
  const char* expected;
  EpochUnit epoch_unit = EpochUnit::kSeconds;
};

constexpr EpochUnit kMs = EpochUnit::kMilliseconds;
constexpr EpochUnit kUs = EpochUnit::kMicroseconds;

// clang-format off
const Conversion kMatrix[] = {
    // ---- BOOLEAN: booleans and the strings true/false in any case; no numbers.
    {"BOOLEAN", "true", "i64:1"},
    {"BOOLEAN", "false", "i64:0"},
    {"BOOLEAN", R"("true")", "i64:1"},
    {"BOOLEAN", R"("FALSE")", "i64:0"},
    {"BOOLEAN", R"("True")", "i64:1"},
    {"BOOLEAN", "1", "bad:column 'v' (BOOLEAN): cannot store a number"},
    {"BOOLEAN", R"("yes")", "bad:'yes' is not a boolean"},
    {"BOOLEAN", R"("")", "bad:'' is not a boolean"},
    {"BOOLEAN", "[true]", "bad:cannot store an array"},
    {"BOOLEAN", "null", "null"},

    // ---- Integers: numbers or numeric strings, integral exactly, range-checked.
    {"TINYINT", "-128", "i64:-128"},
    {"TINYINT", "127", "i64:127"},
    {"TINYINT", "-129", "bad:value -129 is out of range"},
    {"TINYINT", "128", "bad:value 128 is out of range"},
    {"TINYINT", R"("127")", "i64:127"},
    {"TINYINT", R"(" 1")", "bad:' 1' is not a number"},
    {"TINYINT", "1.0", "i64:1"},
    {"TINYINT", "1e2", "i64:100"},
    {"TINYINT", "-0", "i64:0"},
    {"TINYINT", "1.5", "bad:value 1.5 is not an integer"},
    {"TINYINT", R"("")", "bad:'' is not a number"},
    {"TINYINT", "true", "bad:cannot store a boolean"},
    {"SMALLINT", "-32768", "i64:-32768"},
    {"SMALLINT", "32767", "i64:32767"},
    {"SMALLINT", "-32769", "bad:is out of range"},
    {"SMALLINT", "32768", "bad:is out of range"},
    {"INTEGER", "-2147483648", "i64:-2147483648"},
    {"INTEGER", "2147483647", "i64:2147483647"},
    {"INTEGER", "-2147483649", "bad:is out of range"},
    {"INTEGER", "2147483648", "bad:is out of range"},
    {"INTEGER", R"("+42")", "i64:42"},
    {"INTEGER", R"("1e3")", "i64:1000"},
    {"INTEGER", "1e400", "bad:value 1e400 is out of range"},
    {"INTEGER", "1e-400", "bad:is not an integer"},
    {"INTEGER", "{}", "bad:cannot store an object"},
    {"BIGINT", "-9223372036854775808", "i64:-9223372036854775808"},
    {"BIGINT", "9223372036854775807", "i64:9223372036854775807"},
    {"BIGINT", "-9223372036854775809", "bad:is out of range"},
    {"BIGINT", "9223372036854775808", "bad:is out of range"},
    {"UTINYINT", "0", "i64:0"},
    {"UTINYINT", "255", "i64:255"},
    {"UTINYINT", "-1", "bad:value -1 is out of range"},
    {"UTINYINT", "256", "bad:is out of range"},
    {"UTINYINT", "-0", "i64:0"},
    {"USMALLINT", "65535", "i64:65535"},
    {"USMALLINT", "65536", "bad:is out of range"},
    {"UINTEGER", "4294967295", "i64:4294967295"},
    {"UINTEGER", "4294967296", "bad:is out of range"},
    {"UBIGINT", "0", "i64:0"},
    {"UBIGINT", "18446744073709551615", "i64:-1"},  // the bit pattern
    {"UBIGINT", "18446744073709551616", "bad:is out of range"},
    {"UBIGINT", "-1", "bad:is out of range"},
    {"HUGEINT", "-170141183460469231731687303715884105728",
     "i128:-170141183460469231731687303715884105728"},
    {"HUGEINT", "170141183460469231731687303715884105727",
     "i128:170141183460469231731687303715884105727"},
    {"HUGEINT", "-170141183460469231731687303715884105729", "bad:is out of range"},
    {"HUGEINT", "170141183460469231731687303715884105728", "bad:is out of range"},
    {"HUGEINT", R"("1.7e38")", "i128:170000000000000000000000000000000000000"},

    // ---- DECIMAL(p,s): exact from the text, rounded half away from zero to s digits.
    {"DECIMAL(38,0)", "99999999999999999999999999999999999999",
     "i128:99999999999999999999999999999999999999"},
    {"DECIMAL(38,0)", "-99999999999999999999999999999999999999",
     "i128:-99999999999999999999999999999999999999"},
    {"DECIMAL(38,0)", "100000000000000000000000000000000000000",
     "bad:value 100000000000000000000000000000000000000 does not fit DECIMAL(38,0)"},
    {"DECIMAL(38,0)", "99999999999999999999999999999999999999.5", "bad:does not fit DECIMAL(38,0)"},
    {"DECIMAL(38,0)", "99999999999999999999999999999999999999.4",
     "i128:99999999999999999999999999999999999999"},
    {"DECIMAL(5,2)", "1.005", "i64:101"},
    {"DECIMAL(5,2)", "-1.005", "i64:-101"},
    {"DECIMAL(5,2)", "1.004", "i64:100"},
    {"DECIMAL(5,2)", "-0.0", "i64:0"},
    {"DECIMAL(5,2)", "-0.001", "i64:0"},  // rounds to zero: no negative zero
    {"DECIMAL(5,2)", "999.994", "i64:99999"},
    {"DECIMAL(5,2)", "999.995", "bad:value 999.995 does not fit DECIMAL(5,2)"},
    {"DECIMAL(5,2)", R"("12.3")", "i64:1230"},
    {"DECIMAL(5,2)", R"(".5")", "i64:50"},
    {"DECIMAL(5,2)", "1e2", "i64:10000"},
    {"DECIMAL(5,2)", "1E-2", "i64:1"},
    {"DECIMAL(5,2)", R"("")", "bad:'' is not a number"},
    {"DECIMAL(5,2)", R"("1,5")", "bad:'1,5' is not a number"},
    {"DECIMAL(5,2)", "false", "bad:cannot store a boolean"},
    {"DECIMAL(18,4)", "0.00005", "i64:1"},
    {"DECIMAL(20,2)", "-0.005", "i128:-1"},

    // ---- REAL, DOUBLE: numbers or numeric strings; beyond the range -> bad.
    {"DOUBLE", "1e308", "f64:1e+308"},
    {"DOUBLE", "1e309", "bad:value 1e309 is out of range"},
    {"DOUBLE", "-1e309", "bad:is out of range"},
    {"DOUBLE", "0.1", "f64:0.1"},
    {"DOUBLE", "-0.0", "f64:-0"},
    {"DOUBLE", "4.9e-324", "f64:5e-324"},
    {"DOUBLE", R"("1e309")", "bad:value 1e309 is out of range"},
    {"DOUBLE", R"("NaN")", "f64:nan"},
    {"DOUBLE", R"("-Infinity")", "f64:-inf"},
    {"DOUBLE", R"("+2.5")", "f64:2.5"},
    {"DOUBLE", R"("")", "bad:'' is not a number"},
    {"DOUBLE", "[1]", "bad:cannot store an array"},
    {"REAL", "3.4e38", "f64:3.3999999521443642e+38"},
    {"REAL", "3.5e38", "bad:column 'v' (REAL): value"},
    {"REAL", "0.1", "f64:0.10000000149011612"},
    {"REAL", "1e-50", "f64:0"},  // below the smallest float: zero, as a cast does

    // ---- VARCHAR: strings; numbers/booleans as their text; objects/arrays as compact JSON.
    {"VARCHAR", R"("abc")", "str:abc"},
    {"VARCHAR", R"("")", "str:"},
    {"VARCHAR", "12.50", "str:12.50"},
    {"VARCHAR", "1e2", "str:1e2"},
    {"VARCHAR", "-0", "str:-0"},
    {"VARCHAR", "true", "str:true"},
    {"VARCHAR", R"({ "a" : [1, "x", null] })", R"(str:{"a":[1,"x",null]})"},
    {"VARCHAR", "[ ]", "str:[]"},
    {"VARCHAR", R"("\u00e9\ud83d\ude00")", "str:\xC3\xA9\xF0\x9F\x98\x80"},
    {"VARCHAR", "null", "null"},
    {"VARCHAR", "\"\xC3\x28\"",
     "bad:malformed JSON: record is not valid UTF-8 at byte 7 (0xC3), in the value of column 'v' (VARCHAR)"},
    {"VARCHAR", "\"\xED\xA0\x80\"", "bad:record is not valid UTF-8 at byte 7 (0xED)"},  // a surrogate
    {"VARCHAR", R"("\ud83d")", "bad:malformed JSON"},  // an unpaired surrogate escape

    // ---- JSON: the compact JSON text of any value.
    {"JSON", R"({"a": 1.50})", R"(str:{"a":1.50})"},
    {"JSON", R"("s")", R"(str:"s")"},
    {"JSON", "-0.0", "str:-0.0"},
    {"JSON", "[1, [2]]", "str:[1,[2]]"},
    {"JSON", "null", "null"},

    // ---- DATE: "YYYY-MM-DD" only.
    {"DATE", R"("2024-02-29")", "i64:19782"},
    {"DATE", R"("2023-02-29")", "bad:'2023-02-29' is not a date YYYY-MM-DD"},
    {"DATE", R"("1970-01-01")", "i64:0"},
    {"DATE", R"("0001-01-01")", "i64:-719162"},
    {"DATE", R"("2024-1-01")", "bad:is not a date"},
    {"DATE", R"("")", "bad:'' is not a date"},
    {"DATE", "20240101", "bad:cannot store a number"},

    // ---- TIMESTAMP: ISO-8601 (offset -> UTC) or an epoch number in the configured unit.
    {"TIMESTAMP", R"("2024-01-01T00:00:00Z")", "i64:1704067200000000"},
    {"TIMESTAMP", R"("2024-01-01T05:30:00+05:30")", "i64:1704067200000000"},
    {"TIMESTAMP", R"("2023-12-31T16:00:00-08:00")", "i64:1704067200000000"},
    {"TIMESTAMP", R"("2024-01-01 00:00:00.123456")", "i64:1704067200123456"},
    {"TIMESTAMP", R"("2024-01-01T00:00:00.1234565Z")", "i64:1704067200123457"},
    {"TIMESTAMP", R"("2024-01-01T00:00")", "i64:1704067200000000"},
    {"TIMESTAMP", R"("2024-01-01")", "i64:1704067200000000"},
    {"TIMESTAMP", R"("2024-01-01T24:00:00")", "bad:is not an ISO-8601 timestamp or an epoch number"},
    {"TIMESTAMP", R"("")", "bad:'' is not an ISO-8601 timestamp or an epoch number"},
    {"TIMESTAMP", "true", "bad:cannot store a boolean"},
    {"TIMESTAMP", "1704067200", "i64:1704067200000000"},
    {"TIMESTAMP", "1704067200.5", "i64:1704067200500000"},
    {"TIMESTAMP", "1.7040672e9", "i64:1704067200000000"},
    {"TIMESTAMP", R"("1704067200")", "i64:1704067200000000"},
    {"TIMESTAMP", "-1", "i64:-1000000"},
    {"TIMESTAMP", "0.0000005", "i64:1"},   // half a microsecond: away from zero
    {"TIMESTAMP", "-0.0000005", "i64:-1"},
    {"TIMESTAMP", "253402300799.999999", "i64:253402300799999999"},  // 9999-12-31 23:59:59.999999
    {"TIMESTAMP", "253402300800", "bad:epoch value 253402300800 (seconds) is out of range"},
    {"TIMESTAMP", "-62167219200", "i64:-62167219200000000"},          // 0000-01-01
    {"TIMESTAMP", "-62167219201", "bad:is out of range"},
    {"TIMESTAMP", "1704067200000", "bad:(seconds) is out of range"},  // milliseconds, as seconds
    {"TIMESTAMP", "1704067200123", "i64:1704067200123000", kMs},
    {"TIMESTAMP", "1704067200123.4565", "i64:1704067200123457", kMs},
    {"TIMESTAMP", R"("1704067200123")", "i64:1704067200123000", kMs},
    {"TIMESTAMP", "1704067200123456", "i64:1704067200123456", kUs},
    {"TIMESTAMP", "1704067200123456.5", "i64:1704067200123457", kUs},
    {"TIMESTAMP", "1704067200123456000", "bad:(microseconds) is out of range", kUs},
    {"TIMESTAMP", "1e400", "bad:is out of range"},
    {"TIMESTAMPTZ", R"("2024-01-01T00:00:00+05:30")", "i64:1704047400000000"},
    {"TIMESTAMPTZ", R"("2024-01-01T00:00:00Z")", "i64:1704067200000000"},
    {"TIMESTAMPTZ", "1704067200", "i64:1704067200000000"},
    {"TIMESTAMPTZ", "1704067200000", "i64:1704067200000000", kMs},

    // ---- TIME: "HH:MM[:SS[.ffffff]]", up to 24:00:00.
    {"TIME", R"("23:59:59.999999")", "i64:86399999999"},
    {"TIME", R"("00:00")", "i64:0"},
    {"TIME", R"("12:34:56.789")", "i64:45296789000"},
    {"TIME", R"("24:00:00")", "i64:86400000000"},
    {"TIME", R"("24:00:01")", "bad:is not a time"},
    {"TIME", R"("12:60:00")", "bad:is not a time"},
    {"TIME", "43200", "bad:cannot store a number"},

    // ---- UUID: hyphenated or 32 hex digits, any case.
    {"UUID", R"("123e4567-e89b-12d3-a456-426614174000")", "uuid:123e4567e89b12d3a456426614174000"},
    {"UUID", R"("123E4567-E89B-12D3-A456-426614174000")", "uuid:123e4567e89b12d3a456426614174000"},
    {"UUID", R"("123e4567e89b12d3a456426614174000")", "uuid:123e4567e89b12d3a456426614174000"},
    {"UUID", R"("123e4567-e89b-12d3-a456-42661417400g")", "bad:is not a UUID"},
    {"UUID", R"("123e4567-e89b-12d3-a456-4266141740")", "bad:is not a UUID"},
    {"UUID", R"("")", "bad:'' is not a UUID"},

    // ---- BLOB: base64, standard or URL-safe alphabet, padding optional.
    {"BLOB", R"("AP9hYg==")", "hex:00ff6162"},
    {"BLOB", R"("AP9hYg")", "hex:00ff6162"},
    {"BLOB", R"("+/8=")", "hex:fbff"},
    {"BLOB", R"("-_8")", "hex:fbff"},
    {"BLOB", R"("")", "hex:"},
    {"BLOB", R"("AP9hY===")", "bad:'AP9hY===' is not base64"},
    {"BLOB", R"("AP9hYg=")", "bad:is not base64"},
    {"BLOB", R"("AP9h Yg==")", "bad:is not base64"},
    {"BLOB", R"("+_8=")", "bad:is not base64"},  // mixed alphabets
    {"BLOB", R"("A")", "bad:is not base64"},
    {"BLOB", "5", "bad:cannot store a number"},

    // ---- LIST: arrays, elements by the element type's rules; canonical text in the cell.
    {"INTEGER[]", R"([1, null, "2", 3.0, -0])", "str:[1,null,2,3,0]"},
    {"INTEGER[]", "[]", "str:[]"},
    {"INTEGER[]", "null", "null"},
    {"INTEGER[]", "[1, 1.5]",
     "bad:column 'v' (INTEGER[]) element [1]: value 1.5 is not an integer"},
    {"INTEGER[]", R"("1,2")", "bad:column 'v' (INTEGER[]): cannot store a string"},
    {"INTEGER[]", R"({"a": 1})", "bad:cannot store an object"},
    {"INTEGER[]", "[1, tru]", "bad:malformed JSON"},
    {"TINYINT[]", "[127, 128]", "bad:element [1]: value 128 is out of range"},
    {"UBIGINT[]", "[18446744073709551615]", "str:[18446744073709551615]"},
    {"HUGEINT[]", "[-170141183460469231731687303715884105728]",
     "str:[-170141183460469231731687303715884105728]"},
    {"DECIMAL(5,2)[]", R"([1.005, -1.005, "0", 7])", "str:[1.01,-1.01,0.00,7.00]"},
    {"DECIMAL(38,10)[]", "[-0.00000000005]", "str:[-0.0000000001]"},
    {"BOOLEAN[]", R"([true, "FALSE", null])", "str:[true,false,null]"},
    {"DOUBLE[]", R"([0.1, 1e308, -0.0, "NaN", "Infinity"])",
     R"(str:[0.1,1e+308,-0,"NaN","Infinity"])"},
    {"DOUBLE[]", "[1e309]", "bad:element [0]: value 1e309 is out of range"},
    {"REAL[]", "[0.1, 3.4e38]", "str:[0.1,3.4e+38]"},
    {"VARCHAR[]", R"(["a", 1.50, true, {"x": [1]}, "q\"\n"])",
     R"(str:["a","1.50","true","{\"x\":[1]}","q\"\n"])"},
    {"JSON[]", R"([{"a": 1}, "s", null])", R"(str:["{\"a\":1}","\"s\"",null])"},
    {"DATE[]", R"(["2024-02-29"])", R"(str:["2024-02-29"])"},
    {"DATE[]", R"(["2023-02-29"])", "bad:element [0]: '2023-02-29' is not a date"},
    {"TIMESTAMP[]", R"(["2024-01-01T05:30:00+05:30", 0, "1969-12-31T23:59:59.5Z"])",
     R"(str:["2024-01-01T00:00:00","1970-01-01T00:00:00","1969-12-31T23:59:59.500000"])"},
    {"TIMESTAMPTZ[]", "[1.5]", R"(str:["1970-01-01T00:00:01.500000Z"])"},
    {"TIMESTAMPTZ[]", "[1500]", R"(str:["1970-01-01T00:00:01.500000Z"])", kMs},
    {"TIME[]", R"(["24:00:00", "00:00:00.5"])", R"(str:["24:00:00","00:00:00.500000"])"},
    {"UUID[]", R"(["123E4567E89B12D3A456426614174000"])",
     R"(str:["123e4567-e89b-12d3-a456-426614174000"])"},
    {"BLOB[]", R"(["-_8", ""])", R"(str:["+/8=",""])"},
    {"BLOB[]", R"(["!"])", "bad:element [0]: '!' is not base64"},
    {"INTEGER[][]", "[[1], [2, null], [], null]", "str:[[1],[2,null],[],null]"},
    {"INTEGER[][]", "[[1], [2.5]]", "bad:element [1][0]: value 2.5 is not an integer"},

    // ---- STRUCT: objects, fields by name (case-insensitive), missing -> null, extra ignored.
    {"STRUCT(a INTEGER, b VARCHAR)", R"({"b": "x", "A": 1, "extra": [1, {"y": 2}]})",
     R"(str:{"a":1,"b":"x"})"},
    {"STRUCT(a INTEGER, b VARCHAR)", "{}", R"(str:{"a":null,"b":null})"},
    {"STRUCT(a INTEGER, b VARCHAR)", R"({"a": 1, "a": null, "b": "x", "b": "y"})",
     R"(str:{"a":null,"b":"y"})"},  // duplicate keys: the last one wins
    {"STRUCT(a INTEGER, b VARCHAR)", R"({"a": "x"})",
     "bad:column 'v' (STRUCT(a INTEGER, b VARCHAR)) element a: 'x' is not a number"},
    {"STRUCT(a INTEGER, b VARCHAR)", "[]", "bad:cannot store an array"},
    {"STRUCT(a INTEGER, b VARCHAR)", R"({"extra": [1 2]})", "bad:malformed JSON"},
    {"STRUCT(a INTEGER, \"A\" INTEGER)", R"({"A": 1, "a": 2})", R"(str:{"a":2,"A":1})"},
    {"STRUCT(x DECIMAL(10,2), tags VARCHAR[])", R"({"x": 1.005, "tags": ["a", null]})",
     R"(str:{"x":1.01,"tags":["a",null]})"},
    {"STRUCT(x DECIMAL(10,2), tags VARCHAR[])", R"({"tags": [1, {}]})",
     R"(str:{"x":null,"tags":["1","{}"]})"},
    {"STRUCT(x DECIMAL(10,2), tags VARCHAR[])", R"({"tags": "a"})",
     "bad:element tags: cannot store a string"},
    {"STRUCT(x DECIMAL(10,2), tags VARCHAR[])", R"({"x": 123456789.999})",
     "bad:element x: value 123456789.999 does not fit DECIMAL(10,2)"},
    {"STRUCT(s STRUCT(v INTEGER))[]", R"([{"s": {"v": 1}}, {"s": null}, null])",
     R"(str:[{"s":{"v":1}},{"s":null},null])"},
    {"STRUCT(s STRUCT(v INTEGER))[]", R"([{"s": {"v": 1}}, {"s": {"v": [1]}}])",
     "bad:element [1].s.v: cannot store an array"},
};
// clang-format on

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string ShortestDouble(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char text[40];
  return std::string(text, std::to_chars(text, text + sizeof(text), d).ptr);
}

// The stored cell in the notation of Conversion::expected (its kind taken from `expected`).
std::string Render(const RowBatch& batch, const std::string& expected) {
  if (batch.IsNull(0, 0)) return "null";
  const Cell& cell = batch.Get(0, 0);
  const std::string kind = expected.substr(0, expected.find(':'));
  if (kind == "i64") return "i64:" + std::to_string(cell.i64);
  if (kind == "i128") return "i128:" + FormatDecimal(cell.i128, 0);
  if (kind == "uuid") {
    const auto v = static_cast<unsigned __int128>(cell.i128);
    char text[40];
    std::snprintf(text, sizeof(text), "%016llx%016llx",
                  static_cast<unsigned long long>(v >> 64), static_cast<unsigned long long>(v));
    return std::string("uuid:") + text;
  }
  if (kind == "f64") return "f64:" + ShortestDouble(cell.f64);
  if (kind == "hex") return "hex:" + Hex(batch.GetString(0, 0));
  return "str:" + std::string(batch.GetString(0, 0));
}

TEST(ConversionMatrix, EveryRow) {
  for (const Conversion& row : kMatrix) {
    const std::string payload = std::string("{\"v\": ") + row.json + "}";
    SCOPED_TRACE(std::string(row.type) + " <- " + row.json);
    TableSchema table;
    table.table = "t";
    table.columns.push_back(SpecFor(row.type));
    DecoderOptions options;
    options.epoch_unit = row.epoch_unit;
    auto decoder = JsonRecordDecoder::Create(table, options);
    ASSERT_TRUE(decoder.ok()) << decoder.status().message();
    RowBatch batch(1);
    const Status status = decoder->Decode(payload, RecordMetadata{}, batch);
    const std::string expected = row.expected;
    if (expected.rfind("bad:", 0) == 0) {
      EXPECT_EQ(status.kind(), ErrorKind::kBadRecord) << status.message();
      EXPECT_NE(status.message().find(expected.substr(4)), std::string::npos)
          << "message: " << status.message();
      EXPECT_EQ(batch.num_rows(), 0u);
      continue;
    }
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_EQ(batch.num_rows(), 1u);
    EXPECT_EQ(Render(batch, expected), expected);
  }
}

// The canonical text of LIST/STRUCT cells reads back through the parsers sinks use.
TEST(ConversionMatrix, CanonicalTemporalTextReadsBack) {
  int64_t v = 0;
  ASSERT_TRUE(ParseTimestampText("1969-12-31T23:59:59.500000", &v));
  EXPECT_EQ(v, -500000);
  ASSERT_TRUE(ParseTimestampText("9999-12-31T23:59:59.999999Z", &v));
  EXPECT_EQ(v, 253402300799999999);
  EXPECT_FALSE(ParseTimestampText("9999-12-31T23:59:59-01:00", &v));  // past year 9999 in UTC
  ASSERT_TRUE(ParseDateText("0000-01-01", &v));
  EXPECT_EQ(v, -719528);
  ASSERT_TRUE(ParseTimeText("24:00:00", &v));
  EXPECT_EQ(v, 86400000000);
  unsigned __int128 uuid = 0;
  ASSERT_TRUE(ParseUuidText("00112233-4455-6677-8899-aabbccddeeff", &uuid));
  EXPECT_EQ(static_cast<uint64_t>(uuid >> 64), 0x0011223344556677ULL);
}

}  // namespace
}  // namespace ki
