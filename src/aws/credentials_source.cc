#include "aws/credentials_source.h"

#include "common/log.h"

namespace ki {

CachingCredentialsSource::CachingCredentialsSource(CredentialsChain chain, Clock& clock,
                                                   std::chrono::seconds refresh_ahead,
                                                   std::chrono::seconds retry_interval)
    : chain_(std::move(chain)), clock_(clock), refresh_ahead_(refresh_ahead), retry_interval_(retry_interval) {}

Result<AwsCredentials> CachingCredentialsSource::Get() {
  std::unique_lock lock(mu_);
  for (;;) {
    const auto now = clock_.Now();
    const bool have = cached_.has_value();
    const bool permanent = have && !cached_->expiration;
    if (permanent || (have && now < *cached_->expiration - refresh_ahead_)) return *cached_;
    const bool still_valid = have && now < *cached_->expiration;
    if (refreshing_) {
      if (still_valid) return *cached_;
      refreshed_.wait(lock, [&] { return !refreshing_; });
      continue;
    }
    if (still_valid && next_attempt_ && now < *next_attempt_) return *cached_;

    refreshing_ = true;
    lock.unlock();
    Result<AwsCredentials> fresh = chain_.Resolve();
    lock.lock();
    refreshing_ = false;
    refreshed_.notify_all();
    const auto after = clock_.Now();
    if (fresh.ok()) {
      cached_ = std::move(fresh).value();
      next_attempt_ = after + retry_interval_;
      if (cached_->expiration && after >= *cached_->expiration) {
        return FatalError("credentials from " + cached_->source + " have already expired");
      }
      return *cached_;
    }
    if (cached_ && cached_->expiration && after < *cached_->expiration) {
      next_attempt_ = after + retry_interval_;
      auto left = std::chrono::duration_cast<std::chrono::seconds>(*cached_->expiration - after);
      Log(LogLevel::kWarn, "refreshing AWS credentials failed, still using those from " +
                               cached_->source + " (they expire in " + std::to_string(left.count()) +
                               " s): " + fresh.status().message());
      return *cached_;
    }
    return fresh.status();
  }
}

}  // namespace ki
