#include "common/clock.h"

#include <thread>

namespace ki {
namespace {
class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
  bool SleepUnlessCancelled(std::chrono::milliseconds d, const CancellationToken& cancel) override {
    return cancel.WaitFor(d);
  }
};
}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

}  // namespace ki
