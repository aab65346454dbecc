// Time is injected so that signing, retries and backoff are testable without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace ki {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for SigV4 and timestamps).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time (for rate limits and deadlines).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

// The real clock. Thread-safe.
Clock& SystemClock();

}  // namespace ki
