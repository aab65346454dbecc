// One shard's reading, one GetRecords call at a time: the reader threads take a due shard task,
// call Step, and put the task back with its next due time. Step acquires (and re-acquires after
// expiry) the iterator, paces the calls, backs off per shard on throttling and errors, decodes
// the records and hands one batch to the exchange.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/retry.h"
#include "common/status.h"
#include "decode/payload_decoder.h"
#include "pipeline/exchange.h"
#include "pipeline/import_run.h"
#include "pipeline/record_source.h"

namespace ki {

struct ShardTask {
  size_t index = 0;
  std::string shard_id;
  // Where reading resumes: the stored (or derived) position, then the end of what was decoded.
  ShardPosition position;
  // For a shard without a position: where it starts (--start-position, or TRIM_HORIZON for a
  // child whose parents were read).
  IteratorStart start;
  ShardReport report;

  // Reader-private state.
  std::string iterator;
  // After acquiring AT a position, that record must come back first (its imported part is
  // skipped); any other record first means the stream trimmed past the position.
  std::string expect_first;
  int64_t skip_through = -1;  // with expect_first: -1 the whole record, else up to this subsequence
  bool latest_remembered = false;
  int failures = 0;
  std::chrono::steady_clock::time_point first_failure;
  std::chrono::steady_clock::time_point next_call;
};

enum class StepOutcome {
  kAgain,    // call Step again at the returned time
  kDone,     // run: caught up or capped; nothing more from this shard in this run
  kFinished, // read to the end of a closed shard
  kFailed,   // the exchange holds the error
};

struct StepResult {
  StepOutcome outcome = StepOutcome::kAgain;
  std::chrono::steady_clock::time_point due;
};

// What the shard readers share (read-only while they run, except the atomic counter).
struct ReaderContext {
  RecordSource& source;
  const ImportOptions& options;
  const TableSchema& schema;
  Exchange& exchange;
  Clock& clock;
  const CancellationToken& cancel;  // stop: in-flight calls are abandoned
  std::atomic<int64_t>& bad_total;
};

// One GetRecords call (or iterator acquisition) for `task`, decoding with `decoder` (one per
// reader thread).
StepResult Step(ReaderContext& ctx, ShardTask& task, PayloadDecoder& decoder);

}  // namespace ki
