#include "extension/column_types.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ki::ext {
namespace {

std::string Canonical(const std::string& text) {
  std::string t;
  for (unsigned char c : text) {
    if (std::isspace(c) && (t.empty() || t.back() == ' ')) continue;
    t += static_cast<char>(std::isspace(c) ? ' ' : std::toupper(c));
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

struct ScalarName {
  const char* name;
  ColumnType type;
  const char* spelling;  // DuckDB's own name, for messages
};
constexpr ScalarName kScalars[] = {
    {"BOOLEAN", ColumnType::kBoolean, "BOOLEAN"},   {"BOOL", ColumnType::kBoolean, "BOOLEAN"},
    {"TINYINT", ColumnType::kTinyInt, "TINYINT"},   {"INT1", ColumnType::kTinyInt, "TINYINT"},
    {"SMALLINT", ColumnType::kSmallInt, "SMALLINT"}, {"INT2", ColumnType::kSmallInt, "SMALLINT"},
    {"INTEGER", ColumnType::kInteger, "INTEGER"},   {"INT", ColumnType::kInteger, "INTEGER"},
    {"INT4", ColumnType::kInteger, "INTEGER"},      {"BIGINT", ColumnType::kBigInt, "BIGINT"},
    {"INT8", ColumnType::kBigInt, "BIGINT"},        {"HUGEINT", ColumnType::kHugeInt, "HUGEINT"},
    {"UTINYINT", ColumnType::kUTinyInt, "UTINYINT"}, {"USMALLINT", ColumnType::kUSmallInt, "USMALLINT"},
    {"UINTEGER", ColumnType::kUInteger, "UINTEGER"}, {"UBIGINT", ColumnType::kUBigInt, "UBIGINT"},
    {"REAL", ColumnType::kReal, "FLOAT"},           {"FLOAT", ColumnType::kReal, "FLOAT"},
    {"FLOAT4", ColumnType::kReal, "FLOAT"},         {"DOUBLE", ColumnType::kDouble, "DOUBLE"},
    {"FLOAT8", ColumnType::kDouble, "DOUBLE"},      {"VARCHAR", ColumnType::kVarchar, "VARCHAR"},
    {"TEXT", ColumnType::kVarchar, "VARCHAR"},      {"STRING", ColumnType::kVarchar, "VARCHAR"},
    {"JSON", ColumnType::kJson, "JSON"},            {"DATE", ColumnType::kDate, "DATE"},
    {"TIMESTAMP", ColumnType::kTimestamp, "TIMESTAMP"},
    {"DATETIME", ColumnType::kTimestamp, "TIMESTAMP"},
    {"TIMESTAMPTZ", ColumnType::kTimestampTz, "TIMESTAMP WITH TIME ZONE"},
    {"TIMESTAMP WITH TIME ZONE", ColumnType::kTimestampTz, "TIMESTAMP WITH TIME ZONE"},
    {"TIME", ColumnType::kTime, "TIME"},            {"UUID", ColumnType::kUuid, "UUID"},
    {"BLOB", ColumnType::kBlob, "BLOB"},            {"BYTEA", ColumnType::kBlob, "BLOB"},
};

// "DECIMAL(18,0)", "NUMERIC(10, 2)", "DECIMAL" (DuckDB's default 18,3).
bool ParseDecimal(const std::string& t, ColumnSpec* spec) {
  std::string rest;
  if (t.rfind("DECIMAL", 0) == 0) rest = t.substr(7);
  else if (t.rfind("NUMERIC", 0) == 0) rest = t.substr(7);
  else return false;
  int width = 18, scale = 3;
  rest.erase(std::remove(rest.begin(), rest.end(), ' '), rest.end());
  if (!rest.empty()) {
    if (rest.front() != '(' || rest.back() != ')') return false;
    std::string inner = rest.substr(1, rest.size() - 2);
    size_t comma = inner.find(',');
    std::string w = inner.substr(0, comma), s = comma == std::string::npos ? "0" : inner.substr(comma + 1);
    auto digits = [](const std::string& x) {
      return !x.empty() && x.size() <= 3 && std::all_of(x.begin(), x.end(), ::isdigit);
    };
    if (!digits(w) || !digits(s)) return false;
    width = std::stoi(w);
    scale = std::stoi(s);
  }
  if (width < 1 || width > 38 || scale > width) return false;
  spec->type = ColumnType::kDecimal;
  spec->decimal_width = static_cast<uint16_t>(width);
  spec->decimal_scale = static_cast<uint16_t>(scale);
  spec->type_name = "DECIMAL(" + std::to_string(width) + "," + std::to_string(scale) + ")";
  return true;
}

template <typename T>
T* Data(duckdb_vector v) {
  return static_cast<T*>(duckdb_vector_get_data(v));
}

}  // namespace

Result<ColumnSpec> DataColumnFromTypeText(const std::string& name, const std::string& type_text) {
  ColumnSpec spec;
  spec.name = name;
  std::string t = Canonical(type_text);
  for (const auto& s : kScalars) {
    if (t == s.name) {
      spec.type = s.type;
      spec.type_name = s.spelling;
      return spec;
    }
  }
  if (ParseDecimal(t, &spec)) return spec;
  return InvalidArgument("read_kinesis: columns: column '" + name + "' has type '" + type_text +
                         "', which read_kinesis cannot fill: use BOOLEAN, an integer type, "
                         "DECIMAL(p,s) with p <= 38, REAL, DOUBLE, VARCHAR, JSON, DATE, TIMESTAMP, "
                         "TIMESTAMPTZ, TIME, UUID or BLOB");
}

ColumnSpec MetadataColumnSpec(const std::string& name, MetadataColumn kind) {
  ColumnSpec spec;
  spec.name = name;
  spec.metadata = kind;
  switch (kind) {
    case MetadataColumn::kSubsequenceNumber:
      spec.type = ColumnType::kBigInt;
      spec.type_name = "BIGINT";
      break;
    case MetadataColumn::kArrivalTime:
      spec.type = ColumnType::kTimestamp;
      spec.type_name = "TIMESTAMP";
      break;
    default:
      spec.type = ColumnType::kVarchar;
      spec.type_name = "VARCHAR";
  }
  return spec;
}

DuckType LogicalTypeOf(const ColumnSpec& spec) {
  auto simple = [](duckdb_type t) { return DuckType(duckdb_create_logical_type(t)); };
  switch (spec.type) {
    case ColumnType::kBoolean: return simple(DUCKDB_TYPE_BOOLEAN);
    case ColumnType::kTinyInt: return simple(DUCKDB_TYPE_TINYINT);
    case ColumnType::kSmallInt: return simple(DUCKDB_TYPE_SMALLINT);
    case ColumnType::kInteger: return simple(DUCKDB_TYPE_INTEGER);
    case ColumnType::kBigInt: return simple(DUCKDB_TYPE_BIGINT);
    case ColumnType::kHugeInt: return simple(DUCKDB_TYPE_HUGEINT);
    case ColumnType::kUTinyInt: return simple(DUCKDB_TYPE_UTINYINT);
    case ColumnType::kUSmallInt: return simple(DUCKDB_TYPE_USMALLINT);
    case ColumnType::kUInteger: return simple(DUCKDB_TYPE_UINTEGER);
    case ColumnType::kUBigInt: return simple(DUCKDB_TYPE_UBIGINT);
    case ColumnType::kDecimal:
      return DuckType(duckdb_create_decimal_type(static_cast<uint8_t>(spec.decimal_width),
                                                 static_cast<uint8_t>(spec.decimal_scale)));
    case ColumnType::kReal: return simple(DUCKDB_TYPE_FLOAT);
    case ColumnType::kDouble: return simple(DUCKDB_TYPE_DOUBLE);
    case ColumnType::kDate: return simple(DUCKDB_TYPE_DATE);
    case ColumnType::kTimestamp: return simple(DUCKDB_TYPE_TIMESTAMP);
    case ColumnType::kTimestampTz: return simple(DUCKDB_TYPE_TIMESTAMP_TZ);
    case ColumnType::kTime: return simple(DUCKDB_TYPE_TIME);
    case ColumnType::kUuid: return simple(DUCKDB_TYPE_UUID);
    case ColumnType::kBlob: return simple(DUCKDB_TYPE_BLOB);
    default: return simple(DUCKDB_TYPE_VARCHAR);  // VARCHAR, JSON
  }
}

void WriteColumn(duckdb_vector vector, const ColumnSpec& spec, const RowBatch& batch, size_t col,
                 size_t first_row, size_t n, size_t out_offset) {
  duckdb_vector_ensure_validity_writable(vector);
  uint64_t* validity = duckdb_vector_get_validity(vector);
  for (size_t i = 0; i < n; ++i) {
    size_t row = first_row + i, out = out_offset + i;
    if (batch.IsNull(row, col)) {
      duckdb_validity_set_row_invalid(validity, out);
      continue;
    }
    duckdb_validity_set_row_valid(validity, out);
    const Cell& c = batch.Get(row, col);
    switch (spec.type) {
      case ColumnType::kBoolean: Data<bool>(vector)[out] = c.i64 != 0; break;
      case ColumnType::kTinyInt:
      case ColumnType::kUTinyInt: Data<int8_t>(vector)[out] = static_cast<int8_t>(c.i64); break;
      case ColumnType::kSmallInt:
      case ColumnType::kUSmallInt: Data<int16_t>(vector)[out] = static_cast<int16_t>(c.i64); break;
      case ColumnType::kInteger:
      case ColumnType::kUInteger: Data<int32_t>(vector)[out] = static_cast<int32_t>(c.i64); break;
      case ColumnType::kDate: Data<int32_t>(vector)[out] = static_cast<int32_t>(c.i64); break;
      case ColumnType::kBigInt:
      case ColumnType::kUBigInt:
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz:
      case ColumnType::kTime: Data<int64_t>(vector)[out] = c.i64; break;
      case ColumnType::kHugeInt: Data<__int128>(vector)[out] = c.i128; break;
      case ColumnType::kUuid: {
        // DuckDB keeps a UUID as a HUGEINT with the top bit flipped, so that it sorts as text.
        unsigned __int128 v = static_cast<unsigned __int128>(c.i128) ^ (static_cast<unsigned __int128>(1) << 127);
        Data<__int128>(vector)[out] = static_cast<__int128>(v);
        break;
      }
      case ColumnType::kDecimal:
        // The physical width follows DuckDB's rule for DECIMAL(p,s); cells hold the scaled
        // integer in i64 up to 18 digits, else in i128.
        if (spec.decimal_width <= 4) Data<int16_t>(vector)[out] = static_cast<int16_t>(c.i64);
        else if (spec.decimal_width <= 9) Data<int32_t>(vector)[out] = static_cast<int32_t>(c.i64);
        else if (spec.decimal_width <= 18) Data<int64_t>(vector)[out] = c.i64;
        else Data<__int128>(vector)[out] = c.i128;
        break;
      case ColumnType::kReal: Data<float>(vector)[out] = static_cast<float>(c.f64); break;
      case ColumnType::kDouble: Data<double>(vector)[out] = c.f64; break;
      default: {  // VARCHAR, JSON, BLOB: bytes in the batch's arena
        std::string_view s = batch.GetString(row, col);
        duckdb_vector_assign_string_element_len(vector, out, s.data(), s.size());
      }
    }
  }
}

}  // namespace ki::ext
