// The DuckDB sink's retention gaps (a member of DuckDbSink, see duckdb_sink.h): kinesis_import_gaps
// beside the positions table, created if missing and filled inside the run's transaction.
#include <chrono>
#include <string_view>

#include "sink/duckdb/duckdb_sink.h"
#include "sink/duckdb/duckdb_statements.h"
#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"
#include "sink/sql_text.h"

namespace ki {

using namespace duckdb_statements;  // NOLINT(google-build-using-namespace)

Status DuckDbSink::SaveGaps(const std::vector<RetentionGap>& gaps) {
  if (!in_transaction_) return InternalError(Describe() + ": SaveGaps called before Begin");
  if (broken_) return IoError(TableForMessages() + ": an earlier append failed; roll back");
  if (gaps.empty()) return Status::Ok();
  const std::string gaps_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      kGapsTable;
  const std::string what = Describe() + ": " + gaps_sql;
  // In the run's transaction: a rolled-back run leaves no gaps table behind. One process at a
  // time has the file open, so no other run can be creating it at the same time.
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + gaps_sql +
      " (stream_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, shard_id VARCHAR NOT NULL,"
      " last_sequence_number VARCHAR, last_subsequence_number BIGINT,"
      " first_sequence_number_after VARCHAR, detected_at TIMESTAMP NOT NULL)";
  KI_RETURN_IF_ERROR(Execute(create.c_str(), what + ": creating it"));
  DuckDbPreparedStatement insert;
  KI_RETURN_IF_ERROR(Prepare("INSERT INTO " + gaps_sql +
                                 " (stream_name, table_name, shard_id, last_sequence_number,"
                                 " last_subsequence_number, first_sequence_number_after,"
                                 " detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                             insert, what));
  const std::string table_key = schema_.QualifiedName();
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             clock_->Now().time_since_epoch())
                             .count();
  auto text_or_null = [](const std::string& s) {
    return s.empty() ? SqlParam{} : SqlParam{std::string_view(s)};
  };
  for (const RetentionGap& gap : gaps) {
    DuckDbResult inserted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        insert.get(),
        {std::string_view(gap.stream), std::string_view(table_key), std::string_view(gap.shard_id),
         text_or_null(gap.last_sequence_number),
         gap.last_subsequence_number < 0 ? SqlParam{} : SqlParam{gap.last_subsequence_number},
         text_or_null(gap.first_sequence_number_after),
         duckdb_timestamp{gap.detected_at_us > 0 ? gap.detected_at_us : now_us}},
        what + ": writing the gap of stream '" + gap.stream + "' shard '" + gap.shard_id + "'",
        inserted));
  }
  return Status::Ok();
}

Result<int64_t> DuckDbSink::CountGaps(const std::string& stream) {
  if (!in_transaction_) return InternalError(Describe() + ": CountGaps called before Begin");
  const std::string gaps_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      kGapsTable;
  const std::string table_key = schema_.QualifiedName();
  const std::string what = Describe() + ": counting the gaps of stream '" + stream +
                           "' for table '" + table_key + "' in " + gaps_sql;
  // The catalog first: the table exists only once a gap was recorded.
  KI_ASSIGN_OR_RETURN(
      std::vector<SqlRow> exists,
      QueryTextRows(connection_.get(),
                    "SELECT CAST(count(*) AS VARCHAR) FROM duckdb_tables() WHERE database_name = "
                    "current_database() AND schema_name = coalesce(nullif($1, ''), current_schema()) "
                    "AND table_name = $2",
                    {std::string_view(schema_.schema), std::string_view(kGapsTable)}, what));
  if (exists.empty() || ParseSqlInt64(exists[0][0]).value_or(0) == 0) return 0;
  KI_ASSIGN_OR_RETURN(
      std::vector<SqlRow> counted,
      QueryTextRows(connection_.get(),
                    "SELECT CAST(count(*) AS VARCHAR) FROM " + gaps_sql +
                        " WHERE stream_name = $1 AND table_name = $2",
                    {std::string_view(stream), std::string_view(table_key)}, what));
  return counted.empty() ? 0 : ParseSqlInt64(counted[0][0]).value_or(0);
}

}  // namespace ki
