// Runs SQL against a DuckDB file and formats the last statement's result: for the `sql` command
// (demos, checks, creating tables) and for tests that look at what a run committed.
#pragma once

#include <string>

#include "common/status.h"

namespace ki {

enum class SqlOutputFormat { kTable, kCsv };

// Executes `sql` (one or more statements separated by ';') in its own connection; the result of
// the last statement is returned as text. NULL prints as "NULL" (table) or empty (CSV).
Result<std::string> RunDuckDbSql(const std::string& path, const std::string& sql, SqlOutputFormat format);

}  // namespace ki
