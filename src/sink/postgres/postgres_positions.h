// The PostgreSQL sink's positions: kinesis_import_positions in the target table's schema
// (positions_schema.h; schema version 3, created or migrated from version 1 or 2 in a short
// transaction of its own), the run's advisory lock per stream, and loading (with the derivation
// from the metadata columns when the table has no checkpoint), listing, saving and deleting the
// shards' positions inside the run's transaction. The sink checks that a run is open first.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/sink.h"
#include "table/table_schema.h"

namespace ki {

class PgPositions {
 public:
  PgPositions(PostgresConnection& connection, Clock& clock, bool wait_for_lock)
      : connection_(&connection), clock_(&clock), wait_for_lock_(wait_for_lock) {}

  // A new run on `schema`: its positions table, no locks held yet.
  void StartRun(const TableSchema& schema);
  // The run ended (its transaction, and so its locks, are gone).
  void EndRun() { locked_streams_.clear(); }
  // Several workers share the stream under leases: no run lock (the lease fence guards each
  // shard instead).
  void set_shared(bool shared) { shared_ = shared; }

  // Creates the positions table (and the schema version table) if missing, or migrates an older
  // version's; Fatal for a newer version's. Outside the run's transaction (see the .cc).
  Status CreateOrMigrate();

  // Takes the run's lock for `stream` once per run: pg_try_advisory_xact_lock (Fatal "another
  // kinesis-import run holds the lock ..." when taken), or pg_advisory_xact_lock with
  // wait_for_lock.
  Status Lock(const std::string& stream);

  // The Sink calls of the same names (after Lock; List without it for PeekPositions).
  Result<std::vector<StoredPosition>> List(const std::string& stream, bool lock = true);
  Result<ShardPositions> Load(const std::string& stream);
  Result<int64_t> Delete(const std::string& stream, const std::string& shard_id);
  Status Save(const std::string& stream, const ShardPositions& positions);

 private:
  std::string Describe() const { return connection_->Describe(); }
  Result<PgResult> Exec(const std::string& sql, const std::vector<const char*>& params,
                        const std::string& what) {
    return connection_->Exec(sql, params, what);
  }
  Status ExecCommand(const std::string& sql, const std::string& what) {
    return connection_->ExecCommand(sql, what);
  }

  PostgresConnection* connection_;
  Clock* clock_;
  bool wait_for_lock_;
  bool shared_ = false;
  TableSchema schema_;
  std::string table_sql_;            // "schema"."table"
  std::string positions_table_sql_;  // "schema".kinesis_import_positions
  std::set<std::string> locked_streams_;
};

}  // namespace ki
