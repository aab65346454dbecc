// What `run` and `follow` show while they work: the metrics (always collected, cheap), the
// /metrics + /healthz server (--metrics-listen), and the live progress line on a terminal
// (--progress). Constructed before the engine starts, destroyed after it returns: the progress
// line is removed before the report is printed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "metrics/http_server.h"
#include "metrics/prometheus_metrics.h"

namespace ki::cli {

struct ObservabilityOptions {
  std::string command;         // "run" or "follow"
  std::string stream;
  std::string metrics_listen;  // empty: no server
  std::string progress = "auto";  // auto (stderr is a terminal), always, never
  std::chrono::milliseconds commit_interval{1000};
  bool follow = false;
};

// The status line text from two snapshots `seconds` apart (exposed for tests).
std::string FormatProgressLine(const std::string& command, const std::string& stream, const ProgressSnapshot& now,
                               double records_per_second, double eta_seconds);

class Observability {
 public:
  static Result<std::unique_ptr<Observability>> Start(const ObservabilityOptions& options);
  ~Observability();

  Metrics* metrics() { return metrics_.get(); }
  int metrics_port() const { return server_ ? server_->port() : 0; }

 private:
  explicit Observability(const ObservabilityOptions& options);
  void ProgressLoop();

  ObservabilityOptions options_;
  std::unique_ptr<PrometheusMetrics> metrics_;
  std::unique_ptr<HttpServer> server_;
  std::thread progress_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace ki::cli
