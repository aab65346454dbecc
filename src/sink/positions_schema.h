// The positions table both sinks keep beside the target table, and its schema version. Version 1
// (kinesis-import 0.1) had stream_name, table_name, shard_id, sequence_number,
// subsequence_number, updated_at. Version 2 adds resume_at (a time to resume AT_TIMESTAMP from,
// for a shard that has not returned a record yet; sequence_number is then ''), stream_arn and
// stream_created_at (which stream the position belongs to). Version 3 adds finished (the closed
// shard was read to its end and is never read again; false for existing rows). A sink's Begin
// migrates an older table in place; docs/positions.md describes the table for users.
//
// Version 3 also brings kinesis_import_gaps beside it (created by the first Sink::SaveGaps that
// has rows): the retention gaps, records trimmed from the stream before they were imported.
#pragma once

namespace ki {

inline constexpr char kPositionsTable[] = "kinesis_import_positions";
inline constexpr char kSchemaVersionTable[] = "kinesis_import_schema_version";
inline constexpr char kPositionsComponent[] = "positions";
inline constexpr char kGapsTable[] = "kinesis_import_gaps";
inline constexpr int kPositionsSchemaVersion = 3;

}  // namespace ki
