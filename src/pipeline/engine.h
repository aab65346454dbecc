// The one import engine behind `run` and `follow`:
//
//   ShardGraph (which shards may be read: parents first)
//     -> shard tasks on a fixed pool of reader threads (GetRecords + decode, paced per shard)
//     -> batches {rows, rejects, the shard's end position} in a queue bounded in bytes
//     -> the commit loop on the calling thread, the only one that touches the sink: it appends
//        batches and, at each commit, saves the positions of exactly what it appended.
//
// `run` is the same loop with one commit at the end. Memory is bounded by
// ImportOptions::max_buffer_bytes, threads by ImportOptions::reader_threads, whatever the number
// of shards.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "pipeline/import_run.h"
#include "pipeline/record_source.h"
#include "sink/sink.h"

namespace ki {

// Where the engine gets its sink for each transaction.
class SinkProvider {
 public:
  virtual ~SinkProvider() = default;
  // The sink for the next transaction: the open one, or a newly opened one. Errors are retried
  // by follow (e.g. a DuckDB file another process holds for a moment, a database restarting).
  virtual Result<Sink*> Acquire() = 0;
  // Whether the sink stays open between commits. When not (a DuckDB file under follow: DuckDB
  // lets one process at a time have the file), batches wait in memory between commits and the
  // file is opened, written, committed and closed at each commit, so others can query it.
  virtual bool HoldsBetweenCommits() const = 0;
  // After a commit, with HoldsBetweenCommits() false: close the sink.
  virtual void Release() = 0;
  // After an error: drop the sink (a broken connection); the next Acquire opens a new one.
  virtual void Discard() = 0;
};

// A sink the caller owns and keeps open (run, tests).
class BorrowedSink final : public SinkProvider {
 public:
  explicit BorrowedSink(Sink& sink) : sink_(sink) {}
  Result<Sink*> Acquire() override { return &sink_; }
  bool HoldsBetweenCommits() const override { return true; }
  void Release() override {}
  void Discard() override {}

 private:
  Sink& sink_;
};

// One engine run: until caught up / capped (run), or until options.stop (follow). An error ends
// it with the open transaction rolled back; what was committed before stays committed.
Result<ImportReport> RunEngine(RecordSource& source, SinkProvider& sinks, const ImportOptions& options,
                               Clock& clock);

// follow: RunEngine again after every error that may heal (Kinesis unreachable or throttled past
// the retry budget, the database gone, a commit whose outcome is unknown), with capped backoff,
// each time from the committed positions; returns when options.stop is set, or with an error that
// cannot heal (bad configuration, a bad record under --on-error fail, a retention gap under
// --on-trimmed fail, credentials refused). `on_restart` (optional) hears each error it outlives.
Result<ImportReport> FollowStream(RecordSource& source, SinkProvider& sinks, const ImportOptions& options,
                                  Clock& clock,
                                  const std::function<void(const Status&)>& on_restart = {});

// Whether follow outlives this error by starting over from the committed positions.
bool FollowCanRestartAfter(const Status& status);

}  // namespace ki
