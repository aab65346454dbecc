// Leases on PostgreSQL (docs/scale-out.md): kinesis_import_leases and kinesis_import_workers in the
// target table's schema, created on first use. PgLeaseStore works on a connection of its own
// (renewals must not wait for the data transaction's appends); PgCheckLeases is the fence and
// runs on the sink's connection, inside the data transaction.
//
//   kinesis_import_leases (stream_name, table_name, shard_id) PRIMARY KEY, owner text,
//     epoch bigint, expires_at timestamptz, state text ('open' | 'finished'), parents text[],
//     handover_to text
//   kinesis_import_workers (stream_name, table_name, worker_id) PRIMARY KEY, expires_at timestamptz
//
// Locks: every statement that locks several lease rows locks them in shard-id order, so the fence
// and a renewal never deadlock; claims use SKIP LOCKED and never wait.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "sink/lease_store.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/sink.h"

namespace ki {

inline constexpr char kLeasesTable[] = "kinesis_import_leases";
inline constexpr char kWorkersTable[] = "kinesis_import_workers";

class PgLeaseStore final : public LeaseStore {
 public:
  // Connects, resolves `table` (as the sink does), creates the two tables if missing.
  static Result<std::unique_ptr<PgLeaseStore>> Open(const std::string& conninfo, const std::string& table,
                                                    const std::string& stream, std::chrono::milliseconds ttl);
  // For readers (`status`): the store when the lease tables exist, null when they do not (no
  // worker ever joined); never creates anything.
  static Result<std::unique_ptr<PgLeaseStore>> OpenIfPresent(const std::string& conninfo, const std::string& table,
                                                             const std::string& stream);

  Status Heartbeat(const std::string& worker) override;
  Status Leave(const std::string& worker) override;
  Result<int64_t> LiveWorkers() override;
  Status SyncShards(const std::vector<ShardLink>& shards) override;
  Result<std::vector<LeaseRow>> List() override;
  Result<std::map<std::string, int64_t>> Claim(const std::string& worker, const std::vector<std::string>& shards,
                                               int limit) override;
  Result<std::set<std::string>> Renew(const std::string& worker, const std::map<std::string, int64_t>& held) override;
  Status Release(const std::string& worker, const std::vector<std::string>& shards) override;
  Status RequestHandover(const std::string& worker, const std::string& shard) override;

 private:
  PgLeaseStore(PostgresConnection connection, std::string schema, std::string table_key, std::string stream,
               std::chrono::milliseconds ttl);
  Status Create();
  std::string What(const std::string& doing) const;

  PostgresConnection connection_;
  std::string leases_sql_;   // "schema".kinesis_import_leases
  std::string workers_sql_;
  std::string table_key_;    // as in the positions table: schema.table
  std::string stream_;
  std::string ttl_ms_;
};

// The fence (Sink::CheckLeases) on the data transaction's connection, for the table `table_key`
// in `schema`.
Result<std::vector<std::string>> PgCheckLeases(PostgresConnection& connection, const std::string& schema,
                                               const std::string& table_key, const LeaseFence& fence);

// A PostgreSQL text[] literal of `items` ({"a","b"}).
std::string PgTextArrayLiteral(const std::vector<std::string>& items);

}  // namespace ki
