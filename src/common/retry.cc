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
  return std::chrono::milliseconds(std::clamp<int64_t>(d, 0, ceiling));
}

std::string FormatElapsed(std::chrono::milliseconds d) {
  char buf[48];
  if (d.count() < 1000) std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(d.count()));
  else std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

Status CancelledStatus() {
  ErrorDetail detail;
  detail.fatal = true;
  detail.cancelled = true;
  return FatalError("cancelled").WithDetail(detail);
}

}  // namespace ki
