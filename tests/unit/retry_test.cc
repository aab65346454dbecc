// Tests for capped exponential backoff with full jitter and CallWithRetries (src/common/retry.h).
// Randomness and time are injected: a fixed random() and FakeClock make every delay exact.
#include "common/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <atomic>
#include <climits>
#include <thread>
#include <string>
#include <vector>

#include "fake_clock.h"

namespace ki {
namespace {

using std::chrono::milliseconds;
using fakes::FakeClock;

RetryPolicy Policy(int max_attempts, int64_t base_ms, int64_t cap_ms) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.base_delay = milliseconds(base_ms);
  p.max_delay = milliseconds(cap_ms);
  return p;
}

// min(cap, base * 2^n) without the code under test's shortcuts.
int64_t Ceiling(int64_t base, int64_t cap, int n) {
  int64_t c = base;
  for (int i = 0; i < n && c < cap; ++i) c *= 2;
  return std::min(c, cap);
}

TEST(BackoffTest, NearOneRandomGivesTheFullCeilingForEachRetry) {
  // A cap well above base * 2^12 so every exponent step is visible.
  const int64_t base = 100, cap = 500000;
  Backoff backoff(Policy(20, base, cap), [] { return 0.999999; });
  for (int n = 0; n <= 12; ++n) {
    SCOPED_TRACE("retry " + std::to_string(n));
    EXPECT_EQ(backoff.DelayFor(n).count(), Ceiling(base, cap, n));
  }
  EXPECT_EQ(backoff.DelayFor(0).count(), 100);
  EXPECT_EQ(backoff.DelayFor(3).count(), 800);
  EXPECT_EQ(backoff.DelayFor(12).count(), 409600);
}

TEST(BackoffTest, NearOneRandomNeverExceedsTheCap) {
  const int64_t base = 100, cap = 5000;
  Backoff backoff(Policy(20, base, cap), [] { return 0.999999; });
  for (int n = 0; n <= 12; ++n) {
    SCOPED_TRACE("retry " + std::to_string(n));
    auto d = backoff.DelayFor(n).count();
    EXPECT_EQ(d, Ceiling(base, cap, n));
    EXPECT_LE(d, cap);
  }
  // 100 * 2^6 = 6400 > 5000: capped from retry 6 on.
  EXPECT_EQ(backoff.DelayFor(5).count(), 3200);
  EXPECT_EQ(backoff.DelayFor(6).count(), 5000);
}

TEST(BackoffTest, RandomOfOneIsStillClampedToTheCeiling) {
  // random() is documented as [0, 1); a generator returning exactly 1.0 must not exceed the cap.
  Backoff backoff(Policy(20, 100, 5000), [] { return 1.0; });
  EXPECT_EQ(backoff.DelayFor(0).count(), 100);
  EXPECT_EQ(backoff.DelayFor(10).count(), 5000);
}

TEST(BackoffTest, ZeroRandomGivesZeroDelay) {
  Backoff backoff(Policy(20, 100, 5000), [] { return 0.0; });
  for (int n = 0; n <= 40; ++n) EXPECT_EQ(backoff.DelayFor(n).count(), 0) << "retry " << n;
}

TEST(BackoffTest, HalfRandomIsHalfTheCeiling) {
  Backoff backoff(Policy(20, 100, 5000), [] { return 0.5; });
  EXPECT_EQ(backoff.DelayFor(0).count(), 50);   // 0.5 * 101
  EXPECT_EQ(backoff.DelayFor(1).count(), 100);  // 0.5 * 201
  EXPECT_EQ(backoff.DelayFor(9).count(), 2500);  // capped: 0.5 * 5001
}

TEST(BackoffTest, HugeRetryNumbersDoNotOverflow) {
  Backoff capped(Policy(20, 100, 5000), [] { return 0.999999; });
  for (int n : {31, 62, 63, 64, 1000, 1 << 20, INT_MAX}) {
    SCOPED_TRACE("retry " + std::to_string(n));
    EXPECT_EQ(capped.DelayFor(n).count(), 5000);
  }
  // Without a practical cap the ceiling still stays positive and finite.
  Backoff uncapped(Policy(20, 100, INT64_MAX / 4), [] { return 0.5; });
  for (int n : {62, 63, 64, 1000, INT_MAX}) {
    SCOPED_TRACE("uncapped retry " + std::to_string(n));
    auto d = uncapped.DelayFor(n).count();
    EXPECT_GT(d, 0);
    EXPECT_LE(d, INT64_MAX / 4);
  }
}

TEST(BackoffTest, DefaultRandomStaysWithinBounds) {
  Backoff backoff(Policy(20, 100, 5000));
  for (int i = 0; i < 1000; ++i) {
    int n = i % 15;
    auto d = backoff.DelayFor(n).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, Ceiling(100, 5000, n));
  }
}

// --- CallWithRetries -----------------------------------------------------------------------------

Status Throttled() { return Status::Error(ErrorKind::kRetriable, "Rate exceeded"); }

TEST(RetryCallWithRetries, RetriableErrorsAreRetriedUpToMaxAttemptsThenGiveUp) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    ++calls;
    return Throttled();
  });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(st.kind(), ErrorKind::kRetriable);
  EXPECT_NE(st.message().find("Rate exceeded"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("gave up after 5 attempts"), std::string::npos) << st.message();
  // One sleep between each pair of attempts, each the backoff delay for that retry.
  EXPECT_EQ(clock.sleeps(),
            (std::vector<milliseconds>{milliseconds(50), milliseconds(100), milliseconds(200),
                                       milliseconds(400)}));
}

TEST(RetryCallWithRetries, SleepsEqualTheBackoffDelays) {
  FakeClock clock;
  // A varying random sequence; a twin Backoff fed the same sequence predicts the delays.
  auto make_random = [] {
    return [i = 0]() mutable {
      static const double kSeq[] = {0.9, 0.1, 0.75, 0.3, 0.999, 0.0, 0.6};
      return kSeq[i++ % 7];
    };
  };
  RetryPolicy policy = Policy(7, 100, 3000);
  Backoff backoff(policy, make_random());
  Backoff twin(policy, make_random());
  std::vector<milliseconds> expected;
  for (int n = 0; n < 6; ++n) expected.push_back(twin.DelayFor(n));

  std::vector<std::pair<int, milliseconds>> told;
  Status st = CallWithRetries(
      backoff, clock, [&]() -> Status { return Throttled(); },
      [&](const Status& s, int attempt, milliseconds delay) {
        EXPECT_EQ(s.kind(), ErrorKind::kRetriable);
        told.emplace_back(attempt, delay);
      });
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("gave up after 7 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(clock.sleeps(), expected);
  ASSERT_EQ(told.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(told[i].first, i + 1);
    EXPECT_EQ(told[i].second, expected[i]);
  }
  // Time moved only by the sleeps.
  auto total = milliseconds(0);
  for (auto d : expected) total += d;
  EXPECT_EQ(clock.Now() - std::chrono::system_clock::time_point(FakeClock::kDefaultStart), total);
}

TEST(RetryCallWithRetries, FatalErrorIsReturnedImmediatelyWithoutSleeping) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    ++calls;
    return FatalError("stream 'orders' not found");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(st.kind(), ErrorKind::kFatal);
  EXPECT_EQ(st.message(), "stream 'orders' not found");  // not decorated with "gave up"
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(RetryCallWithRetries, ExpiredIteratorIsNotRetried) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    ++calls;
    return Status::Error(ErrorKind::kExpiredIterator, "iterator expired");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(st.kind(), ErrorKind::kExpiredIterator);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(RetryCallWithRetries, FatalAfterRetriableStopsThere) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    return ++calls == 1 ? Throttled() : FatalError("access denied");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(st.kind(), ErrorKind::kFatal);
  EXPECT_EQ(clock.sleeps(), std::vector<milliseconds>{milliseconds(50)});
}

TEST(RetryCallWithRetries, SuccessAfterTwoFailuresReturnsTheValue) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Result<std::string> r = CallWithRetries(backoff, clock, [&]() -> Result<std::string> {
    if (++calls <= 2) return Throttled();
    return std::string("shardId-000000000001");
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "shardId-000000000001");
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps(), (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
}

TEST(RetryCallWithRetries, ResultGivesUpWithRetriableKind) {
  FakeClock clock;
  Backoff backoff(Policy(3, 10, 50), [] { return 0.0; });
  int calls = 0;
  Result<int> r = CallWithRetries(backoff, clock, [&]() -> Result<int> {
    ++calls;
    return Status::Error(ErrorKind::kRetriable, "connection reset");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.status().kind(), ErrorKind::kRetriable);
  EXPECT_NE(r.status().message().find("connection reset"), std::string::npos);
  EXPECT_NE(r.status().message().find("gave up after 3 attempts"), std::string::npos);
  EXPECT_EQ(clock.sleeps().size(), 2u);  // zero-length sleeps are still sleeps between tries
}

TEST(RetryCallWithRetries, SingleAttemptPolicyNeverSleeps) {
  FakeClock clock;
  Backoff backoff(Policy(1, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    ++calls;
    return Throttled();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_NE(st.message().find("gave up after 1 attempts"), std::string::npos) << st.message();
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(RetryCallWithRetries, DeadlineStopsRetriesAndEachAttemptIsToldWhatIsLeft) {
  FakeClock clock;
  RetryPolicy policy = Policy(100, 1000, 1000);
  policy.deadline = milliseconds(2500);
  Backoff backoff(policy, [] { return 1.0; });  // every delay is 1000 ms
  std::vector<milliseconds> told;
  Status st = CallWithRetries(backoff, clock, [&](milliseconds remaining) -> Status {
    told.push_back(remaining);
    clock.SleepFor(std::min(remaining, milliseconds(200)));  // an attempt takes 200 ms, or its timeout
    return Throttled();
  });
  // t=0 try (200), sleep 1000; t=1200 try (200), sleep 1000; t=2400 try with the 100 ms left.
  EXPECT_EQ(told, (std::vector<milliseconds>{milliseconds(2500), milliseconds(1300), milliseconds(100)}));
  EXPECT_EQ(clock.Monotonic() - std::chrono::steady_clock::time_point{}, milliseconds(2500));
  EXPECT_EQ(st.kind(), ErrorKind::kRetriable);
  EXPECT_NE(st.message().find("gave up after 3 attempts in 2.5 s; the retry deadline is 2.5 s"), std::string::npos)
      << st.message();
}

TEST(RetryCallWithRetries, ZeroDeadlineMeansOnlyMaxAttemptsLimit) {
  FakeClock clock;
  RetryPolicy policy = Policy(4, 60000, 60000);
  policy.deadline = milliseconds(0);
  Backoff backoff(policy, [] { return 1.0; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&](milliseconds remaining) -> Status {
    EXPECT_EQ(remaining, milliseconds::max());
    ++calls;
    return Throttled();
  });
  EXPECT_EQ(calls, 4);
  EXPECT_NE(st.message().find("gave up after 4 attempts in 180.0 s)"), std::string::npos) << st.message();
}

TEST(RetryCallWithRetries, CancelledBeforeTheFirstAttemptCallsNothing) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  CancellationToken cancel;
  cancel.Cancel();
  int calls = 0;
  Status st = CallWithRetries(
      backoff, clock, [&]() -> Status { ++calls; return Status::Ok(); }, {}, &cancel);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "cancelled");
}

TEST(RetryCallWithRetries, CancelDuringTheBackoffSleepOfTheRealClockWakesAtOnce) {
  // The real clock: a 10-minute backoff sleep ends as soon as another thread cancels.
  RetryPolicy policy = Policy(5, 600000, 600000);
  policy.deadline = milliseconds(0);
  Backoff backoff(policy, [] { return 1.0; });
  CancellationToken cancel;
  std::atomic<int> calls{0};
  std::thread canceller([&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (calls.load() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    cancel.Cancel();
  });
  auto started = std::chrono::steady_clock::now();
  Status st = CallWithRetries(
      backoff, SystemClock(), [&]() -> Status { ++calls; return Throttled(); }, {}, &cancel);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(st.message(), "cancelled");
}

TEST(RetryCallWithRetries, ImmediateSuccessMakesOneCall) {
  FakeClock clock;
  Backoff backoff(Policy(5, 100, 5000), [] { return 0.5; });
  int calls = 0;
  Status st = CallWithRetries(backoff, clock, [&]() -> Status {
    ++calls;
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace ki
