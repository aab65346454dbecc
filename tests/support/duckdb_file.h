// Setup and verification SQL on a DuckDB file, outside the sink under test. DuckDB must not have
// one file open twice in one process: call these only while no sink has the file open. Every call
// opens and closes the file.
#pragma once

#include <string>
#include <vector>

namespace ki::test {

using Rows = std::vector<std::vector<std::string>>;  // every value as text, NULL as "NULL"

// Runs `sql` (one or more statements). Fails the test on a DuckDB error.
void ExecDuckDbFile(const std::string& path, const std::string& sql);

// Runs one SELECT and returns its rows with every value cast to text by DuckDB (LIST and STRUCT
// values too). Fails the test on a DuckDB error.
Rows QueryDuckDbFile(const std::string& path, const std::string& select);

// The one value of a one-row, one-column SELECT; fails the test otherwise.
std::string QueryDuckDbOne(const std::string& path, const std::string& select);

// `sql` through the `sql` command's code (RunDuckDbSql) as CSV without the header line, e.g.
// "25,25,325\n". Fails the test on an error.
std::string DuckDbCsv(const std::string& path, const std::string& sql);

}  // namespace ki::test
