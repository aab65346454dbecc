#include "infer/ddl.h"

#include <algorithm>
#include <iterator>
#include <cctype>
#include <string_view>

#include "common/json_writer.h"
#include "decode/decimal.h"
#include "sink/sql_identifier.h"
#include "table/table_schema.h"

namespace ki {
namespace {

// Words either database reserves (or reads as a type or function name) where a column name
// goes, plus the type names a reader would mistake for one. Quoting a word that needs no quotes
// is harmless, so the list errs on the long side.
constexpr std::string_view kKeywords[] = {
    "all", "analyse", "analyze", "and", "anti", "any", "array", "as", "asc", "asof",
    "asymmetric", "authorization", "between", "bigint", "binary", "bit", "boolean", "both",
    "case", "cast", "char", "character", "check", "collate", "collation", "column",
    "columns", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "date", "dec", "decimal", "default", "deferrable", "desc", "describe",
    "distinct", "do", "double", "else", "end", "except", "exists", "extract", "false", "fetch",
    "float", "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike",
    "in", "initially", "inner", "int", "integer", "intersect", "interval", "into", "is",
    "isnull", "join", "lambda", "lateral", "leading", "left", "like", "limit", "localtime",
    "localtimestamp", "map", "natural", "not", "notnull", "null", "numeric", "offset", "on",
    "only", "or", "order", "outer", "overlaps", "pivot", "placing", "positional", "primary",
    "qualify", "references", "returning", "right", "select", "semi", "session_user", "similar",
    "some", "struct", "summarize", "symmetric", "table", "then", "time", "timestamp",
    "to", "trailing", "true", "union", "unique", "unpivot", "user", "using", "values",
    "varchar", "variadic", "verbose", "when", "where", "window", "with", "year"};

bool IsKeyword(std::string_view lower) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), lower) != std::end(kKeywords);
}

// PostgreSQL truncates longer identifiers (NAMEDATALEN - 1), so `run` would not find the key.
constexpr size_t kPostgresMaxIdentifierBytes = 63;

bool IsStableObject(const InferredType& t) {
  if (t.fields.empty()) return false;
  for (const auto& f : t.fields) {
    if (f.name.empty() || f.present + f.nulls != t.objects) return false;
  }
  return true;
}

constexpr char kJsonFallback[] = "JSON";

std::string DuckDbType(const InferredType& t) {
  switch (t.kind) {
    case InferredKind::kNull:
    case InferredKind::kString:
      return "VARCHAR";
    case InferredKind::kBoolean:
      return "BOOLEAN";
    case InferredKind::kInteger:
      return t.fits_int64 ? "BIGINT" : t.fits_int128 ? "HUGEINT" : "DOUBLE";
    case InferredKind::kDecimal: {
      const int precision = t.integer_digits + t.scale;
      if (precision > kMaxDecimalWidth) return "DOUBLE";
      return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(t.scale) + ")";
    }
    case InferredKind::kDouble:
      return "DOUBLE";
    case InferredKind::kDate:
      return "DATE";
    case InferredKind::kTimestamp:
      return "TIMESTAMP";
    case InferredKind::kTimestampTz:
      return "TIMESTAMPTZ";
    case InferredKind::kUuid:
      return "UUID";
    case InferredKind::kObject: {
      if (!IsStableObject(t)) return kJsonFallback;
      std::string out = "STRUCT(";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (i) out += ", ";
        out += SqlName(t.fields[i].name, SqlDialect::kDuckDb) + " " + DuckDbType(*t.fields[i].type);
      }
      return out + ")";
    }
    case InferredKind::kArray: {
      if (!t.element || t.element->kind == InferredKind::kNull) return kJsonFallback;
      std::string element = DuckDbType(*t.element);
      if (element == kJsonFallback) return kJsonFallback;
      return element + "[]";
    }
    case InferredKind::kJson:
      return kJsonFallback;
  }
  return "VARCHAR";
}

std::string PostgresType(const InferredType& t) {
  switch (t.kind) {
    case InferredKind::kNull:
    case InferredKind::kString:
      return "text";
    case InferredKind::kBoolean:
      return "boolean";
    case InferredKind::kInteger:
      if (t.fits_int64) return "bigint";
      return t.integer_digits <= kMaxNumericPrecision
                 ? "numeric(" + std::to_string(t.integer_digits) + ",0)"
                 : "numeric";
    case InferredKind::kDecimal: {
      const int precision = t.integer_digits + t.scale;
      if (precision > kMaxNumericPrecision) return "numeric";
      return "numeric(" + std::to_string(precision) + "," + std::to_string(t.scale) + ")";
    }
    case InferredKind::kDouble:
      return "double precision";
    case InferredKind::kDate:
      return "date";
    case InferredKind::kTimestamp:
      return "timestamp";
    case InferredKind::kTimestampTz:
      return "timestamptz";
    case InferredKind::kUuid:
      return "uuid";
    case InferredKind::kObject:
    case InferredKind::kArray:
    case InferredKind::kJson:
      return "jsonb";
  }
  return "text";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string QualifiedTableSql(const std::vector<std::string>& parts, SqlDialect dialect) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ".";
    out += SqlName(p, dialect);
  }
  return out;
}

}  // namespace

std::string SqlName(const std::string& name, SqlDialect dialect) {
  bool bare = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
              std::all_of(name.begin(), name.end(), [&](unsigned char c) {
                if (c == '_' || std::isdigit(c) || std::islower(c)) return true;
                // PostgreSQL folds bare names to lower case; DuckDB keeps them as written.
                return dialect == SqlDialect::kDuckDb && std::isupper(c);
              });
  if (bare && IsKeyword(Lower(name))) bare = false;
  return bare ? name : QuoteIdentifier(name);
}

std::string SqlTypeOf(const InferredType& type, SqlDialect dialect) {
  return dialect == SqlDialect::kDuckDb ? DuckDbType(type) : PostgresType(type);
}

Result<TableSuggestion> SuggestTable(const TableInference& inference, const std::string& table,
                                     SqlDialect dialect, const std::string& source) {
  // Parsed as the sink will parse --table, so the statement creates the table `run` looks for.
  KI_RETURN_IF_ERROR(SplitQualifiedName(table,
                                        dialect == SqlDialect::kDuckDb ? UnquotedCase::kKeep
                                                                       : UnquotedCase::kFoldToLower,
                                        dialect == SqlDialect::kDuckDb ? "catalog.schema.table"
                                                                       : "database.schema.table")
                         .status());
  TableSuggestion s;
  s.table = table;
  s.dialect = dialect;
  s.source = source;
  s.records = inference.records();
  s.not_objects = inference.not_objects();
  for (const InferredField& key : inference.keys()) {
    if (key.name.empty()) {
      s.skipped.push_back({key.name, "an empty key cannot be a column name"});
      continue;
    }
    if (MetadataColumnFromName(key.name) != MetadataColumn::kNone) {
      s.skipped.push_back({key.name, "the name of a Kinesis metadata column, which takes the "
                                     "record's metadata instead"});
      continue;
    }
    if (dialect == SqlDialect::kPostgres && key.name.size() > kPostgresMaxIdentifierBytes) {
      s.skipped.push_back({key.name, "longer than PostgreSQL's 63-byte identifiers"});
      continue;
    }
    SuggestedColumn c;
    c.name = key.name;
    c.type = SqlTypeOf(*key.type, dialect);
    c.present = key.present;
    c.nulls = key.nulls;
    c.absent = s.records - key.present - key.nulls;
    s.columns.push_back(std::move(c));
  }
  return s;
}

std::string CreateTableSql(const TableSuggestion& s, const DdlStyle& style) {
  const SqlDialect d = s.dialect;
  auto parts = SplitQualifiedName(s.table, d == SqlDialect::kDuckDb ? UnquotedCase::kKeep
                                                                    : UnquotedCase::kFoldToLower,
                                  "schema.table");
  const std::string table_sql = parts.ok() ? QualifiedTableSql(*parts, d) : s.table;
  const std::string text = d == SqlDialect::kDuckDb ? "VARCHAR" : "text";
  const std::string create = style.if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ";
  if (style.one_line) {
    std::string out = create + table_sql + " (";
    for (const auto& c : s.columns) out += SqlName(c.name, d) + " " + c.type + ", ";
    return out + "kinesis_shard_id " + text + ", shard_sequence_number " + text + ");";
  }
  std::string out = "-- inferred from " + std::to_string(s.records) + " record" +
                    (s.records == 1 ? "" : "s") + " sampled from " + s.source + "\n";
  if (s.records == 0) out += "-- no JSON object was sampled: only the metadata columns; add yours\n";
  if (s.not_objects > 0)
    out += "-- " + std::to_string(s.not_objects) +
           " sampled record(s) were not JSON objects (run would count them as bad records)\n";
  std::string partial;
  for (const auto& c : s.columns) {
    if (c.present == s.records) continue;
    if (!partial.empty()) partial += ", ";
    // JSON-quoted: a key with a line break must not end the comment.
    partial += JsonString(c.name) + " (" + std::to_string(c.present) + ")";
  }
  if (!partial.empty())
    out += "-- with a value in fewer than all " + std::to_string(s.records) +
           " records (absent or null): " + partial + "\n";
  for (const auto& k : s.skipped)
    out += "-- key " + JsonString(k.name) + " has no column: " + k.reason + "\n";
  out += create + table_sql + " (\n";
  for (const auto& c : s.columns) out += "  " + SqlName(c.name, d) + " " + c.type + ",\n";
  out += "  kinesis_shard_id " + text + ",\n  shard_sequence_number " + text + "\n";
  out += "  -- optional metadata columns:\n";
  out += "  -- , kinesis_partition_key " + text + "\n";
  out += std::string("  -- , kinesis_arrival_time ") +
         (d == SqlDialect::kDuckDb ? "TIMESTAMP" : "timestamp") + "\n";
  out += std::string("  -- , kinesis_subsequence_number ") +
         (d == SqlDialect::kDuckDb ? "BIGINT" : "bigint") + "\n";
  out += "  -- , kinesis_explicit_hash_key " + text + "\n";
  out += ");\n";
  return out;
}

std::string SuggestionJson(const TableSuggestion& s) {
  std::string out = "{\"table\":" + JsonString(s.table) + ",\"dialect\":\"" +
                    (s.dialect == SqlDialect::kDuckDb ? "duckdb" : "postgres") +
                    "\",\"records_sampled\":" + std::to_string(s.records) +
                    ",\"not_objects\":" + std::to_string(s.not_objects) + ",\"columns\":[";
  for (size_t i = 0; i < s.columns.size(); ++i) {
    const auto& c = s.columns[i];
    if (i) out += ",";
    out += "{\"name\":" + JsonString(c.name) + ",\"type\":" + JsonString(c.type) +
           ",\"present\":" + std::to_string(c.present) + ",\"nulls\":" + std::to_string(c.nulls) +
           ",\"absent\":" + std::to_string(c.absent) +
           ",\"nullable\":" + (c.present == s.records ? "false" : "true") + "}";
  }
  out += "],\"skipped_keys\":[";
  for (size_t i = 0; i < s.skipped.size(); ++i) {
    if (i) out += ",";
    out += "{\"name\":" + JsonString(s.skipped[i].name) + ",\"reason\":" +
           JsonString(s.skipped[i].reason) + "}";
  }
  out += "],\"sql\":" + JsonString(CreateTableSql(s)) + "}\n";
  return out;
}

}  // namespace ki
