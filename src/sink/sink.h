// The seam between the pipeline and a database. One run = Begin, LoadPositions, any number of
// Append calls, SavePositions, then Commit (or Rollback). Rows, rejects and positions share one
// transaction, which is what makes a run exactly-once: a failed or killed run changes nothing.
// A Sink is used from one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

// Where a shard was left: the last imported record's sequence number and, inside a KPL
// aggregate, the last imported user record's subsequence number (-1: the whole record).
struct ShardPosition {
  ShardPosition() = default;
  ShardPosition(std::string sequence, int64_t subsequence)
      : sequence_number(std::move(sequence)), subsequence_number(subsequence) {}

  // Empty for a shard that has not returned a record yet but must not forget where it started
  // (--start-position latest): it resumes AT_TIMESTAMP resume_timestamp_ms.
  std::string sequence_number;
  int64_t subsequence_number = -1;
  int64_t resume_timestamp_ms = -1;  // epoch ms; only with an empty sequence_number
  // The stream this position belongs to (DescribeStreamSummary's ARN and creation time), so a
  // deleted and recreated stream is noticed. Empty / -1 for rows written before they were kept.
  std::string stream_arn;
  int64_t stream_created_ms = -1;
  // Derived from the table's metadata columns, not read from the positions table. Then
  // subsequence_number counts the user records of that record the table already holds, minus one
  // (the record is re-read AT its sequence number and those user records are skipped).
  bool derived = false;
  // The shard is closed and was read to its end: it is never read again (its children may be).
  // Stored with the last position (positions table schema version 3).
  bool finished = false;
  bool operator==(const ShardPosition&) const = default;
};

using ShardPositions = std::map<std::string, ShardPosition>;  // shard id -> position

// For logs and test failures: "seq/sub", "@<ms>" for a time position, "(derived)".
inline std::ostream& operator<<(std::ostream& os, const ShardPosition& p) {
  os << (p.sequence_number.empty() ? std::string("-") : p.sequence_number) << "/"
     << p.subsequence_number;
  if (p.resume_timestamp_ms >= 0) os << " @" << p.resume_timestamp_ms;
  if (!p.stream_arn.empty()) os << " " << p.stream_arn << "@" << p.stream_created_ms;
  if (p.derived) os << " (derived)";
  if (p.finished) os << " (finished)";
  return os;
}

// A row of the positions table, for `kinesis-import positions show`.
struct StoredPosition {
  std::string shard_id;
  ShardPosition position;
  int64_t updated_at_us = 0;
};

// Records lost to the stream's retention before they were imported (--on-trimmed continue):
// a row of the kinesis_import_gaps table, written in the transaction that reads past the gap.
struct RetentionGap {
  std::string stream;
  std::string shard_id;
  // The last imported position (the stored one), and the first record read after the gap
  // (empty when nothing of the shard is left: it expired from the stream).
  std::string last_sequence_number;
  int64_t last_subsequence_number = -1;
  std::string first_sequence_number_after;
  int64_t detected_at_us = 0;  // epoch microseconds
};

// A record that could not be converted, kept for replay under the dead-letter policy.
struct RejectedRecord {
  std::string stream;
  std::string shard_id;
  std::string sequence_number;
  int64_t subsequence_number = -1;  // -1: not inside an aggregate / NDJSON record (NULL)
  std::string partition_key;
  int64_t arrival_time_us = 0;  // ApproximateArrivalTimestamp
  std::string payload;          // the user record's bytes as received (before decompression)
  std::string error;            // the one-line reason (column, value excerpt, why)
};

// Several workers sharing a stream (docs/scale-out.md): what a commit must still hold. Checked
// inside the data transaction, right before COMMIT.
struct LeaseFence {
  std::string stream;
  std::string owner;                      // this worker's id
  std::map<std::string, int64_t> epochs;  // shard id -> the epoch this worker claimed
  std::vector<std::string> finished;      // shards read to their end in this commit
};

class Sink {
 public:
  virtual ~Sink() = default;

  // A description for messages, without secrets (e.g. "DuckDB file 'kinesis.duckdb'").
  virtual std::string Describe() const = 0;

  // Reads the target table's columns from the catalog. `table` may be schema-qualified.
  // NotFound when it does not exist, with a CREATE TABLE suggestion in the message.
  virtual Result<TableSchema> DescribeTable(const std::string& table) = 0;

  // Starts the run's transaction for `schema` (the result of DescribeTable). Creates the positions
  // table (kinesis_import_positions, in the target table's schema) if it does not exist, and
  // migrates one written by an earlier version in place (its schema version is kept in
  // kinesis_import_schema_version beside it; see docs/positions.md).
  virtual Status Begin(const TableSchema& schema) = 0;

  // Positions of `stream` for the table given to Begin. From the positions table; when it has no
  // row for this table at all (for no stream: a table filled by the Exasol connector, or lost
  // positions), derived from the table's metadata columns if it has them: per kinesis_shard_id
  // the numerically largest shard_sequence_number and, with a kinesis_subsequence_number column,
  // the largest subsequence number there, else the number of rows with that sequence number
  // minus one (see ShardPosition::derived).
  virtual Result<ShardPositions> LoadPositions(const std::string& stream) = 0;

  // Whether the target table holds any row (a table recreated empty under old positions).
  virtual Result<bool> TableHasRows() = 0;

  // Appends the batch's rows; its columns are the schema's columns in order.
  virtual Status Append(const RowBatch& batch) = 0;

  // Records the positions of the shards that moved in this run (others stay as they are),
  // including ShardPosition::finished.
  virtual Status SavePositions(const std::string& stream, const ShardPositions& positions) = 0;

  // The stored positions of `stream` for the table (never derived), ordered by shard id.
  virtual Result<std::vector<StoredPosition>> ListPositions(const std::string& stream) = 0;
  // ListPositions without taking the run's lock (PostgreSQL, the in-memory sink): the last
  // committed positions, so `kinesis-import status` can look while a run or follow of the stream
  // has its transaction open. Sinks without run locks list as ListPositions does.
  virtual Result<std::vector<StoredPosition>> PeekPositions(const std::string& stream) {
    return ListPositions(stream);
  }
  // Deletes the stored positions of `stream` for the table: one shard, or all with an empty
  // `shard_id`. Returns how many rows were deleted. Inside the open transaction.
  virtual Result<int64_t> DeletePositions(const std::string& stream, const std::string& shard_id) = 0;

  // Dead-letter policy: creates the rejects table if it does not exist (`rejects_table` may be
  // schema-qualified; default name chosen by the caller: "<table>_rejects"), inside the run's
  // transaction, with the columns
  //   stream_name VARCHAR, shard_id VARCHAR, sequence_number VARCHAR, subsequence_number BIGINT,
  //   partition_key VARCHAR, arrival_time TIMESTAMP, payload BLOB (bytea), error VARCHAR (text),
  //   rejected_at TIMESTAMP
  // An existing table must have at least these columns (by name); otherwise an error naming the
  // missing ones. Call after Begin, before the first AppendRejects.
  virtual Status PrepareRejects(const std::string& rejects_table) = 0;
  // Appends rejected records to the rejects table, in the run's transaction.
  virtual Status AppendRejects(const std::vector<RejectedRecord>& rejects) = 0;

  // Appends rows to the gaps table (kinesis_import_gaps, beside the positions table: stream_name,
  // table_name, shard_id, last_sequence_number, last_subsequence_number,
  // first_sequence_number_after, detected_at), created if missing, in the open transaction.
  virtual Status SaveGaps(const std::vector<RetentionGap>& gaps) = 0;
  // How many gaps table rows there are for `stream` and the table given to Begin (0 while the
  // gaps table does not exist). Only reads, inside the open transaction (`kinesis-import status`).
  virtual Result<int64_t> CountGaps(const std::string& stream) = 0;

  // Leases (several workers sharing a stream): inside the open transaction, locks the lease rows
  // of fence.epochs (so a takeover waits until this transaction ends) and returns the shards whose
  // lease this worker no longer holds with the claimed epoch (empty: the commit may go ahead);
  // marks the fence.finished leases finished, in the same transaction. Only a PostgreSQL target
  // has leases: the default says so.
  virtual Result<std::vector<std::string>> CheckLeases(const LeaseFence& /*fence*/) {
    return InvalidArgument(Describe() + " cannot share a stream between workers (leases need PostgreSQL)");
  }

  virtual Status Commit() = 0;
  // Undoes everything since Begin. Safe to call when nothing was begun.
  virtual void Rollback() = 0;
};

}  // namespace ki
