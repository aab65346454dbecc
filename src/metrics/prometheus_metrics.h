// The Metrics implementation behind --metrics-listen, the progress line and /healthz: counters,
// gauges and histograms in a prometheus-cpp Registry (exposed in the Prometheus text format), a
// few plain totals the progress line reads, and the health state /healthz answers from.
// Thread-safe: the engine's threads report, the HTTP server and the progress thread read.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"

namespace ki {

struct BuildInfo {
  std::string version;
  std::string commit;
};

// When /healthz says 503 (docs/operations.md, Health):
//  - the engine's last attempt failed (a commit, the database, Kinesis past its retry budget)
//    and it has not set up again or committed since;
//  - or records were read and have waited longer than `stall_after` with no commit landing
//    (0: never, as for `run`, which commits once at the end).
// An idle follow with nothing to commit stays healthy.
struct HealthPolicy {
  std::chrono::milliseconds stall_after{30000};
};

struct Health {
  bool ok = true;
  std::string reason;  // one line
};

// What the progress line shows.
struct ProgressSnapshot {
  int64_t records_read = 0;       // Kinesis records read (uncommitted ones included)
  int64_t records_committed = 0;  // rows committed
  int64_t commits = 0;
  int64_t max_behind_ms = -1;  // the worst shard's MillisBehindLatest; -1: no answer yet
};

class PrometheusMetrics final : public Metrics {
 public:
  PrometheusMetrics(Clock& clock, BuildInfo build, HealthPolicy health);

  void KinesisCall(std::string_view api, KinesisCallOutcome outcome) override;
  void ShardRead(std::string_view stream, std::string_view shard, int64_t millis_behind_latest,
                 int64_t last_arrival_ms) override;
  void Committed(std::string_view stream, const CommitMetrics& commit) override;
  void ShardCommitted(std::string_view stream, std::string_view shard, int64_t last_arrival_ms) override;
  void ShardForgotten(std::string_view stream, std::string_view shard) override;
  void Lease(std::string_view stream, std::string_view shard, LeaseEvent event) override;
  void LeasesHeld(std::string_view stream, int64_t held) override;
  void RecordsRead(std::string_view stream, std::string_view shard, int64_t records, int64_t bytes) override;
  void EngineStarted(std::string_view stream) override;
  void EngineFailed(std::string_view stream, std::string_view message) override;

  // The body of GET /metrics.
  std::string Exposition() const;
  Health CheckHealth() const;
  ProgressSnapshot Progress() const;

  // The commit-duration histogram's bucket bounds (seconds), for tests and docs.
  static const std::vector<double>& CommitDurationBuckets();

 private:
  using Key = std::pair<std::string, std::string>;  // (stream, shard)
  struct ShardSeries {
    prometheus::Gauge* behind = nullptr;
    prometheus::Gauge* committed_arrival = nullptr;
    int64_t behind_ms = -1;
  };
  ShardSeries& Shard(std::string_view stream, std::string_view shard);  // under mu_

  Clock& clock_;
  HealthPolicy health_policy_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Counter>& records_read_;
  prometheus::Family<prometheus::Counter>& bytes_;
  prometheus::Family<prometheus::Counter>& bytes_read_;
  prometheus::Family<prometheus::Counter>& bad_records_;
  prometheus::Family<prometheus::Counter>& commits_;
  prometheus::Family<prometheus::Histogram>& commit_duration_;
  prometheus::Family<prometheus::Histogram>& commit_rows_;
  prometheus::Family<prometheus::Gauge>& last_commit_;
  prometheus::Family<prometheus::Gauge>& behind_;
  prometheus::Family<prometheus::Gauge>& committed_arrival_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Counter>& gaps_;
  prometheus::Family<prometheus::Gauge>& leases_held_;
  prometheus::Family<prometheus::Counter>& lease_events_;
  prometheus::Family<prometheus::Counter>& engine_failures_;
  prometheus::Gauge* healthy_ = nullptr;  // set from CheckHealth at each scrape

  mutable std::mutex mu_;
  std::map<Key, ShardSeries> shards_;
  // Health (under mu_).
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::steady_clock::time_point> last_commit_at_;
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;  // records read, not committed
  std::optional<std::chrono::steady_clock::time_point> failed_at_;      // cleared by a start or commit
  std::string last_error_;

  std::atomic<int64_t> read_total_{0};
  std::atomic<int64_t> committed_total_{0};
  std::atomic<int64_t> commits_total_{0};
};

}  // namespace ki
