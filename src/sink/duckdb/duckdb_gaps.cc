// The DuckDB sink's retention gaps (a member of DuckDbSink, see duckdb_sink.h): kinesis_import_gaps
// beside the positions table, created if missing and filled inside the run's transaction.
#include <chrono>
#include <string_view>

#include "sink/duckdb/duckdb_sink.h"
#include "sink/duckdb/duckdb_statements.h"
#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"

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

}  // namespace ki
