// Chooses and opens the sink for the --db argument.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "sink/sink.h"

namespace ki {

// True when `db` looks like a PostgreSQL connection string: a postgresql:// or postgres:// URI,
// or libpq key=value settings containing host=, hostaddr=, dbname= or service= (a pg_service.conf
// entry) as a word of their own (so a file
// path such as "/data/host=a/x.duckdb" is still a path).
bool IsPostgresConnectionString(const std::string& db);

// Opens the sink for `db`: a PostgreSQL connection string (see PostgresSink::Open for its
// errors, which never contain the password) or else the path of a DuckDB file (see
// DuckDbSink::Open for its errors).
// With kExisting, a DuckDB file that does not exist is NotFound instead of being created (a run
// needs an existing table, so a typo in --db must not leave an empty database behind).
enum class DbAccess { kCreate, kExisting };
// How a DuckDB target is opened (a PostgreSQL one ignores it).
struct SinkOpenOptions {
  // DuckDB's worker threads (its `threads` setting); 0 leaves DuckDB's default, one per core.
  int duckdb_threads = 0;
};
Result<std::unique_ptr<Sink>> OpenSink(const std::string& db, DbAccess access = DbAccess::kCreate,
                                       const SinkOpenOptions& options = {});

}  // namespace ki
