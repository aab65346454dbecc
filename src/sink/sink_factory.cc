#include "sink/sink_factory.h"

#include <filesystem>

#include "sink/duckdb/duckdb_sink.h"
#include "sink/postgres/postgres_sink.h"

namespace ki {
namespace {

// True when `keyword` (e.g. "host=") starts a word of `s`: at its start or after whitespace.
bool HasKeyword(const std::string& s, const std::string& keyword) {
  for (size_t pos = s.find(keyword); pos != std::string::npos; pos = s.find(keyword, pos + 1)) {
    if (pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == '\t') return true;
  }
  return false;
}

}  // namespace

bool IsPostgresConnectionString(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0 ||
         HasKeyword(db, "host=") || HasKeyword(db, "hostaddr=") || HasKeyword(db, "dbname=") ||
         HasKeyword(db, "service=");
}

Result<std::unique_ptr<Sink>> OpenSink(const std::string& db, DbAccess access, const SinkOpenOptions& options) {
  if (IsPostgresConnectionString(db)) {
    KI_ASSIGN_OR_RETURN(std::unique_ptr<PostgresSink> sink, PostgresSink::Open(db));
    return std::unique_ptr<Sink>(std::move(sink));
  }
  std::error_code ec;
  if (access == DbAccess::kExisting && db != ":memory:" && !std::filesystem::exists(db, ec)) {
    return NotFound("DuckDB file '" + db + "' does not exist; create it with the target table "
                    "first, e.g. kinesis-import sql --db '" + db + "' \"CREATE TABLE ...\"");
  }
  KI_ASSIGN_OR_RETURN(std::unique_ptr<DuckDbSink> sink, DuckDbSink::Open(db, SystemClock(), options.duckdb_threads));
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace ki
