// The hand-over between the reader threads and the commit loop, behind one mutex: the shard
// tasks waiting for their next call (earliest due first), the batches decoded and not yet
// appended, and the byte budget they share. Readers pause while the budget is used up; the writer
// frees it by appending (or committing) and handing the batches back for reuse.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "kinesis/kinesis_types.h"
#include "sink/sink.h"
#include "table/row_batch.h"

namespace ki {

// What one GetRecords call of one shard produced, on its way to the writer. A batch may carry no
// rows at all: it still moves the shard's position (a LATEST start remembered as a time), ends
// the shard, or reports a retention gap.
struct Batch {
  size_t task = 0;  // index of the shard task
  RowBatch rows;
  std::vector<RejectedRecord> rejects;
  std::optional<ShardPosition> end;  // the shard's position after this batch
  bool shard_finished = false;       // read to the end of a closed shard
  std::vector<ChildShard> children;  // announced at that end
  std::optional<RetentionGap> gap;
  int64_t user_records = 0;
  int64_t bad_records = 0;
  int64_t payload_bytes = 0;     // of the Kinesis records read (metrics)
  int64_t last_arrival_ms = -1;  // arrival time of the last record read, -1: none (metrics)
  size_t bytes = 0;  // counted against the budget until the batch is handed back

  void Clear(size_t num_columns) {
    rows.Reset(num_columns);
    rejects.clear();
    end.reset();
    shard_finished = false;
    children.clear();
    gap.reset();
    user_records = bad_records = 0;
    payload_bytes = 0;
    last_arrival_ms = -1;
    bytes = 0;
  }
  // What the batch holds in memory, for the budget.
  size_t MeasureBytes() const;
};

class Exchange {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit Exchange(size_t budget_bytes) : budget_(budget_bytes) {}

  // --- tasks (readers) ---
  void AddTask(size_t task, TimePoint due);
  // Blocks until a task is due and the budget has room (true, with the task taken), or the
  // exchange is stopping (false).
  bool TakeDueTask(Clock& clock, size_t& task);
  // The reader is done with the task for now: due again at `due`, or retired for good.
  void Reschedule(size_t task, TimePoint due);
  void Retire();
  int live_tasks();

  // --- batches ---
  std::unique_ptr<Batch> TakeSpent(size_t num_columns);
  void Push(std::unique_ptr<Batch> b);
  // Blocks until a batch is ready, no task is left, the exchange stops, a failure is set, a wake
  // up is asked for, or `until`; returns the batch if there is one.
  std::unique_ptr<Batch> Pop(TimePoint until, Clock& clock);
  void GiveBack(std::unique_ptr<Batch> b);
  bool budget_full();

  // --- control ---
  void Fail(Status status);  // the first failure wins; stops the readers
  Status failure();
  void Stop();               // readers return from TakeDueTask
  bool stopping();
  void Wake();               // the writer's Pop returns (something besides batches changed)

 private:
  std::mutex mu_;
  std::condition_variable readers_cv_, writer_cv_;
  std::vector<std::pair<TimePoint, size_t>> due_;  // min-heap on time
  int live_ = 0;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> spent_;
  size_t budget_;
  size_t used_ = 0;
  bool stopping_ = false;
  bool woken_ = false;
  Status failure_;
};

}  // namespace ki
