// The positions table both sinks keep beside the target table, and its schema version. Version 1
// (kinesis-import 0.1) had stream_name, table_name, shard_id, sequence_number,
// subsequence_number, updated_at. Version 2 adds resume_at (a time to resume AT_TIMESTAMP from,
// for a shard that has not returned a record yet; sequence_number is then ''), stream_arn and
// stream_created_at (which stream the position belongs to). A sink's Begin migrates an older
// table in place; docs/positions.md describes the table for users.
#pragma once

namespace ki {

inline constexpr char kPositionsTable[] = "kinesis_import_positions";
inline constexpr char kSchemaVersionTable[] = "kinesis_import_schema_version";
inline constexpr char kPositionsComponent[] = "positions";
inline constexpr int kPositionsSchemaVersion = 2;

}  // namespace ki
