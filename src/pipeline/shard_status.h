// What `kinesis-import status` reports (docs/status.md): per shard of a stream, for one table, the
// shard's state in the import (from ShardGraph and the stored positions, by the same rule the
// engine reads by), where it stands, how far behind latest it is now and how long until the
// oldest record it has not imported is trimmed by the stream's retention; then a summary.
//
// Never moves a position: the stored state is read in a transaction that is rolled back, and the
// lag comes from GetRecords calls with Limit 1 whose iterators are thrown away. The computation
// takes a RecordSource and plain positions, so the unit tests drive it with a scripted source
// and the same values can later feed metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "kinesis/kinesis_types.h"
#include "kinesis/shard_graph.h"
#include "pipeline/record_source.h"
#include "sink/sink.h"

namespace ki {

// A shard's state in the import. The names (ShardStateName) are interface: status' output.
enum class ShardState {
  kOpen,              // open in the stream, has a stored position: being imported
  kClosed,            // closed by a split or merge, has a stored position, not read to its end yet
  kFinished,          // closed and read to its end: never read again
  kWaitingForParent,  // a parent still listed is not finished: not read before it is
  kNotStarted,        // readable, but no stored position yet: the next run starts it
  kExpired,           // a stored position of a shard the stream no longer lists, not finished:
                      // what it held after the position was trimmed before it was imported
};
const char* ShardStateName(ShardState state);

// The rule, without I/O: `position` is the shard's stored position (nullptr when none);
// `graph` knows the listed shards and which are finished.
ShardState DeriveShardState(const ShardGraph& graph, const std::string& shard_id,
                            const ShardPosition* position);

struct ShardStatus {
  std::string shard_id;
  ShardState state = ShardState::kNotStarted;
  std::vector<std::string> parents;
  // The stored position (empty / -1 without one; a time-only position has resume_timestamp_ms).
  std::string sequence_number;
  int64_t subsequence_number = -1;
  int64_t resume_timestamp_ms = -1;
  bool derived = false;  // derived from the table's metadata columns (no positions table rows)
  // ApproximateArrivalTimestamp of the last imported record: the record at the stored position,
  // read back from the stream. Unknown while the shard has none, once it is trimmed, and for
  // finished shards (not probed).
  std::optional<int64_t> last_arrival_ms;
  // MillisBehindLatest of a GetRecords (Limit 1) at the stored position, or at the shard's start
  // position without one. 0 for a finished shard.
  std::optional<int64_t> behind_latest_ms;
  // Known only when nothing is left to import (0); Kinesis does not count records otherwise.
  std::optional<int64_t> records_behind;
  // The oldest record not imported yet: its arrival, and the time until retention trims it
  // (0 when records were already trimmed before they were imported). Unknown (nullopt) when
  // nothing is waiting or it could not be found within a few reads.
  std::optional<int64_t> oldest_unimported_arrival_ms;
  std::optional<int64_t> retention_left_ms;
  // The record at the stored position is gone: records after it were trimmed unimported, so the
  // next run meets a retention gap (--on-trimmed).
  bool trimmed = false;
  // Leases (several workers, issue 13): which worker holds the shard and its lease epoch.
  // Empty until leases exist; printed as null.
  std::optional<std::string> owner;
  std::optional<int64_t> epoch;
  // The probe of this shard failed (its values are unknown); the others are still reported.
  std::string error;
};

struct StreamStatus {
  std::string stream;
  std::string table;
  int64_t retention_period_hours = 0;  // from DescribeStreamSummary; 0 when it did not say
  std::vector<ShardStatus> shards;     // listed shards in shard id order, then expired ones
  // Summary. The stream's lag is its slowest shard's (shards are read in parallel, their lags do
  // not add up); records behind is the sum when every shard's is known.
  std::optional<int64_t> behind_latest_ms;
  std::optional<int64_t> records_behind;
  std::string worst_shard;  // the largest lag, then the least retention left; empty when none
  std::optional<int64_t> retention_left_ms;  // the least of any shard
  int64_t gaps = 0;                          // kinesis_import_gaps rows for stream and table
  int shard_errors = 0;                      // shards whose probe failed
};

struct StatusOptions {
  std::string stream;
  std::string table;
  // Where a shard without a stored position starts (--start-position), as for run/follow; a
  // child of a finished parent starts at its beginning regardless.
  IteratorStart start_position;
  // Empty GetRecords answers followed (while MillisBehindLatest says more is there) to find the
  // oldest unimported record before giving up on its arrival.
  int max_empty_reads = 3;
};

// What the sink holds for the stream and table: the stored positions, read without the run's lock
// (Sink::PeekPositions: a running import does not keep status out), or, when there are none,
// the positions a run would load (derived from the table's metadata columns); and the number of
// recorded gaps. Begins a transaction and always rolls it back.
struct StoredStatus {
  ShardPositions positions;
  int64_t gaps = 0;
};
Result<StoredStatus> ReadStoredStatus(Sink& sink, const std::string& table, const std::string& stream);

// Lists the shards, derives the states and probes every shard that is not finished or expired.
// An error when the stream cannot be described or listed; a failed probe of one shard goes into
// that shard's `error` (and shard_errors).
Result<StreamStatus> ComputeStreamStatus(RecordSource& source, const StoredStatus& stored,
                                         const StatusOptions& options, Clock& clock);

// --max-lag / --min-retention-left: each crossing as a one-line reason ("shard X is 5000 ms behind
// latest, more than --max-lag 1s"); empty when none is crossed. Unknown values cross nothing.
struct StatusThresholds {
  std::optional<std::chrono::milliseconds> max_lag;
  std::optional<std::chrono::milliseconds> min_retention_left;
  std::string max_lag_text;             // as given, for the reason
  std::string min_retention_left_text;  // as given
};
std::vector<std::string> CrossedThresholds(const StreamStatus& status, const StatusThresholds& thresholds);

}  // namespace ki
