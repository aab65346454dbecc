// The DuckDB sink's positions (members of DuckDbSink, see duckdb_sink.h): creating or migrating
// kinesis_import_positions (positions_schema.h) inside Begin's transaction, listing, loading (with
// the derivation from the metadata columns when the table has no checkpoint), saving and deleting
// the shards' positions, and whether the target table has rows.
#include "sink/duckdb/duckdb_sink.h"

#include <chrono>
#include <string_view>

#include "sink/duckdb/duckdb_statements.h"
#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"

namespace ki {

using namespace duckdb_statements;  // NOLINT(google-build-using-namespace)

Status DuckDbSink::MigratePositionsTable(const std::string& version_table_sql) {
  const std::string what = Describe() + ": preparing " + positions_table_sql_;
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + positions_table_sql_ +
      " (stream_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, shard_id VARCHAR NOT NULL,"
      " sequence_number VARCHAR NOT NULL, subsequence_number BIGINT NOT NULL DEFAULT -1,"
      " updated_at TIMESTAMP NOT NULL, resume_at TIMESTAMP, stream_arn VARCHAR,"
      " stream_created_at TIMESTAMP, finished BOOLEAN NOT NULL DEFAULT false)";
  KI_RETURN_IF_ERROR(Execute(create.c_str(), what));
  const std::string create_version = "CREATE TABLE IF NOT EXISTS " + version_table_sql +
                                     " (component VARCHAR NOT NULL, version INTEGER NOT NULL)";
  KI_RETURN_IF_ERROR(Execute(create_version.c_str(), what));
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(),
                                    "SELECT CAST(max(version) AS VARCHAR) FROM " +
                                        version_table_sql + " WHERE component = $1",
                                    {std::string_view(kPositionsComponent)}, what));
  const int64_t version = rows.empty() ? 1 : ParseSqlInt64(rows[0][0]).value_or(1);
  if (version == kPositionsSchemaVersion) return Status::Ok();
  if (version > kPositionsSchemaVersion) {
    return FatalError(Describe() + ": " + positions_table_sql_ + " has schema version " +
                      std::to_string(version) + ", written by a newer kinesis-import; this one "
                      "knows version " + std::to_string(kPositionsSchemaVersion) + ": upgrade it");
  }
  // In the run's transaction, each step idempotent (ADD COLUMN IF NOT EXISTS), so a table of any
  // older version goes through the steps it lacks. Version 1 -> 2: the new columns are NULL for
  // existing rows. Version 2 -> 3: finished is false for them. DuckDB cannot add a column with a
  // constraint ("Adding columns with constraints not yet supported"), so a migrated table's
  // finished is nullable where a new table's is NOT NULL; every row written sets it, and reads
  // take NULL as false.
  for (const char* column : {"resume_at TIMESTAMP", "stream_arn VARCHAR",
                             "stream_created_at TIMESTAMP"}) {
    const std::string alter =
        "ALTER TABLE " + positions_table_sql_ + " ADD COLUMN IF NOT EXISTS " + column;
    KI_RETURN_IF_ERROR(Execute(alter.c_str(), what + " (migrating to schema version 2)"));
  }
  const std::string add_finished = "ALTER TABLE " + positions_table_sql_ +
                                   " ADD COLUMN IF NOT EXISTS finished BOOLEAN DEFAULT false";
  KI_RETURN_IF_ERROR(Execute(add_finished.c_str(), what + " (migrating to schema version 3)"));
  KI_RETURN_IF_ERROR(ExecuteWithParams(connection_.get(),
                                       "DELETE FROM " + version_table_sql + " WHERE component = $1",
                                       {std::string_view(kPositionsComponent)}, what));
  return ExecuteWithParams(connection_.get(),
                           "INSERT INTO " + version_table_sql + " VALUES ($1, " +
                               std::to_string(kPositionsSchemaVersion) + ")",
                           {std::string_view(kPositionsComponent)}, what);
}

Result<std::vector<StoredPosition>> DuckDbSink::ListPositions(const std::string& stream) {
  if (!in_transaction_) return InternalError(Describe() + ": ListPositions called before Begin");
  const std::string table_key = schema_.QualifiedName();
  const std::string what =
      Describe() + ": loading positions of stream '" + stream + "' for table '" + table_key + "'";
  DuckDbResult result;
  KI_RETURN_IF_ERROR(ExecutePrepared(select_positions_.get(),
                                     {std::string_view(stream), std::string_view(table_key)},
                                     what, result));
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, ReadTextRows(result, what));
  std::vector<StoredPosition> stored;
  for (const SqlRow& row : rows) {
    if (!row[0] || !row[1]) continue;
    StoredPosition p;
    p.shard_id = *row[0];
    p.position.sequence_number = *row[1];
    p.position.subsequence_number = ParseSqlInt64(row[2]).value_or(-1);
    p.position.resume_timestamp_ms = ParseSqlInt64(row[3]).value_or(-1);
    p.position.stream_arn = row[4].value_or("");
    p.position.stream_created_ms = ParseSqlInt64(row[5]).value_or(-1);
    p.updated_at_us = ParseSqlInt64(row[6]).value_or(0);
    p.position.finished = row[7].value_or("false") == "true";
    stored.push_back(std::move(p));
  }
  return stored;
}

Result<ShardPositions> DuckDbSink::LoadPositions(const std::string& stream) {
  if (!in_transaction_) {
    return InternalError(Describe() + ": LoadPositions called before Begin");
  }
  KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> stored, ListPositions(stream));
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
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> others,
                      QueryTextRows(connection_.get(),
                                    "SELECT 'x' FROM " + positions_table_sql_ +
                                        " WHERE table_name = $1 LIMIT 1",
                                    {std::string_view(table_key)}, what));
  if (!others.empty()) return positions;

  // No checkpoint for the table at all: the rows themselves say where each shard got to.
  // Sequence numbers are decimal strings of up to 129 digits, so they are compared as digit
  // strings: longer (after leading zeros) is larger, equal lengths compare lexicographically.
  // Within one KPL aggregate (same sequence number) the highest subsequence number wins; without
  // a subsequence column the rows holding that sequence number are counted instead.
  const ColumnSpec* sub_column = schema_.FindMetadata(MetadataColumn::kSubsequenceNumber);
  const std::string sub_expr =
      sub_column == nullptr
          ? std::string("CAST(-1 AS BIGINT)")
          : "coalesce(TRY_CAST(" + QuoteIdentifier(sub_column->name) + " AS BIGINT), -1)";
  const std::string shard = QuoteIdentifier(shard_column->name);
  const std::string sequence = QuoteIdentifier(sequence_column->name);
  const std::string table_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      QuoteIdentifier(schema_.table);
  const std::string derive =
      "WITH r AS (SELECT CAST(" + shard + " AS VARCHAR) AS shard, CAST(" + sequence +
      " AS VARCHAR) AS seq, " + sub_expr + " AS sub FROM " + table_sql + " WHERE " + shard +
      " IS NOT NULL AND " + sequence +
      " IS NOT NULL), k AS (SELECT shard, seq, sub, ltrim(trim(seq), '0') AS digits FROM r), "
      "m AS (SELECT *, count(*) OVER (PARTITION BY shard, digits) AS n FROM k) "
      "SELECT shard, seq, CAST(sub AS VARCHAR), CAST(n AS VARCHAR) FROM m "
      "QUALIFY row_number() OVER (PARTITION BY shard ORDER BY length(digits) DESC, "
      "digits DESC, sub DESC) = 1";
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(), derive, {},
                                    what + " from columns '" + shard_column->name + "' and '" +
                                        sequence_column->name + "'"));
  for (const SqlRow& row : rows) {
    if (!row[0] || !row[1]) continue;
    ShardPosition position;
    position.sequence_number = *row[1];
    position.subsequence_number = sub_column != nullptr ? ParseSqlInt64(row[2]).value_or(-1)
                                                        : ParseSqlInt64(row[3]).value_or(1) - 1;
    position.derived = true;
    positions[*row[0]] = std::move(position);
  }
  return positions;
}

Result<bool> DuckDbSink::TableHasRows() {
  if (!in_transaction_) return InternalError(Describe() + ": TableHasRows called before Begin");
  const std::string table_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      QuoteIdentifier(schema_.table);
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(), "SELECT 'x' FROM " + table_sql + " LIMIT 1",
                                    {}, TableForMessages() + ": looking for rows"));
  return !rows.empty();
}

Result<int64_t> DuckDbSink::DeletePositions(const std::string& stream, const std::string& shard_id) {
  if (!in_transaction_) return InternalError(Describe() + ": DeletePositions called before Begin");
  const std::string table_key = schema_.QualifiedName();
  const std::string what = Describe() + ": deleting positions of stream '" + stream +
                           "' for table '" + table_key + "'";
  std::string sql = "DELETE FROM " + positions_table_sql_ +
                    " WHERE stream_name = $1 AND table_name = $2";
  if (!shard_id.empty()) sql += " AND shard_id = $3";
  DuckDbPreparedStatement statement;
  KI_RETURN_IF_ERROR(Prepare(sql, statement, what));
  DuckDbResult result;
  if (shard_id.empty()) {
    KI_RETURN_IF_ERROR(ExecutePrepared(
        statement.get(), {std::string_view(stream), std::string_view(table_key)}, what, result));
  } else {
    KI_RETURN_IF_ERROR(ExecutePrepared(
        statement.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id)}, what,
        result));
  }
  return static_cast<int64_t>(duckdb_rows_changed(result.get()));
}

Status DuckDbSink::SavePositions(const std::string& stream, const ShardPositions& positions) {
  if (!in_transaction_) {
    return InternalError(Describe() + ": SavePositions called before Begin");
  }
  if (broken_) return IoError(TableForMessages() + ": an earlier append failed; roll back");
  KI_RETURN_IF_ERROR(FlushAppender());

  const std::string table_key = schema_.QualifiedName();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          clock_->Now().time_since_epoch())
                          .count();
  const duckdb_timestamp now{static_cast<int64_t>(micros)};
  for (const auto& [shard_id, position] : positions) {
    const std::string what = Describe() + ": saving position of stream '" + stream +
                             "' shard '" + shard_id + "' for table '" + table_key + "'";
    DuckDbResult deleted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        delete_position_.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id)}, what,
        deleted));
    DuckDbResult inserted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        insert_position_.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id),
         std::string_view(position.sequence_number), position.subsequence_number, now,
         OptionalTimestamp(position.resume_timestamp_ms),
         position.stream_arn.empty() ? SqlParam{} : SqlParam{std::string_view(position.stream_arn)},
         OptionalTimestamp(position.stream_created_ms), position.finished},
        what, inserted));
  }
  return Status::Ok();
}

}  // namespace ki
