#include "common/retry.h"

#include <algorithm>

namespace ki {

Backoff::Backoff(RetryPolicy policy, std::function<double()> random)
    : policy_(policy), random_(std::move(random)), rng_(std::random_device{}()) {
  if (!random_) {
    random_ = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  }
}

std::chrono::milliseconds Backoff::DelayFor(int retry) {
  // Cap the exponent before shifting so large retry counts cannot overflow.
  int64_t ceiling = policy_.base_delay.count() << std::min(retry, 30);
  ceiling = std::min<int64_t>(ceiling, policy_.max_delay.count());
  // Full jitter: uniform in [0, ceiling].
  auto d = static_cast<int64_t>(random_() * static_cast<double>(ceiling + 1));
  return std::chrono::milliseconds(std::min(d, ceiling));
}

}  // namespace ki
