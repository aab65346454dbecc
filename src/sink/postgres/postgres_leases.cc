#include "sink/postgres/postgres_leases.h"

#include <utility>

#include "sink/postgres/postgres_catalog.h"
#include "sink/sql_text.h"

namespace ki {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string PgTextArrayLiteral(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Result<std::unique_ptr<PgLeaseStore>> PgLeaseStore::Open(const std::string& conninfo, const std::string& table,
                                                         const std::string& stream, std::chrono::milliseconds ttl) {
  KI_ASSIGN_OR_RETURN(PostgresConnection connection, PostgresConnection::Open(conninfo));
  KI_ASSIGN_OR_RETURN(TableSchema schema, DescribePgTable(connection, table));
  std::unique_ptr<PgLeaseStore> store(
      new PgLeaseStore(std::move(connection), schema.schema, schema.QualifiedName(), stream, ttl));
  KI_RETURN_IF_ERROR(store->Create());
  return store;
}

Result<std::unique_ptr<PgLeaseStore>> PgLeaseStore::OpenIfPresent(const std::string& conninfo,
                                                                  const std::string& table,
                                                                  const std::string& stream) {
  KI_ASSIGN_OR_RETURN(PostgresConnection connection, PostgresConnection::Open(conninfo));
  KI_ASSIGN_OR_RETURN(TableSchema schema, DescribePgTable(connection, table));
  const std::string leases = PgQualifiedSql(schema.schema, kLeasesTable);
  KI_ASSIGN_OR_RETURN(PgResult r, connection.Exec("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {leases.c_str()},
                                                  connection.Describe() + ": looking for the lease table"));
  if (PgValue(r.get(), 0, 0).value_or("f") != "t") return std::unique_ptr<PgLeaseStore>();
  return std::unique_ptr<PgLeaseStore>(new PgLeaseStore(std::move(connection), schema.schema,
                                                        schema.QualifiedName(), stream,
                                                        std::chrono::milliseconds(0)));
}

PgLeaseStore::PgLeaseStore(PostgresConnection connection, std::string schema, std::string table_key,
                           std::string stream, std::chrono::milliseconds ttl)
    : connection_(std::move(connection)),
      leases_sql_(PgQualifiedSql(schema, kLeasesTable)),
      workers_sql_(PgQualifiedSql(schema, kWorkersTable)),
      table_key_(std::move(table_key)),
      stream_(std::move(stream)),
      ttl_ms_(std::to_string(ttl.count())) {}

std::string PgLeaseStore::What(const std::string& doing) const {
  return connection_.Describe() + ": " + doing + " (leases of stream '" + stream_ + "' for table '" + table_key_ + "')";
}

Status PgLeaseStore::Create() {
  // Two workers starting together would race in CREATE TABLE IF NOT EXISTS: an advisory lock
  // serialises the creation, as for the positions table.
  const std::string what = What("creating the lease tables");
  KI_RETURN_IF_ERROR(connection_.ExecCommand("BEGIN", what));
  Status st = [&]() -> Status {
    const std::string key = "kinesis-import create " + leases_sql_;
    KI_RETURN_IF_ERROR(connection_
                           .Exec(std::string("SELECT pg_catalog.pg_advisory_xact_lock(") + kPgLockKeySql + ")",
                                 {key.c_str()}, what)
                           .status());
    KI_RETURN_IF_ERROR(connection_.ExecCommand(
        "CREATE TABLE IF NOT EXISTS " + leases_sql_ +
            " (stream_name text NOT NULL, table_name text NOT NULL, shard_id text NOT NULL, owner text,"
            " epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz NOT NULL DEFAULT 'epoch',"
            " state text NOT NULL DEFAULT 'open', parents text[] NOT NULL DEFAULT '{}', handover_to text,"
            " PRIMARY KEY (stream_name, table_name, shard_id))",
        what));
    return connection_.ExecCommand("CREATE TABLE IF NOT EXISTS " + workers_sql_ +
                                       " (stream_name text NOT NULL, table_name text NOT NULL, worker_id text NOT NULL,"
                                       " expires_at timestamptz NOT NULL, PRIMARY KEY (stream_name, table_name, worker_id))",
                                   what);
  }();
  if (!st.ok()) {
    (void)connection_.ExecCommand("ROLLBACK", what);
    return st;
  }
  return connection_.ExecCommand("COMMIT", what);
}

Status PgLeaseStore::Heartbeat(const std::string& worker) {
  return connection_
      .Exec("INSERT INTO " + workers_sql_ +
                " VALUES ($1, $2, $3, clock_timestamp() + $4::bigint * interval '1 millisecond')"
                " ON CONFLICT (stream_name, table_name, worker_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
            {stream_.c_str(), table_key_.c_str(), worker.c_str(), ttl_ms_.c_str()}, What("heartbeat"))
      .status();
}

Status PgLeaseStore::Leave(const std::string& worker) {
  return connection_
      .Exec("DELETE FROM " + workers_sql_ + " WHERE stream_name = $1 AND table_name = $2 AND worker_id = $3",
            {stream_.c_str(), table_key_.c_str(), worker.c_str()}, What("leaving the group"))
      .status();
}

Result<int64_t> PgLeaseStore::LiveWorkers() {
  KI_ASSIGN_OR_RETURN(PgResult r, connection_.Exec("SELECT count(*)::text FROM " + workers_sql_ +
                                                       " WHERE stream_name = $1 AND table_name = $2"
                                                       " AND expires_at > clock_timestamp()",
                                                   {stream_.c_str(), table_key_.c_str()}, What("counting workers")));
  return ParseSqlInt64(PgValue(r.get(), 0, 0)).value_or(0);
}

Status PgLeaseStore::SyncShards(const std::vector<ShardLink>& shards) {
  if (shards.empty()) return Status::Ok();
  std::vector<std::string> ids, parents;
  for (const auto& s : shards) {
    ids.push_back(s.shard_id);
    std::string joined;
    for (const auto& p : s.parents) joined += (joined.empty() ? "" : ",") + p;
    parents.push_back(joined);
  }
  const std::string ids_text = PgTextArrayLiteral(ids), parents_text = PgTextArrayLiteral(parents);
  return connection_
      .Exec("INSERT INTO " + leases_sql_ +
                " (stream_name, table_name, shard_id, parents)"
                " SELECT $1, $2, s.id, coalesce(string_to_array(nullif(s.parents, ''), ','), '{}')::text[]"
                " FROM unnest($3::text[], $4::text[]) AS s(id, parents)"
                " ON CONFLICT (stream_name, table_name, shard_id) DO NOTHING",
            {stream_.c_str(), table_key_.c_str(), ids_text.c_str(), parents_text.c_str()}, What("adding shards"))
      .status();
}

Result<std::vector<LeaseRow>> PgLeaseStore::List() {
  KI_ASSIGN_OR_RETURN(
      PgResult r,
      connection_.Exec("SELECT shard_id, coalesce(owner, ''), epoch::text, (expires_at > clock_timestamp())::text,"
                       " state, array_to_string(parents, ','), coalesce(handover_to, ''),"
                       " (extract(epoch FROM expires_at) * 1000000)::bigint::text FROM " +
                           leases_sql_ + " WHERE stream_name = $1 AND table_name = $2 ORDER BY shard_id",
                       {stream_.c_str(), table_key_.c_str()}, What("listing leases")));
  std::vector<LeaseRow> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    LeaseRow row;
    row.shard_id = PgValue(r.get(), i, 0).value_or("");
    row.owner = PgValue(r.get(), i, 1).value_or("");
    row.epoch = ParseSqlInt64(PgValue(r.get(), i, 2)).value_or(0);
    row.live = PgValue(r.get(), i, 3).value_or("false") == "true";
    row.finished = PgValue(r.get(), i, 4).value_or("") == "finished";
    row.parents = SplitCommas(PgValue(r.get(), i, 5).value_or(""));
    row.handover_to = PgValue(r.get(), i, 6).value_or("");
    row.expires_at_us = ParseSqlInt64(PgValue(r.get(), i, 7)).value_or(0);
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::map<std::string, int64_t>> PgLeaseStore::Claim(const std::string& worker,
                                                           const std::vector<std::string>& shards, int limit) {
  std::map<std::string, int64_t> claimed;
  if (shards.empty() || limit <= 0) return claimed;
  const std::string ids = PgTextArrayLiteral(shards), lim = std::to_string(limit);
  // A lease handed over to someone (handover_to set, released by its holder) waits one TTL for
  // that worker before anyone else may take it; its own requests come first.
  KI_ASSIGN_OR_RETURN(
      PgResult r,
      connection_.Exec(
          "WITH c AS (SELECT shard_id FROM " + leases_sql_ +
              " WHERE stream_name = $1 AND table_name = $2 AND shard_id = ANY($3::text[]) AND state = 'open'"
              " AND (owner IS NULL OR expires_at <= clock_timestamp())"
              " AND (handover_to IS NULL OR handover_to = $4"
              "      OR expires_at <= clock_timestamp() - $5::bigint * interval '1 millisecond')"
              " ORDER BY (handover_to IS NOT DISTINCT FROM $4) DESC, shard_id LIMIT $6::int"
              " FOR UPDATE SKIP LOCKED)"
              " UPDATE " + leases_sql_ + " AS l SET owner = $4, epoch = l.epoch + 1, handover_to = NULL,"
              " expires_at = clock_timestamp() + $5::bigint * interval '1 millisecond'"
              " FROM c WHERE l.stream_name = $1 AND l.table_name = $2 AND l.shard_id = c.shard_id"
              " RETURNING l.shard_id, l.epoch::text",
          {stream_.c_str(), table_key_.c_str(), ids.c_str(), worker.c_str(), ttl_ms_.c_str(), lim.c_str()},
          What("claiming leases")));
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    claimed[PgValue(r.get(), i, 0).value_or("")] = ParseSqlInt64(PgValue(r.get(), i, 1)).value_or(0);
  }
  return claimed;
}

Result<std::set<std::string>> PgLeaseStore::Renew(const std::string& worker,
                                                  const std::map<std::string, int64_t>& held) {
  std::set<std::string> kept;
  if (held.empty()) return kept;
  std::vector<std::string> ids, epochs;
  for (const auto& [id, epoch] : held) {
    ids.push_back(id);
    epochs.push_back(std::to_string(epoch));
  }
  const std::string ids_text = PgTextArrayLiteral(ids), epochs_text = PgTextArrayLiteral(epochs);
  // Rows locked in shard-id order, as the fence locks them: the two never deadlock. A renewal
  // waits for a commit's fence on the same rows (a moment).
  KI_ASSIGN_OR_RETURN(
      PgResult r,
      connection_.Exec(
          "WITH h AS (SELECT * FROM unnest($3::text[], $4::bigint[]) AS h(shard, epoch)),"
          " k AS (SELECT l.shard_id FROM " + leases_sql_ +
              " AS l JOIN h ON l.shard_id = h.shard AND l.epoch = h.epoch"
              " WHERE l.stream_name = $1 AND l.table_name = $2 AND l.owner = $5 ORDER BY l.shard_id FOR UPDATE OF l)"
              " UPDATE " + leases_sql_ + " AS l SET expires_at = clock_timestamp() + $6::bigint * interval '1 millisecond'"
              " FROM k WHERE l.stream_name = $1 AND l.table_name = $2 AND l.shard_id = k.shard_id RETURNING l.shard_id",
          {stream_.c_str(), table_key_.c_str(), ids_text.c_str(), epochs_text.c_str(), worker.c_str(), ttl_ms_.c_str()},
          What("renewing leases")));
  for (int i = 0; i < PQntuples(r.get()); ++i) kept.insert(PgValue(r.get(), i, 0).value_or(""));
  return kept;
}

Status PgLeaseStore::Release(const std::string& worker, const std::vector<std::string>& shards) {
  if (shards.empty()) return Status::Ok();
  const std::string ids = PgTextArrayLiteral(shards);
  return connection_
      .Exec("WITH k AS (SELECT shard_id FROM " + leases_sql_ +
                " WHERE stream_name = $1 AND table_name = $2 AND owner = $3 AND shard_id = ANY($4::text[])"
                " ORDER BY shard_id FOR UPDATE)"
                " UPDATE " + leases_sql_ + " AS l SET owner = NULL, expires_at = clock_timestamp()"
                " FROM k WHERE l.stream_name = $1 AND l.table_name = $2 AND l.shard_id = k.shard_id",
            {stream_.c_str(), table_key_.c_str(), worker.c_str(), ids.c_str()}, What("releasing leases"))
      .status();
}

Status PgLeaseStore::RequestHandover(const std::string& worker, const std::string& shard) {
  return connection_
      .Exec("UPDATE " + leases_sql_ +
                " SET handover_to = $3 WHERE stream_name = $1 AND table_name = $2 AND shard_id = $4"
                " AND handover_to IS NULL AND owner IS NOT NULL AND owner <> $3",
            {stream_.c_str(), table_key_.c_str(), worker.c_str(), shard.c_str()}, What("asking for a handover"))
      .status();
}

Result<std::vector<std::string>> PgCheckLeases(PostgresConnection& connection, const std::string& schema,
                                               const std::string& table_key, const LeaseFence& fence) {
  std::vector<std::string> lost;
  if (fence.epochs.empty()) return lost;
  const std::string leases_sql = PgQualifiedSql(schema, kLeasesTable);
  std::vector<std::string> ids, epochs;
  for (const auto& [id, epoch] : fence.epochs) {
    ids.push_back(id);
    epochs.push_back(std::to_string(epoch));
  }
  const std::string ids_text = PgTextArrayLiteral(ids), epochs_text = PgTextArrayLiteral(epochs);
  const std::string what = connection.Describe() + ": checking the leases of stream '" + fence.stream +
                           "' for table '" + table_key + "'";
  // FOR UPDATE: a claim of these rows by another worker waits until this transaction ends, so
  // the check cannot go stale before COMMIT. Owner and epoch suffice: a lease that expired but
  // that nobody claimed still has this worker's epoch, and whoever claims it raises the epoch
  // under the same row lock.
  KI_ASSIGN_OR_RETURN(
      PgResult r,
      connection.Exec("WITH h AS (SELECT * FROM unnest($3::text[], $4::bigint[]) AS h(shard, epoch))"
                      " SELECT l.shard_id FROM " + leases_sql +
                          " AS l JOIN h ON l.shard_id = h.shard AND l.epoch = h.epoch"
                          " WHERE l.stream_name = $1 AND l.table_name = $2 AND l.owner = $5"
                          " ORDER BY l.shard_id FOR UPDATE OF l",
                      {fence.stream.c_str(), table_key.c_str(), ids_text.c_str(), epochs_text.c_str(),
                       fence.owner.c_str()},
                      what));
  std::set<std::string> held;
  for (int i = 0; i < PQntuples(r.get()); ++i) held.insert(PgValue(r.get(), i, 0).value_or(""));
  for (const auto& id : ids) {
    if (held.count(id) == 0) lost.push_back(id);
  }
  if (lost.empty() && !fence.finished.empty()) {
    const std::string finished = PgTextArrayLiteral(fence.finished);
    KI_RETURN_IF_ERROR(connection
                           .Exec("UPDATE " + leases_sql +
                                     " SET state = 'finished' WHERE stream_name = $1 AND table_name = $2"
                                     " AND shard_id = ANY($3::text[])",
                                 {fence.stream.c_str(), table_key.c_str(), finished.c_str()}, what)
                           .status());
  }
  return lost;
}

}  // namespace ki
