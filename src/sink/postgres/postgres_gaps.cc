#include "sink/postgres/postgres_gaps.h"

#include <string>

#include "sink/positions_schema.h"
#include "sink/postgres/postgres_params.h"
#include "sink/sql_text.h"

namespace ki {

Status SavePgGaps(PostgresConnection& connection, Clock& clock, const TableSchema& schema,
                  const std::vector<RetentionGap>& gaps) {
  if (gaps.empty()) return Status::Ok();
  const std::string gaps_sql = PgQualifiedSql(schema.schema, kGapsTable);
  const std::string what = connection.Describe() + ": " + gaps_sql;
  // detected_at is a point in time (timestamptz), given to the server as UTC.
  KI_RETURN_IF_ERROR(PgCreateTableInRun(
      connection,
      "CREATE TABLE IF NOT EXISTS " + gaps_sql +
          " (stream_name text NOT NULL, table_name text NOT NULL, shard_id text NOT NULL,"
          " last_sequence_number text, last_subsequence_number bigint,"
          " first_sequence_number_after text, detected_at timestamptz NOT NULL)",
      what));
  const std::string insert =
      "INSERT INTO " + gaps_sql +
      " (stream_name, table_name, shard_id, last_sequence_number, last_subsequence_number,"
      " first_sequence_number_after, detected_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7::timestamp AT TIME ZONE 'UTC')";
  const std::string table_key = schema.QualifiedName();  // as in the positions table
  const int64_t now_us = PgNowMicros(clock);
  for (const RetentionGap& gap : gaps) {
    const std::string stream = PgSanitizeText(gap.stream);
    const std::string shard = PgSanitizeText(gap.shard_id);
    const std::string last = PgSanitizeText(gap.last_sequence_number);
    const std::string last_sub = std::to_string(gap.last_subsequence_number);
    const std::string after = PgSanitizeText(gap.first_sequence_number_after);
    const std::string detected =
        PgTimestampText(gap.detected_at_us > 0 ? gap.detected_at_us : now_us);
    KI_RETURN_IF_ERROR(
        connection
            .Exec(insert,
                  {stream.c_str(), table_key.c_str(), shard.c_str(),
                   last.empty() ? nullptr : last.c_str(),
                   gap.last_subsequence_number < 0 ? nullptr : last_sub.c_str(),
                   after.empty() ? nullptr : after.c_str(), detected.c_str()},
                  what + ": writing the gap of stream '" + gap.stream + "' shard '" +
                      gap.shard_id + "'")
            .status());
  }
  return Status::Ok();
}

Result<int64_t> CountPgGaps(PostgresConnection& connection, const TableSchema& schema,
                            const std::string& stream) {
  const std::string gaps_sql = PgQualifiedSql(schema.schema, kGapsTable);
  const std::string table_key = schema.QualifiedName();
  const std::string what = connection.Describe() + ": counting the gaps of stream '" + stream +
                           "' for table '" + table_key + "' in " + gaps_sql;
  KI_ASSIGN_OR_RETURN(PgResult exists,
                      connection.Exec("SELECT pg_catalog.to_regclass($1)::text", {gaps_sql.c_str()}, what));
  if (!PgValue(exists.get(), 0, 0)) return 0;
  KI_ASSIGN_OR_RETURN(PgResult counted,
                      connection.Exec("SELECT count(*)::text FROM " + gaps_sql +
                                          " WHERE stream_name = $1 AND table_name = $2",
                                      {stream.c_str(), table_key.c_str()}, what));
  return ParseSqlInt64(PgValue(counted.get(), 0, 0)).value_or(0);
}

}  // namespace ki
