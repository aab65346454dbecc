// The PostgreSQL server scripts/test starts (KI_POSTGRES_URL), and SQL on it outside the sink
// under test.
#pragma once

#include <string>

namespace ki::test {

// KI_POSTGRES_URL. Fails the test (it does not skip) when it is not set.
std::string PostgresUrl();

// The rows of `sql` on `conninfo` as CSV-like text: values joined by ',', NULL as "NULL", one
// line per row ("3,abc\n"). Fails the test on an error.
std::string PostgresCsv(const std::string& conninfo, const std::string& sql);

// A suffix for schema names unique to this process and call (tests run in parallel on one server).
std::string RandomSuffix();

}  // namespace ki::test
