#include "sink/postgres/postgres_positions.h"

#include <optional>
#include <utility>

#include "sink/positions_schema.h"
#include "sink/postgres/postgres_params.h"
#include "sink/sql_identifier.h"

namespace ki {

void PgPositions::StartRun(const TableSchema& schema) {
  schema_ = schema;
  table_sql_ = PgQualifiedSql(schema_.schema, schema_.table);
  positions_table_sql_ = PgQualifiedSql(schema_.schema, kPositionsTable);
  locked_streams_.clear();
}

Status PgPositions::CreateOrMigrate() {
  const std::string what = Describe() + ": preparing " + positions_table_sql_;
  const std::string version_sql = PgQualifiedSql(schema_.schema, kSchemaVersionTable);
  const std::string version_query = "SELECT max(version)::text FROM " + version_sql +
                                    " WHERE component = '" + kPositionsComponent + "'";
  auto current_version = [&]() -> Result<int64_t> {
    KI_ASSIGN_OR_RETURN(PgResult exists,
                        Exec("SELECT (pg_catalog.to_regclass($1) IS NOT NULL "
                             "AND pg_catalog.to_regclass($2) IS NOT NULL)::text",
                             {positions_table_sql_.c_str(), version_sql.c_str()}, what));
    if (PgValue(exists.get(), 0, 0).value_or("false") != "true") return 1;
    KI_ASSIGN_OR_RETURN(PgResult version, Exec(version_query, {}, what));
    return ParseSqlInt64(PgValue(version.get(), 0, 0)).value_or(1);
  };
  KI_ASSIGN_OR_RETURN(int64_t version, current_version());
  if (version == kPositionsSchemaVersion) return Status::Ok();
  if (version > kPositionsSchemaVersion) {
    return FatalError(Describe() + ": " + positions_table_sql_ + " has schema version " +
                      std::to_string(version) + ", written by a newer kinesis-import; this one "
                      "knows version " + std::to_string(kPositionsSchemaVersion) + ": upgrade it");
  }
  // Two first runs into one schema would race in CREATE TABLE IF NOT EXISTS (one of them fails
  // on the catalog's unique index), and two older versions' tables would be migrated twice. So
  // creation and migration run in a short transaction of their own, serialised by an advisory
  // lock; the table is then there for every later run (an empty positions table left by a run
  // that rolls back is harmless). Each step is idempotent (ADD COLUMN IF NOT EXISTS), so a table
  // of any older version goes through the steps it lacks: version 1 -> 2 adds nullable columns,
  // 2 -> 3 finished (false for existing rows; PostgreSQL 11+ adds a constant default without
  // rewriting the table).
  KI_RETURN_IF_ERROR(ExecCommand("BEGIN", what));
  Status status = [&]() -> Status {
    const std::string key = "kinesis-import create " + positions_table_sql_;
    KI_RETURN_IF_ERROR(Exec(std::string("SELECT pg_catalog.pg_advisory_xact_lock(") + kPgLockKeySql +
                                ")",
                            {key.c_str()}, what)
                           .status());
    KI_RETURN_IF_ERROR(ExecCommand(
        "CREATE TABLE IF NOT EXISTS " + positions_table_sql_ +
            " (stream_name text NOT NULL, table_name text NOT NULL, shard_id text NOT NULL,"
            " sequence_number text NOT NULL, subsequence_number bigint NOT NULL DEFAULT -1,"
            " updated_at timestamp NOT NULL, resume_at timestamp, stream_arn text,"
            " stream_created_at timestamp, finished boolean NOT NULL DEFAULT false,"
            " PRIMARY KEY (stream_name, table_name, shard_id))",
        what));
    KI_RETURN_IF_ERROR(ExecCommand("ALTER TABLE " + positions_table_sql_ +
                                       " ADD COLUMN IF NOT EXISTS resume_at timestamp,"
                                       " ADD COLUMN IF NOT EXISTS stream_arn text,"
                                       " ADD COLUMN IF NOT EXISTS stream_created_at timestamp",
                                   what + " (migrating to schema version 2)"));
    KI_RETURN_IF_ERROR(ExecCommand("ALTER TABLE " + positions_table_sql_ +
                                       " ADD COLUMN IF NOT EXISTS finished boolean NOT NULL"
                                       " DEFAULT false",
                                   what + " (migrating to schema version 3)"));
    KI_RETURN_IF_ERROR(ExecCommand("CREATE TABLE IF NOT EXISTS " + version_sql +
                                       " (component text PRIMARY KEY, version integer NOT NULL)",
                                   what));
    KI_RETURN_IF_ERROR(ExecCommand("INSERT INTO " + version_sql + " VALUES ('" +
                                       kPositionsComponent + "', " +
                                       std::to_string(kPositionsSchemaVersion) +
                                       ") ON CONFLICT (component) DO UPDATE SET version = "
                                       "EXCLUDED.version",
                                   what));
    return ExecCommand("COMMIT", what);
  }();
  if (!status.ok()) (void)ExecCommand("ROLLBACK", what);
  return status;
}

Status PgPositions::Lock(const std::string& stream) {
  if (shared_ || locked_streams_.count(stream) != 0) return Status::Ok();
  const std::string key = "kinesis-import run\x1f" + positions_table_sql_ + "\x1f" +
                          schema_.QualifiedName() + "\x1f" + stream;
  const std::string what = Describe() + ": locking stream '" + stream + "' for table '" +
                           schema_.QualifiedName() + "'";
  if (wait_for_lock_) {
    KI_RETURN_IF_ERROR(
        Exec(std::string("SELECT pg_catalog.pg_advisory_xact_lock(") + kPgLockKeySql + ")",
             {key.c_str()}, what)
            .status());
  } else {
    KI_ASSIGN_OR_RETURN(
        PgResult locked,
        Exec(std::string("SELECT pg_catalog.pg_try_advisory_xact_lock(") + kPgLockKeySql + ")",
             {key.c_str()}, what));
    if (PgValue(locked.get(), 0, 0).value_or("f") != "t") {
      return FatalError(Describe() + ": another kinesis-import run holds the lock for stream '" +
                        stream + "' and table '" + schema_.QualifiedName() +
                        "'; try again when it has finished");
    }
  }
  locked_streams_.insert(stream);
  return Status::Ok();
}

Result<std::vector<StoredPosition>> PgPositions::List(const std::string& stream, bool lock) {
  if (lock) KI_RETURN_IF_ERROR(Lock(stream));
  const std::string table_key = schema_.QualifiedName();
  KI_ASSIGN_OR_RETURN(
      PgResult rows,
      Exec("SELECT shard_id, sequence_number, subsequence_number::text, "
           "(extract(epoch FROM resume_at) * 1000)::bigint::text, stream_arn, "
           "(extract(epoch FROM stream_created_at) * 1000)::bigint::text, "
           "(extract(epoch FROM updated_at) * 1000000)::bigint::text, "
           "coalesce(finished, false)::text FROM " +
               positions_table_sql_ +
               " WHERE stream_name = $1 AND table_name = $2 ORDER BY shard_id COLLATE \"C\"",
           {stream.c_str(), table_key.c_str()},
           Describe() + ": loading positions of stream '" + stream + "' for table '" +
               table_key + "'"));
  std::vector<StoredPosition> stored;
  for (int r = 0; r < PQntuples(rows.get()); ++r) {
    auto shard = PgValue(rows.get(), r, 0);
    auto sequence = PgValue(rows.get(), r, 1);
    if (!shard || !sequence) continue;
    StoredPosition p;
    p.shard_id = *shard;
    p.position.sequence_number = *sequence;
    p.position.subsequence_number = ParseSqlInt64(PgValue(rows.get(), r, 2)).value_or(-1);
    p.position.resume_timestamp_ms = ParseSqlInt64(PgValue(rows.get(), r, 3)).value_or(-1);
    p.position.stream_arn = PgValue(rows.get(), r, 4).value_or("");
    p.position.stream_created_ms = ParseSqlInt64(PgValue(rows.get(), r, 5)).value_or(-1);
    p.updated_at_us = ParseSqlInt64(PgValue(rows.get(), r, 6)).value_or(0);
    p.position.finished = PgValue(rows.get(), r, 7).value_or("false") == "true";
    stored.push_back(std::move(p));
  }
  return stored;
}

Result<ShardPositions> PgPositions::Load(const std::string& stream) {
  KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> stored, List(stream));
  ShardPositions positions;
  for (StoredPosition& p : stored) positions[p.shard_id] = std::move(p.position);
  if (!positions.empty()) return positions;

  const ColumnSpec* shard_column = schema_.FindMetadata(MetadataColumn::kShardId);
  const ColumnSpec* sequence_column = schema_.FindMetadata(MetadataColumn::kSequenceNumber);
  if (shard_column == nullptr || sequence_column == nullptr) return positions;
  const std::string table_key = schema_.QualifiedName();
  const std::string what =
      Describe() + ": loading positions of stream '" + stream + "' for table '" + table_key + "'";
  // Rows for the table under another stream: the metadata columns may hold that stream's
  // sequence numbers, so nothing is derived and the stream starts at --start-position.
  KI_ASSIGN_OR_RETURN(PgResult others,
                      Exec("SELECT 1 FROM " + positions_table_sql_ +
                               " WHERE table_name = $1 LIMIT 1",
                           {table_key.c_str()}, what));
  if (PQntuples(others.get()) > 0) return positions;

  // No checkpoint for the table at all: the rows say where each shard got to. Sequence numbers
  // are compared as digit strings (longer after leading zeros is larger, then lexicographically
  // in the "C" collation); within one KPL aggregate the highest subsequence number wins, and
  // without a subsequence column the rows holding that sequence number are counted instead.
  // Text that is not a BIGINT in the subsequence column counts as -1.
  const ColumnSpec* sub_column = schema_.FindMetadata(MetadataColumn::kSubsequenceNumber);
  std::string sub_expr = "CAST(-1 AS bigint)";
  if (sub_column != nullptr) {
    const std::string sub_text = "CAST(" + QuoteIdentifier(sub_column->name) + " AS text)";
    sub_expr = "CASE WHEN " + sub_text +
               " ~ '^[[:space:]]*[-+]?[0-9]{1,18}[[:space:]]*$' THEN CAST(btrim(" + sub_text +
               ") AS bigint) ELSE -1 END";
  }
  const std::string shard = QuoteIdentifier(shard_column->name);
  const std::string sequence = QuoteIdentifier(sequence_column->name);
  const std::string derive =
      "SELECT DISTINCT ON (shard) shard, seq, sub::text, n::text FROM (SELECT shard, seq, sub, "
      "digits, count(*) OVER (PARTITION BY shard, digits) AS n FROM (SELECT CAST(" + shard +
      " AS text) AS shard, CAST(" + sequence + " AS text) AS seq, " + sub_expr +
      " AS sub, ltrim(btrim(CAST(" + sequence + " AS text)), '0') AS digits FROM " + table_sql_ +
      " WHERE " + shard + " IS NOT NULL AND " + sequence +
      " IS NOT NULL) r) m ORDER BY shard, length(digits) DESC, digits COLLATE \"C\" DESC, "
      "sub DESC";
  KI_ASSIGN_OR_RETURN(PgResult rows, Exec(derive, {},
                                          what + " from columns '" + shard_column->name +
                                              "' and '" + sequence_column->name + "'"));
  for (int r = 0; r < PQntuples(rows.get()); ++r) {
    auto shard_id = PgValue(rows.get(), r, 0);
    auto seq = PgValue(rows.get(), r, 1);
    if (!shard_id || !seq) continue;
    ShardPosition position(*seq, sub_column != nullptr
                                     ? ParseSqlInt64(PgValue(rows.get(), r, 2)).value_or(-1)
                                     : ParseSqlInt64(PgValue(rows.get(), r, 3)).value_or(1) - 1);
    position.derived = true;
    positions[*shard_id] = std::move(position);
  }
  return positions;
}

Result<int64_t> PgPositions::Delete(const std::string& stream, const std::string& shard_id) {
  KI_RETURN_IF_ERROR(Lock(stream));
  const std::string table_key = schema_.QualifiedName();
  std::string sql =
      "DELETE FROM " + positions_table_sql_ + " WHERE stream_name = $1 AND table_name = $2";
  std::vector<const char*> params{stream.c_str(), table_key.c_str()};
  if (!shard_id.empty()) {
    sql += " AND shard_id = $3";
    params.push_back(shard_id.c_str());
  }
  KI_ASSIGN_OR_RETURN(PgResult result,
                      Exec(sql, params,
                           Describe() + ": deleting positions of stream '" + stream +
                               "' for table '" + table_key + "'"));
  return ParseSqlInt64(std::string(PQcmdTuples(result.get()))).value_or(0);
}

Status PgPositions::Save(const std::string& stream, const ShardPositions& positions) {
  KI_RETURN_IF_ERROR(Lock(stream));
  const std::string table_key = schema_.QualifiedName();
  const std::string now = PgTimestampText(PgNowMicros(*clock_));
  const std::string upsert =
      "INSERT INTO " + positions_table_sql_ +
      " (stream_name, table_name, shard_id, sequence_number, subsequence_number, updated_at,"
      " resume_at, stream_arn, stream_created_at, finished)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
      " ON CONFLICT (stream_name, table_name, shard_id)"
      " DO UPDATE SET sequence_number = EXCLUDED.sequence_number,"
      " subsequence_number = EXCLUDED.subsequence_number, updated_at = EXCLUDED.updated_at,"
      " resume_at = EXCLUDED.resume_at, stream_arn = EXCLUDED.stream_arn,"
      " stream_created_at = EXCLUDED.stream_created_at, finished = EXCLUDED.finished";
  auto optional_timestamp = [](int64_t epoch_ms) {
    return epoch_ms < 0 ? std::optional<std::string>()
                        : std::optional<std::string>(PgTimestampText(epoch_ms * 1000));
  };
  for (const auto& [shard_id, position] : positions) {
    const std::string subsequence = std::to_string(position.subsequence_number);
    const auto resume_at = optional_timestamp(position.resume_timestamp_ms);
    const auto created_at = optional_timestamp(position.stream_created_ms);
    KI_RETURN_IF_ERROR(Exec(upsert,
                            {stream.c_str(), table_key.c_str(), shard_id.c_str(),
                             position.sequence_number.c_str(), subsequence.c_str(), now.c_str(),
                             resume_at ? resume_at->c_str() : nullptr,
                             position.stream_arn.empty() ? nullptr : position.stream_arn.c_str(),
                             created_at ? created_at->c_str() : nullptr,
                             position.finished ? "true" : "false"},
                            Describe() + ": saving position of stream '" + stream + "' shard '" +
                                shard_id + "' for table '" + table_key + "'")
                           .status());
  }
  return Status::Ok();
}

}  // namespace ki
