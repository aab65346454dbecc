// Capped exponential backoff with full jitter (the AWS architecture blog's recommendation):
// delay(n) = random in [0, min(cap, base * 2^n)]. Time and randomness are injected so tests can
// replay a throttling storm without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <type_traits>

#include "common/clock.h"
#include "common/status.h"

namespace ki {

struct RetryPolicy {
  int max_attempts = 8;  // total tries, including the first
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  // Total time budget of one call across all its attempts and backoff sleeps; each attempt is
  // given at most what is left (see CallWithRetries). 0: no limit (only max_attempts).
  std::chrono::milliseconds deadline{60000};
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

// "1.5 s" / "250 ms", for messages about how long something tried.
std::string FormatElapsed(std::chrono::milliseconds d);

// The status CallWithRetries returns when `cancel` was set: kind kFatal, message "cancelled".
Status CancelledStatus();

// Calls `op` until it succeeds, fails with a non-retriable error, runs out of attempts or of the
// policy's deadline, or `cancel` is set, sleeping on `clock` between tries (never past the
// deadline). `op` returns Status or Result<T>; it may take a std::chrono::milliseconds argument:
// the time left before the deadline (milliseconds::max() without one), which the attempt should
// use as its own timeout. `on_retry` (optional) is told about each retriable failure before the
// sleep. `cancel` is checked before each attempt and interrupts the backoff sleeps.
// A retriable error that exhausts the budget is returned as kRetriable with
// " (gave up after N attempts in T)" appended, plus the deadline when that was the limit.
namespace retry_detail {
// What `op` returns, called with the time left (when it takes it) or without arguments.
template <typename Op, bool kTakesRemaining = std::is_invocable_v<Op&, std::chrono::milliseconds>>
struct OpResult {
  using type = std::invoke_result_t<Op&, std::chrono::milliseconds>;
};
template <typename Op>
struct OpResult<Op, false> {
  using type = std::invoke_result_t<Op&>;
};
}  // namespace retry_detail

template <typename Op>
auto CallWithRetries(Backoff& backoff, Clock& clock, Op&& op,
                     const std::function<void(const Status&, int, std::chrono::milliseconds)>&
                         on_retry = {},
                     const CancellationToken* cancel = nullptr) {
  using std::chrono::milliseconds;
  using R = typename retry_detail::OpResult<std::remove_reference_t<Op>>::type;
  const auto started = clock.Monotonic();
  const milliseconds deadline = backoff.policy().deadline;
  auto elapsed = [&] { return std::chrono::duration_cast<milliseconds>(clock.Monotonic() - started); };
  for (int attempt = 0;; ++attempt) {
    if (cancel && cancel->cancelled()) return R(CancelledStatus());
    milliseconds remaining = deadline.count() > 0 ? deadline - elapsed() : milliseconds::max();
    R r = [&] {
      if constexpr (std::is_invocable_v<Op&, milliseconds>) return op(remaining);
      else return op();
    }();
    if (r.ok()) return r;
    const Status& st = [&]() -> const Status& {
      if constexpr (std::is_same_v<R, Status>) return r;
      else return r.status();
    }();
    if (st.kind() != ErrorKind::kRetriable) return r;
    auto delay = backoff.DelayFor(attempt);
    milliseconds spent = elapsed();
    bool out_of_attempts = attempt + 1 >= backoff.policy().max_attempts;
    // Past the deadline, or no time left for another attempt after the backoff sleep.
    bool out_of_time = deadline.count() > 0 && spent + delay >= deadline;
    if (out_of_attempts || out_of_time) {
      std::string why = " (gave up after " + std::to_string(attempt + 1) + " attempts in " +
                        FormatElapsed(spent);
      if (out_of_time && !out_of_attempts) why += "; the retry deadline is " + FormatElapsed(deadline);
      return R(Status::Error(ErrorKind::kRetriable, st.message() + why + ")")
                   .WithDetail(st.detail()));
    }
    if (on_retry) on_retry(st, attempt + 1, delay);
    if (cancel) {
      if (!clock.SleepUnlessCancelled(delay, *cancel)) return R(CancelledStatus());
    } else {
      clock.SleepFor(delay);
    }
  }
}

}  // namespace ki
