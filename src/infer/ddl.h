// From inferred keys to a CREATE TABLE statement for DuckDB or PostgreSQL: column types per
// dialect, identifiers quoted when the database would otherwise read them differently, the
// metadata columns, and comments on what the sample showed (docs/suggest-table.md). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "infer/type_inference.h"

namespace ki {

enum class SqlDialect { kDuckDb, kPostgres };

struct SuggestedColumn {
  std::string name;  // the key as first seen
  std::string type;  // as the dialect spells it, e.g. "DECIMAL(6,2)", "STRUCT(x BIGINT)", "jsonb"
  int64_t present = 0;  // records with a non-null value
  int64_t nulls = 0;    // records with null
  int64_t absent = 0;   // records without the key
};

struct TableSuggestion {
  std::string table;  // as given (may be schema.table)
  SqlDialect dialect = SqlDialect::kDuckDb;
  std::string source;  // what was sampled, for the comment: "stream 'sensors'"
  int64_t records = 0;
  int64_t not_objects = 0;
  std::vector<SuggestedColumn> columns;
  std::vector<SkippedKey> skipped;
};

// Types the keys of `inference`. InvalidArgument for a malformed table name.
Result<TableSuggestion> SuggestTable(const TableInference& inference, const std::string& table,
                                     SqlDialect dialect, const std::string& source);

struct DdlStyle {
  bool if_not_exists = false;  // CREATE TABLE IF NOT EXISTS (two first runs may race)
  // One line without comments (for an error message, which is one line); else one column per
  // line with the comments on what the sample showed and the optional metadata columns.
  bool one_line = false;
};

// The statement; runs as it is (comments included) on the dialect's database.
std::string CreateTableSql(const TableSuggestion& suggestion, const DdlStyle& style = {});

// One JSON object: table, dialect, records_sampled, not_objects, columns (name, type, present,
// nulls, absent, nullable), skipped_keys (name, reason), sql.
std::string SuggestionJson(const TableSuggestion& suggestion);

// `name` as an identifier of the dialect: bare when the database reads it bare as written (and it
// is no keyword), else double-quoted.
std::string SqlName(const std::string& name, SqlDialect dialect);

// The column type of one inferred value type (what SuggestTable puts in SuggestedColumn::type).
std::string SqlTypeOf(const InferredType& type, SqlDialect dialect);

}  // namespace ki
