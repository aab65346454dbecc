// What `kinesis-import follow` adds around the engine: signal handling, a sink provider that
// gives the DuckDB file back between commits and reconnects after failures, and the guard that
// keeps a second follow off the same PostgreSQL (stream, table).
#pragma once

#include <string>

#include "common/status.h"
#include "kinesis/kinesis_client.h"
#include "pipeline/import_run.h"

namespace ki::cli {

// Runs follow until SIGINT/SIGTERM (then commits what is appended and returns the report) or an
// error that cannot heal. A second signal exits the process at once (130 / 143) without
// committing: the open transaction dies with the process, so nothing is half-committed.
Result<ImportReport> FollowCommand(KinesisClient& kinesis, const std::string& db, ImportOptions options);

}  // namespace ki::cli
