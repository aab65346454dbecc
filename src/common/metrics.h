// What the engine, the readers and the lease coordinator report while they work, behind one small
// interface injected like the clock (ImportOptions::metrics). The default does nothing; the
// Prometheus exporter (src/metrics/) is one implementation, tests may record calls. Every method
// may be called from any thread, often: implementations must be cheap and thread-safe, and must
// never block on I/O.
#pragma once

#include <cstdint>
#include <string_view>

namespace ki {

// How one Kinesis call ended, as a metric label ("ok", "throttled", "retried", "expired_iterator",
// "error").
enum class KinesisCallOutcome {
  kOk,
  kThrottled,        // ProvisionedThroughputExceeded / LimitExceeded
  kRetried,          // another retriable failure (5xx, reset connection, timeout): tried again
  kExpiredIterator,  // the iterator expired; a new one is taken from the last position
  kError,            // anything else (not retried)
};

// One commit that landed.
struct CommitMetrics {
  int64_t rows = 0;
  int64_t bytes = 0;           // payload bytes of the committed rows' records
  int64_t skipped = 0;         // bad records under --on-error skip
  int64_t dead_lettered = 0;   // bad records under --on-error dead-letter
  int64_t gaps = 0;            // retention gaps recorded in this commit
  double seconds = 0;          // appends + COMMIT
};

// Lease events of a worker sharing a stream (PostgreSQL, several workers).
enum class LeaseEvent {
  kTaken,     // claimed (new, expired, or handed over)
  kLost,      // found taken by another worker (a commit refused, a renewal failed)
  kReleased,  // handed over on purpose (rebalancing, shutdown)
};

class Metrics {
 public:
  virtual ~Metrics() = default;

  // api: the Kinesis operation name ("GetRecords", "GetShardIterator", "ListShards", ...).
  virtual void KinesisCall(std::string_view /*api*/, KinesisCallOutcome /*outcome*/) {}
  // After each GetRecords of a shard: MillisBehindLatest as Kinesis returned it (0 when caught
  // up, also on an idle stream) and the arrival time (epoch ms) of the last record read, -1
  // when the answer held none.
  virtual void ShardRead(std::string_view /*stream*/, std::string_view /*shard*/, int64_t /*millis_behind_latest*/,
                         int64_t /*last_arrival_ms*/) {}
  // After each commit, with the arrival time (epoch ms) of each shard's last committed record.
  virtual void Committed(std::string_view /*stream*/, const CommitMetrics& /*commit*/) {}
  virtual void ShardCommitted(std::string_view /*stream*/, std::string_view /*shard*/, int64_t /*last_arrival_ms*/) {}
  // A shard this process no longer reads (finished, lease gone): drop its per-shard series.
  virtual void ShardForgotten(std::string_view /*stream*/, std::string_view /*shard*/) {}
  virtual void Lease(std::string_view /*stream*/, std::string_view /*shard*/, LeaseEvent /*event*/) {}
  virtual void LeasesHeld(std::string_view /*stream*/, int64_t /*held*/) {}

  // Added for the exporter's progress line and /healthz (no-op defaults like the rest):
  // After each GetRecords answer that held records: how many records (Kinesis records, before
  // de-aggregation) and payload bytes were read, not yet committed.
  virtual void RecordsRead(std::string_view /*stream*/, std::string_view /*shard*/, int64_t /*records*/,
                           int64_t /*bytes*/) {}
  // The engine set up (database open, positions loaded) and is reading: an earlier failure healed.
  virtual void EngineStarted(std::string_view /*stream*/) {}
  // The engine stopped with an error (follow starts it again): the database or Kinesis failed.
  virtual void EngineFailed(std::string_view /*stream*/, std::string_view /*message*/) {}
};

// The do-nothing default.
Metrics& NoMetrics();

}  // namespace ki
