// Time is injected so that signing, retries and backoff are testable without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace ki {

// A flag one thread sets to stop work on other threads early: retry loops check it before each
// attempt, and Clock::SleepUnlessCancelled wakes up when it is set. Thread-safe; cannot be reset.
class CancellationToken {
 public:
  void Cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_.store(true);
    }
    cv_.notify_all();
  }
  bool cancelled() const { return cancelled_.load(); }
  // Blocks for `d` of real time or until Cancel(); false when cancelled.
  bool WaitFor(std::chrono::milliseconds d) const {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return cancelled_.load(); });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::atomic<bool> cancelled_{false};
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for SigV4 and timestamps).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time (for rate limits and deadlines).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
  // Sleeps like SleepFor but returns early when `cancel` is set; false when cancelled (before or
  // during the sleep). The default (for fake clocks) sleeps with SleepFor unless already
  // cancelled; the real clock wakes up as soon as Cancel() is called.
  virtual bool SleepUnlessCancelled(std::chrono::milliseconds d, const CancellationToken& cancel) {
    if (cancel.cancelled()) return false;
    SleepFor(d);
    return !cancel.cancelled();
  }
};

// The real clock. Thread-safe.
Clock& SystemClock();

}  // namespace ki
