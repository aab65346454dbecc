// A fake ki::Clock for unit tests of retry, backoff and the Kinesis client.
//
// Why a fake and not the real clock: tests must replay a throttling storm (several backoff sleeps
// of up to seconds each) in microseconds and assert the exact sleeps that were requested, which
// the real clock cannot give on demand.
//
// Contract: Now() and Monotonic() start at fixed points and advance only when SleepFor is called
// (by exactly the requested duration). Every SleepFor call is recorded in order. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace ki::fakes {

class FakeClock final : public Clock {
 public:
  // 2024-05-01T12:00:00Z: a fixed, recognisable signing time.
  static constexpr std::chrono::seconds kDefaultStart{1714564800};

  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(kDefaultStart))
      : now_(start) {}

  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }

  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return monotonic_;
  }

  void SleepFor(std::chrono::milliseconds d) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(d);
    now_ += d;
    monotonic_ += d;
  }

  // Every SleepFor duration, in call order.
  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

  std::chrono::milliseconds total_slept() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::chrono::milliseconds total{0};
    for (auto d : sleeps_) total += d;
    return total;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
  std::chrono::steady_clock::time_point monotonic_{};
  std::vector<std::chrono::milliseconds> sleeps_;
};

}  // namespace ki::fakes
