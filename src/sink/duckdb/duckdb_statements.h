// Prepared statements with bound parameters and small all-VARCHAR results, for the DuckDB sink's
// catalog, positions and rejects statements (never the Append hot path).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sink/sql_text.h"
#include "common/status.h"
#include "sink/duckdb/duckdb_handles.h"

namespace ki::duckdb_statements {

// Bytes to bind as a BLOB.
struct SqlBlob {
  std::string_view bytes;
};
// A bound query parameter: NULL, text, BIGINT, TIMESTAMP, BLOB or BOOLEAN.
using SqlParam =
    std::variant<std::monostate, std::string_view, int64_t, duckdb_timestamp, SqlBlob, bool>;
using SqlRow = std::vector<std::optional<std::string>>;

Status BindParams(duckdb_prepared_statement statement, std::initializer_list<SqlParam> params,
                  const std::string& what);
// Executes a prepared statement; IoError with DuckDB's message on failure.
Status ExecutePrepared(duckdb_prepared_statement statement, std::initializer_list<SqlParam> params,
                       const std::string& what, DuckDbResult& result);
// Reads a result whose columns are all VARCHAR (queries cast what they select) into rows.
// Only for small catalog and positions results, never the hot path.
Result<std::vector<SqlRow>> ReadTextRows(DuckDbResult& result, const std::string& what);
// Prepares, runs and reads `sql` (ReadTextRows).
Result<std::vector<SqlRow>> QueryTextRows(duckdb_connection connection, const std::string& sql,
                                          std::initializer_list<SqlParam> params,
                                          const std::string& what);
// A TIMESTAMP parameter from epoch milliseconds, NULL for -1.
SqlParam OptionalTimestamp(int64_t epoch_ms);
// Runs a statement with parameters whose result is not read (DELETE, INSERT).
Status ExecuteWithParams(duckdb_connection connection, const std::string& sql,
                         std::initializer_list<SqlParam> params, const std::string& what);

}  // namespace ki::duckdb_statements
