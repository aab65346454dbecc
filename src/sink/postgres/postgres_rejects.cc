#include "sink/postgres/postgres_rejects.h"

#include <set>

#include "sink/postgres/postgres_params.h"
#include "sink/sql_identifier.h"

namespace ki {

Status PgRejects::Prepare(const std::string& rejects_table, const std::string& default_schema) {
  PostgresConnection& connection = *connection_;
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(rejects_table, UnquotedCase::kFoldToLower, "database.schema.table"));
  if (parts.size() == 3) parts.erase(parts.begin());  // the database: the connected one
  if (parts.size() == 1 && !default_schema.empty()) parts.insert(parts.begin(), default_schema);
  const std::string quoted =
      parts.size() == 2 ? PgQualifiedSql(parts[0], parts[1]) : QuoteIdentifier(parts[0]);
  const std::string what = connection.Describe() + ": rejects table '" + rejects_table + "'";
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + quoted +
      " (stream_name text, shard_id text, sequence_number text, subsequence_number bigint,"
      " partition_key text, arrival_time timestamp, payload bytea, error text,"
      " rejected_at timestamp)";
  // Inside the run's transaction, so a rolled-back run leaves no rejects table behind; a
  // concurrent creation by another run is retried.
  KI_RETURN_IF_ERROR(PgCreateTableInRun(connection, create, what));
  KI_ASSIGN_OR_RETURN(
      PgResult columns,
      connection.Exec("SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
           "pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
           {quoted.c_str()}, what));
  std::set<std::string> present;
  for (int r = 0; r < PQntuples(columns.get()); ++r) present.insert(PQgetvalue(columns.get(), r, 0));
  std::string missing;
  for (const char* name : {"stream_name", "shard_id", "sequence_number", "subsequence_number",
                           "partition_key", "arrival_time", "payload", "error", "rejected_at"}) {
    if (present.count(name) == 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty()) {
    return FatalError(what + " exists but lacks the columns " + missing);
  }
  table_sql_ = quoted;
  return Status::Ok();
}


Status PgRejects::Append(const std::vector<RejectedRecord>& rejects) {
  PostgresConnection& connection = *connection_;
  const std::string insert =
      "INSERT INTO " + table_sql_ +
      " (stream_name, shard_id, sequence_number, subsequence_number, partition_key,"
      " arrival_time, payload, error, rejected_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  const std::string now = PgTimestampText(PgNowMicros(*clock_));
  for (const RejectedRecord& r : rejects) {
    const std::string stream = PgSanitizeText(r.stream);
    const std::string shard = PgSanitizeText(r.shard_id);
    const std::string sequence = PgSanitizeText(r.sequence_number);
    const std::string subsequence = std::to_string(r.subsequence_number);
    const std::string partition_key = PgSanitizeText(r.partition_key);
    const std::string arrival = PgTimestampText(r.arrival_time_us);
    const std::string payload = PgByteaHex(r.payload);
    const std::string error = PgSanitizeText(r.error);
    KI_RETURN_IF_ERROR(
        connection.Exec(insert,
             {stream.c_str(), shard.c_str(), sequence.c_str(),
              r.subsequence_number >= 0 ? subsequence.c_str() : nullptr, partition_key.c_str(),
              arrival.c_str(), payload.c_str(), error.c_str(), now.c_str()},
             connection.Describe() + ": writing a rejected record of shard '" + r.shard_id + "'")
            .status());
  }
  return Status::Ok();
}

}  // namespace ki
