// Capped exponential backoff with full jitter (the AWS architecture blog's recommendation):
// delay(n) = random in [0, min(cap, base * 2^n)]. Time and randomness are injected so tests can
// replay a throttling storm without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

#include "common/clock.h"
#include "common/status.h"

namespace ki {

struct RetryPolicy {
  int max_attempts = 8;  // total tries, including the first
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
};

class Backoff {
 public:
  // `random` returns a uniform double in [0, 1); defaults to a seeded mt19937.
  explicit Backoff(RetryPolicy policy, std::function<double()> random = {});
  // Delay before retry number `retry` (0 = the first retry).
  std::chrono::milliseconds DelayFor(int retry);
  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  std::function<double()> random_;
  std::mt19937_64 rng_;
};

// Calls `op` until it succeeds, fails with a non-retriable error or runs out of attempts, sleeping
// on `clock` between tries. `op` returns Status or Result<T>. `on_retry` (optional) is told about
// each retriable failure before the sleep.
template <typename Op>
auto CallWithRetries(Backoff& backoff, Clock& clock, Op&& op,
                     const std::function<void(const Status&, int, std::chrono::milliseconds)>&
                         on_retry = {}) -> decltype(op()) {
  for (int attempt = 0;; ++attempt) {
    auto r = op();
    if (r.ok()) return r;
    const Status& st = [&]() -> const Status& {
      if constexpr (std::is_same_v<decltype(r), Status>) return r;
      else return r.status();
    }();
    if (st.kind() != ErrorKind::kRetriable || attempt + 1 >= backoff.policy().max_attempts) {
      if (st.kind() == ErrorKind::kRetriable)
        return Status::Error(ErrorKind::kRetriable,
                             st.message() + " (gave up after " + std::to_string(attempt + 1) +
                                 " attempts)");
      return r;
    }
    auto delay = backoff.DelayFor(attempt);
    if (on_retry) on_retry(st, attempt + 1, delay);
    clock.SleepFor(delay);
  }
}

}  // namespace ki
