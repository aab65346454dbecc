#include "pipeline/shard_status.h"

#include <algorithm>
#include <cstdint>

namespace ki {
namespace {

int64_t EpochMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
}

// Where the probe of a shard starts, as the engine would start reading it.
IteratorStart ProbeStart(const ShardGraph& graph, const std::string& shard_id, ShardState state,
                         const ShardPosition* position, const StatusOptions& options) {
  IteratorStart start = options.start_position;
  if (position != nullptr && !position->sequence_number.empty()) {
    // AT, not AFTER: the record at the position is the last imported one (its arrival time), and
    // MillisBehindLatest measured after it is the import's lag; AFTER would measure after the
    // first record not imported yet, so one waiting record would read as no lag at all.
    start.type = IteratorType::kAtSequenceNumber;
    start.sequence_number = position->sequence_number;
  } else if (position != nullptr && position->resume_timestamp_ms >= 0) {
    start.type = IteratorType::kAtTimestamp;
    start.timestamp = static_cast<double>(position->resume_timestamp_ms) / 1000.0;
  } else if (state == ShardState::kWaitingForParent || graph.HasFinishedParent(shard_id)) {
    // A child is read from its beginning once its parents are finished (ShardGraph).
    start = IteratorStart{};
  }
  return start;
}

// GetRecords with Limit 1 from the shard's position, following a few answers: fills the lag, the
// last imported record's arrival and the oldest record not imported yet. Reads only; the
// iterators are dropped.
void ProbeShard(RecordSource& source, const ShardGraph& graph, const ShardPosition* position,
                const StatusOptions& options, ShardStatus& row) {
  const IteratorStart start = ProbeStart(graph, row.shard_id, row.state, position, options);
  auto iterator = source.GetShardIterator(options.stream, row.shard_id, start, nullptr);
  if (!iterator.ok()) {
    row.error = iterator.status().message();
    return;
  }
  // With a stored sequence number the first record must be that record; anything else means the
  // stream trimmed past it.
  bool expect_position = start.type == IteratorType::kAtSequenceNumber;
  // A record stored with a subsequence number (inside a KPL aggregate) or derived from the table
  // may still hold user records not imported: it is then itself the oldest one waiting.
  const bool position_partly_imported =
      expect_position && (position->subsequence_number >= 0 || position->derived);
  std::string next = *iterator;
  int empty_reads = 0;
  for (int read = 0;; ++read) {
    auto got = source.GetRecords(next, 1, options.stream, row.shard_id, false, nullptr);
    if (!got.ok()) {
      row.error = got.status().message();
      return;
    }
    if (read == 0 && got->millis_behind_latest >= 0) row.behind_latest_ms = got->millis_behind_latest;
    if (!got->records.empty()) {
      const KinesisRecord& record = got->records.front();
      if (!expect_position) {
        row.oldest_unimported_arrival_ms = record.arrival_time_ms;
        return;
      }
      expect_position = false;
      if (record.sequence_number != position->sequence_number) {
        row.trimmed = true;
        row.oldest_unimported_arrival_ms = record.arrival_time_ms;
        return;
      }
      row.last_arrival_ms = record.arrival_time_ms;
      if (position_partly_imported) {
        row.oldest_unimported_arrival_ms = record.arrival_time_ms;
        return;
      }
      // The record after it is the oldest one waiting (even when this answer says 0 behind: a
      // record that arrived in the same millisecond does not show in MillisBehindLatest).
    } else if (got->millis_behind_latest == 0 || got->next_shard_iterator.empty()) {
      // Caught up, or the end of a closed shard: nothing waits. Unless the stored record itself
      // was never seen (nothing is left of the shard after it: unknown).
      if (!expect_position) row.records_behind = 0;
      return;
    } else if (++empty_reads > options.max_empty_reads) {
      return;  // records are there (behind > 0) but further on: arrival unknown
    }
    if (got->next_shard_iterator.empty()) {
      if (!expect_position) row.records_behind = 0;
      return;
    }
    next = got->next_shard_iterator;
  }
}

bool WorseThan(const ShardStatus& a, const ShardStatus& b) {
  const int64_t lag_a = a.behind_latest_ms.value_or(-1), lag_b = b.behind_latest_ms.value_or(-1);
  if (lag_a != lag_b) return lag_a > lag_b;
  const int64_t left_a = a.retention_left_ms.value_or(INT64_MAX), left_b = b.retention_left_ms.value_or(INT64_MAX);
  return left_a < left_b;
}

// "1426 ms", "5 min 3 s", "2 h 7 min": for people reading the reasons.
std::string Readable(int64_t ms) {
  if (ms < 60 * 1000) return std::to_string(ms) + " ms";
  const int64_t s = ms / 1000;
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

}  // namespace

const char* ShardStateName(ShardState state) {
  switch (state) {
    case ShardState::kOpen: return "open";
    case ShardState::kClosed: return "closed";
    case ShardState::kFinished: return "finished";
    case ShardState::kWaitingForParent: return "waiting_for_parent";
    case ShardState::kNotStarted: return "not_started";
    case ShardState::kExpired: return "expired";
  }
  return "unknown";
}

ShardState DeriveShardState(const ShardGraph& graph, const std::string& shard_id,
                            const ShardPosition* position) {
  if (position != nullptr && position->finished) return ShardState::kFinished;
  if (!graph.IsKnown(shard_id) || graph.IsExpired(shard_id)) {
    return position != nullptr ? ShardState::kExpired : ShardState::kNotStarted;
  }
  if (!graph.BlockingParents(shard_id).empty()) return ShardState::kWaitingForParent;
  if (position == nullptr) return ShardState::kNotStarted;
  const ShardInfo* info = graph.Info(shard_id);
  return info != nullptr && !info->is_open() ? ShardState::kClosed : ShardState::kOpen;
}

Result<StoredStatus> ReadStoredStatus(Sink& sink, const std::string& table, const std::string& stream) {
  KI_ASSIGN_OR_RETURN(TableSchema schema, sink.DescribeTable(table));
  KI_RETURN_IF_ERROR(sink.Begin(schema));
  // Read only: whatever happens, the transaction is rolled back.
  auto read = [&]() -> Result<StoredStatus> {
    StoredStatus stored;
    // Without the run's lock, so a running import does not keep status out; only a table with no
    // stored positions at all is loaded as a run would (derived from its metadata columns).
    KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> rows, sink.PeekPositions(stream));
    for (StoredPosition& row : rows) stored.positions[row.shard_id] = std::move(row.position);
    if (stored.positions.empty()) {
      KI_ASSIGN_OR_RETURN(stored.positions, sink.LoadPositions(stream));
    }
    KI_ASSIGN_OR_RETURN(stored.gaps, sink.CountGaps(stream));
    return stored;
  }();
  sink.Rollback();
  return read;
}

Result<StreamStatus> ComputeStreamStatus(RecordSource& source, const StoredStatus& stored,
                                         const StatusOptions& options, Clock& clock) {
  StreamStatus status;
  status.stream = options.stream;
  status.table = options.table;
  status.gaps = stored.gaps;
  KI_ASSIGN_OR_RETURN(StreamSummary summary, source.DescribeStream(options.stream));
  status.retention_period_hours = summary.retention_period_hours;
  KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> listed, source.ListShards(options.stream, nullptr));
  ShardGraph graph(listed);
  for (const auto& [shard, position] : stored.positions) {
    if (position.finished) graph.MarkFinished(shard);
  }
  const int64_t retention_ms = summary.retention_period_hours * 3600 * 1000;

  std::vector<std::string> ids = graph.ShardIds();
  // Stored positions of shards no longer listed: finished ones are history (left out); others
  // had records trimmed before they were imported.
  for (const auto& [shard, position] : stored.positions) {
    if (!graph.IsKnown(shard) && !position.finished) ids.push_back(shard);
  }
  for (const std::string& id : ids) {
    ShardStatus row;
    row.shard_id = id;
    auto stored_it = stored.positions.find(id);
    const ShardPosition* position = stored_it == stored.positions.end() ? nullptr : &stored_it->second;
    row.state = DeriveShardState(graph, id, position);
    row.parents = graph.Parents(id);
    if (position != nullptr) {
      row.sequence_number = position->sequence_number;
      row.subsequence_number = position->subsequence_number;
      row.resume_timestamp_ms = position->resume_timestamp_ms;
      row.derived = position->derived;
    }
    switch (row.state) {
      case ShardState::kFinished:
        row.behind_latest_ms = 0;
        row.records_behind = 0;
        break;
      case ShardState::kExpired:
        row.retention_left_ms = 0;
        break;
      default:
        ProbeShard(source, graph, position, options, row);
        break;
    }
    if (row.trimmed) {
      row.retention_left_ms = 0;
    } else if (row.oldest_unimported_arrival_ms && retention_ms > 0) {
      const int64_t left = *row.oldest_unimported_arrival_ms + retention_ms - EpochMs(clock);
      row.retention_left_ms = std::max<int64_t>(0, left);
    }
    if (!row.error.empty()) ++status.shard_errors;
    status.shards.push_back(std::move(row));
  }

  bool all_counted = !status.shards.empty();
  int64_t records = 0;
  const ShardStatus* worst = nullptr;
  for (const ShardStatus& row : status.shards) {
    if (row.behind_latest_ms)
      status.behind_latest_ms = std::max(status.behind_latest_ms.value_or(0), *row.behind_latest_ms);
    if (row.retention_left_ms)
      status.retention_left_ms = std::min(status.retention_left_ms.value_or(INT64_MAX), *row.retention_left_ms);
    if (row.records_behind) records += *row.records_behind;
    else all_counted = false;
    if ((row.behind_latest_ms || row.retention_left_ms) && (worst == nullptr || WorseThan(row, *worst))) worst = &row;
  }
  if (all_counted) status.records_behind = records;
  if (worst != nullptr) status.worst_shard = worst->shard_id;
  return status;
}

std::vector<std::string> CrossedThresholds(const StreamStatus& status, const StatusThresholds& thresholds) {
  std::vector<std::string> reasons;
  for (const ShardStatus& row : status.shards) {
    if (thresholds.max_lag && row.behind_latest_ms && *row.behind_latest_ms > thresholds.max_lag->count()) {
      reasons.push_back("shard " + row.shard_id + " is " + Readable(*row.behind_latest_ms) +
                        " behind latest, more than --max-lag " + thresholds.max_lag_text);
    }
    if (thresholds.min_retention_left && row.retention_left_ms &&
        *row.retention_left_ms < thresholds.min_retention_left->count()) {
      reasons.push_back(
          "shard " + row.shard_id +
          (*row.retention_left_ms == 0
               ? std::string(": records were trimmed before they were imported")
               : ": its oldest record not imported is trimmed in " + Readable(*row.retention_left_ms)) +
          ", less than --min-retention-left " + thresholds.min_retention_left_text);
    }
  }
  return reasons;
}

}  // namespace ki
