// A ki::Clock whose wall-clock time stands still, for tests that check a timestamp the code under
// test takes from its injected clock (updated_at of the positions table). Monotonic time and
// sleeps are real, so deadlines and rate limits behave as in production.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "common/clock.h"

namespace ki::test {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::chrono::system_clock::time_point now) : now_(now) {}
  // The wall-clock time `epoch_us` microseconds after 1970-01-01T00:00:00Z.
  static FixedClock AtMicros(int64_t epoch_us) {
    return FixedClock(std::chrono::system_clock::time_point(std::chrono::microseconds(epoch_us)));
  }

  std::chrono::system_clock::time_point Now() const override { return now_; }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace ki::test
