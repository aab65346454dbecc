#include "metrics/prometheus_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdio>

namespace ki {
namespace {

using prometheus::Labels;
using Ms = std::chrono::milliseconds;

const char* OutcomeLabel(KinesisCallOutcome o) {
  switch (o) {
    case KinesisCallOutcome::kOk: return "ok";
    case KinesisCallOutcome::kThrottled: return "throttled";
    case KinesisCallOutcome::kRetried: return "retried";
    case KinesisCallOutcome::kExpiredIterator: return "expired_iterator";
    case KinesisCallOutcome::kError: return "error";
  }
  return "error";
}

const char* LeaseEventLabel(LeaseEvent e) {
  switch (e) {
    case LeaseEvent::kTaken: return "taken";
    case LeaseEvent::kLost: return "lost";
    case LeaseEvent::kReleased: return "released";
  }
  return "taken";
}

std::string Seconds(Ms d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

double EpochSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

Labels StreamLabel(std::string_view stream) { return {{"stream", std::string(stream)}}; }

}  // namespace

const std::vector<double>& PrometheusMetrics::CommitDurationBuckets() {
  // From a small PostgreSQL commit (a few ms) to a DuckDB commit of a large batch.
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}

PrometheusMetrics::PrometheusMetrics(Clock& clock, BuildInfo build, HealthPolicy health)
    : clock_(clock),
      health_policy_(health),
      registry_(std::make_shared<prometheus::Registry>()),
      records_(prometheus::BuildCounter()
                   .Name("kinesis_import_records_total")
                   .Help("Rows committed to the target table")
                   .Register(*registry_)),
      records_read_(prometheus::BuildCounter()
                        .Name("kinesis_import_records_read_total")
                        .Help("Kinesis records read (user records after de-aggregation), committed or not yet")
                        .Register(*registry_)),
      bytes_(prometheus::BuildCounter()
                 .Name("kinesis_import_bytes_total")
                 .Help("Payload bytes of the Kinesis records whose rows were committed")
                 .Register(*registry_)),
      bytes_read_(prometheus::BuildCounter()
                      .Name("kinesis_import_read_bytes_total")
                      .Help("Payload bytes of the Kinesis records read, committed or not yet")
                      .Register(*registry_)),
      bad_records_(prometheus::BuildCounter()
                       .Name("kinesis_import_bad_records_total")
                       .Help("Records that could not be converted, by --on-error policy (skip, dead_letter), committed")
                       .Register(*registry_)),
      commits_(prometheus::BuildCounter()
                   .Name("kinesis_import_commits_total")
                   .Help("Transactions committed (rows and positions together)")
                   .Register(*registry_)),
      commit_duration_(prometheus::BuildHistogram()
                           .Name("kinesis_import_commit_duration_seconds")
                           .Help("Time of one commit: appending the held rows, saving positions, COMMIT")
                           .Register(*registry_)),
      commit_rows_(prometheus::BuildHistogram()
                       .Name("kinesis_import_commit_rows")
                       .Help("Rows per commit")
                       .Register(*registry_)),
      last_commit_(prometheus::BuildGauge()
                       .Name("kinesis_import_last_commit_timestamp_seconds")
                       .Help("When the last commit landed (Unix time)")
                       .Register(*registry_)),
      behind_(prometheus::BuildGauge()
                  .Name("kinesis_import_shard_behind_latest_seconds")
                  .Help("MillisBehindLatest of the shard's last GetRecords answer, in seconds (0: caught up)")
                  .Register(*registry_)),
      committed_arrival_(prometheus::BuildGauge()
                             .Name("kinesis_import_shard_last_committed_arrival_timestamp_seconds")
                             .Help("Arrival time (Unix time) of the shard's last committed record")
                             .Register(*registry_)),
      calls_(prometheus::BuildCounter()
                 .Name("kinesis_import_kinesis_calls_total")
                 .Help("Kinesis API calls by api and outcome (ok, throttled, retried, expired_iterator, error)")
                 .Register(*registry_)),
      gaps_(prometheus::BuildCounter()
                .Name("kinesis_import_gaps_total")
                .Help("Retention gaps recorded (records trimmed before they were imported, --on-trimmed continue)")
                .Register(*registry_)),
      leases_held_(prometheus::BuildGauge()
                       .Name("kinesis_import_leases_held")
                       .Help("Shard leases this worker holds")
                       .Register(*registry_)),
      lease_events_(prometheus::BuildCounter()
                        .Name("kinesis_import_lease_events_total")
                        .Help("Shard lease events by event (taken, lost, released)")
                        .Register(*registry_)),
      engine_failures_(prometheus::BuildCounter()
                           .Name("kinesis_import_engine_failures_total")
                           .Help("Times the engine stopped with an error (follow starts again from the committed positions)")
                           .Register(*registry_)),
      started_(clock.Monotonic()) {
  prometheus::BuildGauge()
      .Name("kinesis_import_build_info")
      .Help("Always 1; the labels say which build runs")
      .Register(*registry_)
      .Add({{"version", build.version}, {"commit", build.commit}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("process_start_time_seconds")
      .Help("Start time of the process since the Unix epoch in seconds")
      .Register(*registry_)
      .Add({})
      .Set(EpochSeconds(clock.Now()));
  healthy_ = &prometheus::BuildGauge()
                  .Name("kinesis_import_healthy")
                  .Help("1 while /healthz answers 200, 0 while it answers 503")
                  .Register(*registry_)
                  .Add({});
  healthy_->Set(1);
}

PrometheusMetrics::ShardSeries& PrometheusMetrics::Shard(std::string_view stream, std::string_view shard) {
  ShardSeries& s = shards_[{std::string(stream), std::string(shard)}];
  if (s.behind == nullptr) {
    Labels labels{{"stream", std::string(stream)}, {"shard", std::string(shard)}};
    s.behind = &behind_.Add(labels);
  }
  return s;
}

void PrometheusMetrics::KinesisCall(std::string_view api, KinesisCallOutcome outcome) {
  calls_.Add({{"api", std::string(api)}, {"outcome", OutcomeLabel(outcome)}}).Increment();
}

void PrometheusMetrics::ShardRead(std::string_view stream, std::string_view shard, int64_t millis_behind_latest,
                                  int64_t /*last_arrival_ms*/) {
  std::lock_guard lock(mu_);
  ShardSeries& s = Shard(stream, shard);
  s.behind_ms = std::max<int64_t>(millis_behind_latest, 0);
  s.behind->Set(static_cast<double>(s.behind_ms) / 1000.0);
}

void PrometheusMetrics::RecordsRead(std::string_view stream, std::string_view /*shard*/, int64_t records,
                                    int64_t bytes) {
  records_read_.Add(StreamLabel(stream)).Increment(static_cast<double>(records));
  bytes_read_.Add(StreamLabel(stream)).Increment(static_cast<double>(bytes));
  read_total_ += records;
  std::lock_guard lock(mu_);
  if (!waiting_since_) waiting_since_ = clock_.Monotonic();
}

void PrometheusMetrics::Committed(std::string_view stream, const CommitMetrics& c) {
  Labels l = StreamLabel(stream);
  records_.Add(l).Increment(static_cast<double>(c.rows));
  bytes_.Add(l).Increment(static_cast<double>(c.bytes));
  if (c.skipped > 0) bad_records_.Add({{"stream", std::string(stream)}, {"policy", "skip"}}).Increment(static_cast<double>(c.skipped));
  if (c.dead_lettered > 0)
    bad_records_.Add({{"stream", std::string(stream)}, {"policy", "dead_letter"}})
        .Increment(static_cast<double>(c.dead_lettered));
  gaps_.Add(l).Increment(static_cast<double>(c.gaps));
  commits_.Add(l).Increment();
  commit_duration_.Add(l, CommitDurationBuckets()).Observe(c.seconds);
  static const std::vector<double> kRowBuckets = {1, 10, 100, 1000, 10000, 100000, 1000000};
  commit_rows_.Add(l, kRowBuckets).Observe(static_cast<double>(c.rows));
  last_commit_.Add(l).Set(EpochSeconds(clock_.Now()));
  committed_total_ += c.rows;
  ++commits_total_;
  std::lock_guard lock(mu_);
  last_commit_at_ = clock_.Monotonic();
  waiting_since_.reset();
  failed_at_.reset();
}

void PrometheusMetrics::ShardCommitted(std::string_view stream, std::string_view shard, int64_t last_arrival_ms) {
  std::lock_guard lock(mu_);
  ShardSeries& s = Shard(stream, shard);
  if (s.committed_arrival == nullptr)
    s.committed_arrival = &committed_arrival_.Add({{"stream", std::string(stream)}, {"shard", std::string(shard)}});
  s.committed_arrival->Set(static_cast<double>(last_arrival_ms) / 1000.0);
}

void PrometheusMetrics::ShardForgotten(std::string_view stream, std::string_view shard) {
  std::lock_guard lock(mu_);
  auto it = shards_.find({std::string(stream), std::string(shard)});
  if (it == shards_.end()) return;
  if (it->second.behind) behind_.Remove(it->second.behind);
  if (it->second.committed_arrival) committed_arrival_.Remove(it->second.committed_arrival);
  shards_.erase(it);
}

void PrometheusMetrics::Lease(std::string_view stream, std::string_view /*shard*/, LeaseEvent event) {
  lease_events_.Add({{"stream", std::string(stream)}, {"event", LeaseEventLabel(event)}}).Increment();
}

void PrometheusMetrics::LeasesHeld(std::string_view stream, int64_t held) {
  leases_held_.Add(StreamLabel(stream)).Set(static_cast<double>(held));
}

void PrometheusMetrics::EngineStarted(std::string_view stream) {
  // The stream's counters exist (at 0) before the first commit, so rate() has a start.
  Labels l = StreamLabel(stream);
  records_.Add(l);
  bytes_.Add(l);
  commits_.Add(l);
  std::lock_guard lock(mu_);
  failed_at_.reset();
}

void PrometheusMetrics::EngineFailed(std::string_view stream, std::string_view message) {
  engine_failures_.Add(StreamLabel(stream)).Increment();
  std::lock_guard lock(mu_);
  failed_at_ = clock_.Monotonic();
  last_error_.assign(message);
}

Health PrometheusMetrics::CheckHealth() const {
  std::lock_guard lock(mu_);
  const auto now = clock_.Monotonic();
  auto since = [&](std::chrono::steady_clock::time_point t) { return std::chrono::duration_cast<Ms>(now - t); };
  const std::string last_commit =
      last_commit_at_ ? "last commit " + Seconds(since(*last_commit_at_)) + " ago" : std::string("no commit yet");
  if (failed_at_) {
    std::string error = last_error_;
    std::replace(error.begin(), error.end(), '\n', ' ');
    return {false, "failing since " + Seconds(since(*failed_at_)) + " ago (" + last_commit + "): " + error};
  }
  if (waiting_since_ && health_policy_.stall_after.count() > 0 && since(*waiting_since_) > health_policy_.stall_after) {
    return {false, "records read " + Seconds(since(*waiting_since_)) + " ago are not committed yet (" + last_commit +
                       "; the limit is " + Seconds(health_policy_.stall_after) + ")"};
  }
  return {true, "ok: " + last_commit};
}

std::string PrometheusMetrics::Exposition() const {
  healthy_->Set(CheckHealth().ok ? 1 : 0);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

ProgressSnapshot PrometheusMetrics::Progress() const {
  ProgressSnapshot p;
  p.records_read = read_total_.load();
  p.records_committed = committed_total_.load();
  p.commits = commits_total_.load();
  std::lock_guard lock(mu_);
  for (const auto& [key, s] : shards_) p.max_behind_ms = std::max(p.max_behind_ms, s.behind_ms);
  return p;
}

}  // namespace ki
