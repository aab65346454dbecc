#include "pipeline/exchange.h"

#include <algorithm>

namespace ki {
namespace {

// Earliest due first.
bool Later(const std::pair<Exchange::TimePoint, size_t>& a, const std::pair<Exchange::TimePoint, size_t>& b) {
  return a.first > b.first;
}

// How long to wait at most between looks at a condition that a clock, not a notification,
// changes (a fake clock in tests moves without notifying).
constexpr std::chrono::milliseconds kMaxWait{100};

std::chrono::milliseconds Until(Exchange::TimePoint t, Clock& clock) {
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock.Monotonic());
  return std::clamp(d, std::chrono::milliseconds(0), kMaxWait);
}

}  // namespace

size_t Batch::MeasureBytes() const {
  size_t n = sizeof(Batch) + rows.arena_bytes() +
             rows.num_rows() * rows.num_columns() * (sizeof(Cell) + 1);
  for (const auto& r : rejects) n += sizeof(r) + r.payload.size() + r.error.size() + r.sequence_number.size();
  return n;
}

void Exchange::AddTask(size_t task, TimePoint due) {
  std::lock_guard lock(mu_);
  ++live_;
  due_.emplace_back(due, task);
  std::push_heap(due_.begin(), due_.end(), Later);
  readers_cv_.notify_one();
}

bool Exchange::TakeDueTask(Clock& clock, size_t& task) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopping_) return false;
    if (used_ >= budget_ || due_.empty()) {
      readers_cv_.wait_for(lock, kMaxWait);
      continue;
    }
    if (due_.front().first > clock.Monotonic()) {
      readers_cv_.wait_for(lock, Until(due_.front().first, clock));
      continue;
    }
    std::pop_heap(due_.begin(), due_.end(), Later);
    task = due_.back().second;
    due_.pop_back();
    return true;
  }
}

void Exchange::Reschedule(size_t task, TimePoint due) {
  std::lock_guard lock(mu_);
  due_.emplace_back(due, task);
  std::push_heap(due_.begin(), due_.end(), Later);
  readers_cv_.notify_one();
}

void Exchange::Retire() {
  std::lock_guard lock(mu_);
  --live_;
  writer_cv_.notify_all();
}

int Exchange::live_tasks() {
  std::lock_guard lock(mu_);
  return live_;
}

std::unique_ptr<Batch> Exchange::TakeSpent(size_t num_columns) {
  std::unique_ptr<Batch> b;
  {
    std::lock_guard lock(mu_);
    if (!spent_.empty()) {
      b = std::move(spent_.back());
      spent_.pop_back();
    }
  }
  if (!b) b = std::make_unique<Batch>();
  b->Clear(num_columns);
  return b;
}

void Exchange::Push(std::unique_ptr<Batch> b) {
  b->bytes = b->MeasureBytes();
  std::lock_guard lock(mu_);
  used_ += b->bytes;
  ready_.push_back(std::move(b));
  writer_cv_.notify_all();
}

std::unique_ptr<Batch> Exchange::Pop(TimePoint until, Clock& clock) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!ready_.empty()) {
      auto b = std::move(ready_.front());
      ready_.pop_front();
      return b;
    }
    if (woken_ || live_ == 0 || stopping_ || !failure_.ok() || clock.Monotonic() >= until) {
      woken_ = false;
      return nullptr;
    }
    writer_cv_.wait_for(lock, Until(until, clock));
  }
}

void Exchange::GiveBack(std::unique_ptr<Batch> b) {
  std::lock_guard lock(mu_);
  used_ -= std::min(used_, b->bytes);
  b->bytes = 0;
  spent_.push_back(std::move(b));
  readers_cv_.notify_all();
}

bool Exchange::budget_full() {
  std::lock_guard lock(mu_);
  return used_ >= budget_;
}

void Exchange::Fail(Status status) {
  std::lock_guard lock(mu_);
  if (failure_.ok()) failure_ = std::move(status);
  stopping_ = true;
  readers_cv_.notify_all();
  writer_cv_.notify_all();
}

Status Exchange::failure() {
  std::lock_guard lock(mu_);
  return failure_;
}

void Exchange::Stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  readers_cv_.notify_all();
  writer_cv_.notify_all();
}

bool Exchange::stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Exchange::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  writer_cv_.notify_all();
}

}  // namespace ki
