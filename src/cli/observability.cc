#include "cli/observability.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>

#include "cli/build_info.h"
#include "common/log.h"
#include "metrics/metrics_endpoint.h"

namespace ki::cli {
namespace {

std::string Duration(double seconds) {
  char buf[32];
  if (seconds < 60) std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  else if (seconds < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds) / 3600, (static_cast<int>(seconds) % 3600) / 60);
  return buf;
}

}  // namespace

std::string FormatProgressLine(const std::string& command, const std::string& stream, const ProgressSnapshot& now,
                               double records_per_second, double eta_seconds) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s %s: %lld records read, %lld imported, %.0f records/s", command.c_str(),
                stream.c_str(), static_cast<long long>(now.records_read), static_cast<long long>(now.records_committed),
                records_per_second);
  std::string line = buf;
  line += now.max_behind_ms < 0 ? ", lag ?" : ", lag " + Duration(static_cast<double>(now.max_behind_ms) / 1000.0);
  if (command == "run") {
    if (now.max_behind_ms == 0) line += ", caught up";
    else if (eta_seconds >= 0) line += ", ETA " + Duration(eta_seconds);
  } else {
    line += ", " + std::to_string(now.commits) + " commits";
  }
  return line;
}

Result<std::unique_ptr<Observability>> Observability::Start(const ObservabilityOptions& options) {
  std::unique_ptr<Observability> o(new Observability(options));
  if (!options.metrics_listen.empty()) {
    KI_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(options.metrics_listen));
    KI_ASSIGN_OR_RETURN(o->server_, ServeMetrics(address, *o->metrics_));
    Log(LogLevel::kInfo, "serving /metrics and /healthz on " + address.host + ":" + std::to_string(o->server_->port()));
  }
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (options.progress == "always" || (options.progress == "auto" && tty)) {
    // Started with every signal blocked, so follow's sigwait thread gets SIGINT/SIGTERM.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    o->progress_ = std::thread([p = o.get()] { p->ProgressLoop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  return o;
}

Observability::Observability(const ObservabilityOptions& options) : options_(options) {
  HealthPolicy health;
  // follow: records waiting longer than 3 commit intervals (at least 30 s) without a commit is a
  // stall; run commits once at the end, so only a failure makes it unhealthy.
  health.stall_after = options.follow ? std::max(3 * options.commit_interval, std::chrono::milliseconds(30000))
                                      : std::chrono::milliseconds(0);
  metrics_ = std::make_unique<PrometheusMetrics>(SystemClock(), BuildInfo{KI_VERSION, KI_GIT_COMMIT}, health);
}

Observability::~Observability() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (progress_.joinable()) progress_.join();
  server_.reset();
}

void Observability::ProgressLoop() {
  using Clock = std::chrono::steady_clock;
  struct Sample {
    Clock::time_point at;
    ProgressSnapshot snap;
  };
  std::deque<Sample> window;  // the last ~5 s, for the rate and the ETA
  std::unique_lock lock(mu_);
  for (;;) {
    lock.unlock();
    Sample now{Clock::now(), metrics_->Progress()};
    window.push_back(now);
    while (window.size() > 2 && now.at - window.front().at > std::chrono::seconds(5)) window.pop_front();
    const Sample& first = window.front();
    double dt = std::chrono::duration<double>(now.at - first.at).count();
    double rate = dt > 0 ? static_cast<double>(now.snap.records_read - first.snap.records_read) / dt : 0;
    double eta = -1;
    if (dt > 0 && first.snap.max_behind_ms > now.snap.max_behind_ms && now.snap.max_behind_ms > 0) {
      // Lag shrinks by this many seconds per second: the time left at that speed.
      double shrink = static_cast<double>(first.snap.max_behind_ms - now.snap.max_behind_ms) / 1000.0 / dt;
      eta = static_cast<double>(now.snap.max_behind_ms) / 1000.0 / shrink;
    }
    SetStatusLine(FormatProgressLine(options_.command, options_.stream, now.snap, rate, eta));
    lock.lock();
    if (cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; })) break;
  }
  SetStatusLine("");
}

}  // namespace ki::cli
