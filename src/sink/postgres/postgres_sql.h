// Runs SQL against a PostgreSQL database and returns the last statement's rows as text: for
// tests and tools that look at what a run committed (the counterpart of duckdb_sql.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ki {

using PostgresRows = std::vector<std::vector<std::optional<std::string>>>;  // NULL: nullopt

// Executes `sql` (one or more statements separated by ';', simple query protocol, autocommit
// unless the SQL says BEGIN) on a new connection to `conninfo`. Errors: IoError with the
// server's message and the connection string without password.
Result<PostgresRows> RunPostgresSql(const std::string& conninfo, const std::string& sql);

}  // namespace ki
