// Credentials per request. Whoever signs asks a CredentialsSource for the current credentials
// every time (the Kinesis client does, per attempt), so temporary credentials from STS, IMDS, the
// container endpoint or a credential_process are replaced before they expire, in a one-shot run as
// in a days-long follow.
//
// Thread-safe: Get() may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "aws/credentials_provider.h"
#include "common/clock.h"

namespace ki {

class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  // The credentials to sign the next request with, or why there are none.
  virtual Result<AwsCredentials> Get() = 0;
};

// Always the same credentials (tests, static keys).
class StaticCredentialsSource final : public CredentialsSource {
 public:
  explicit StaticCredentialsSource(AwsCredentials credentials) : credentials_(std::move(credentials)) {}
  Result<AwsCredentials> Get() override { return credentials_; }

 private:
  const AwsCredentials credentials_;
};

// Resolves `chain` on first use and again when the cached credentials are within `refresh_ahead`
// (5 minutes, as the AWS SDKs) of their expiration; credentials without an expiration are kept for
// good. Only one thread resolves at a time; while it does, the others keep using the cached
// credentials if they have not expired yet, else wait for it.
// A failed refresh keeps the old credentials until they expire (logged as a warning with the
// reason) and is not tried again for `retry_interval`; after the expiration the error is returned.
class CachingCredentialsSource final : public CredentialsSource {
 public:
  static constexpr std::chrono::seconds kDefaultRefreshAhead{300};
  static constexpr std::chrono::seconds kDefaultRetryInterval{10};

  CachingCredentialsSource(CredentialsChain chain, Clock& clock,
                           std::chrono::seconds refresh_ahead = kDefaultRefreshAhead,
                           std::chrono::seconds retry_interval = kDefaultRetryInterval);
  Result<AwsCredentials> Get() override;

 private:
  CredentialsChain chain_;
  Clock& clock_;
  const std::chrono::seconds refresh_ahead_;
  const std::chrono::seconds retry_interval_;
  std::mutex mu_;
  std::condition_variable refreshed_;
  std::optional<AwsCredentials> cached_;
  bool refreshing_ = false;
  // No new attempt before this while the cached credentials are still valid (after a failure, or
  // after a refresh that brought credentials already inside the refresh window).
  std::optional<std::chrono::system_clock::time_point> next_attempt_;
};

}  // namespace ki
