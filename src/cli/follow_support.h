// What `kinesis-import follow` adds around the engine: signal handling, a sink provider that
// gives the DuckDB file back between commits and reconnects after failures, and the guard that
// keeps a second follow off the same PostgreSQL (stream, table).
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "kinesis/kinesis_client.h"
#include "pipeline/import_run.h"
#include "sink/sink_factory.h"

namespace ki::cli {

// Several workers sharing the stream (docs/scale-out.md).
struct LeaseSettings {
  bool enabled = false;
  std::string worker_id;
  std::chrono::milliseconds ttl{10000};
};

// hostname-pid: unique among the live workers of one database.
std::string DefaultWorkerId();

// Runs follow until SIGINT/SIGTERM (then commits what is appended and returns the report) or an
// error that cannot heal. A second signal exits the process at once (130 / 143) without
// committing: the open transaction dies with the process, so nothing is half-committed.
// With leases.enabled: joins the group of workers (PostgreSQL only), reads the shards it leases,
// and on SIGINT/SIGTERM commits, then releases its leases so the others take them at once.
Result<ImportReport> FollowCommand(KinesisClient& kinesis, const std::string& db, ImportOptions options,
                                   const LeaseSettings& leases = {}, const SinkOpenOptions& sink_options = {});

}  // namespace ki::cli
