// The import engine that `run` and `follow` share (pipeline/engine.h): read the shards of a stream
// from their stored positions, parents before children, decode the records into rows, append them
// to the sink, and commit rows, rejects and the positions of exactly those records in one
// transaction. `run` commits once at the end; `follow` commits every --commit-interval or
// --commit-records and keeps going until it is told to stop. Either a commit lands whole or not at
// all; the next start resumes after the last committed record.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/retry.h"
#include "common/status.h"
#include "decode/json_decoder.h"
#include "decode/payload_decoder.h"
#include "kinesis/kinesis_client.h"
#include "kinesis/kinesis_types.h"
#include "sink/sink.h"

// The engine's entry points with injected sources and sinks are in pipeline/engine.h.

namespace ki {

class ShardAssignment;  // pipeline/shard_assignment.h

// What happens to a record that cannot be converted.
enum class OnError {
  kFail,        // the run stops, nothing is committed, the error names the record
  kSkip,        // counted and reported (first positions listed), the run goes on
  kDeadLetter,  // written to the rejects table in the same transaction, the run goes on
};

// What to do when a stored position can no longer be read: the stream trimmed past it (records
// were lost before anyone imported them) or the shard expired.
enum class OnTrimmed {
  kFail,      // stop with an error naming stream, shard, the stored and the earliest readable position
  kContinue,  // warn, count, write a kinesis_import_gaps row in the same transaction, go on
};

// After each commit, on the committing thread (progress, metrics, tests).
struct CommitInfo {
  int64_t number = 0;        // 1, 2, ... within this engine run
  int64_t rows = 0;          // rows in this commit
  int64_t bad_records = 0;   // skipped or dead-lettered in this commit
  double seconds = 0;        // time the commit's appends and COMMIT took
};

struct ImportOptions {
  std::string stream;
  std::string table;
  int64_t max_records_per_run = 10000;  // per shard, as in the Exasol connector
  IteratorStart start_position;         // for shards without a stored position
  DecoderOptions decoder;
  PayloadOptions payload;
  OnError on_error = OnError::kFail;
  std::string rejects_table;       // dead-letter: default "<table>_rejects"
  int64_t max_bad_records = -1;    // more than this many bad records (all shards) aborts; -1: no cap
  int get_records_limit = 10000;  // Limit of one GetRecords call (the API's maximum)
  // Minimum time between two GetRecords calls on one shard: the API allows 5 per second.
  std::chrono::milliseconds min_call_interval{200};
  // follow: time between two calls on a shard that is caught up (an empty answer at the tip).
  std::chrono::milliseconds idle_poll_interval{500};
  // Bytes that responses being decoded, decoded batches and the queue may hold together; when it
  // is full, reading pauses until the writer has appended (or committed) what it holds.
  size_t max_buffer_bytes = size_t{256} << 20;
  // Reader threads (GetRecords + decode), shared by all shards; 0: 4 per core, at most one per
  // shard.
  int reader_threads = 0;
  OnTrimmed on_trimmed = OnTrimmed::kFail;
  // A shard's failed calls are retried by the engine, per shard, with this backoff; `run` gives
  // up after its attempts or deadline, follow never does (it logs and keeps trying).
  RetryPolicy shard_retry;

  // follow mode: read for ever, commit when commit_interval has passed or commit_records rows are
  // appended (whichever comes first, and only when something is appended), re-read the shard list
  // every shard_refresh (at once when a shard ends), stop when `stop` is set: stop reading,
  // commit what is appended, return.
  bool follow = false;
  std::chrono::milliseconds commit_interval{1000};
  int64_t commit_records = 100000;
  std::chrono::milliseconds shard_refresh{30000};
  const CancellationToken* stop = nullptr;
  std::function<void(const CommitInfo&)> after_commit;
  // Counters and gauges (common/metrics.h); null: none.
  Metrics* metrics = nullptr;
  // Called after the rows and the new positions are written and before COMMIT, on the calling
  // thread. Empty in production; the crash tests block here and kill the process.
  std::function<void()> before_commit;
  // Several workers sharing a stream (pipeline/shard_assignment.h); null: read every shard.
  ShardAssignment* assignment = nullptr;
};

// Where a bad record sits, for the report.
struct BadRecordPosition {
  std::string sequence_number;
  int64_t subsequence_number = -1;
  std::string error;
};

struct ShardReport {
  std::string shard_id;
  int64_t records = 0;       // rows imported
  int64_t bad_records = 0;   // skipped or dead-lettered
  int64_t user_records = 0;  // records consumed (KPL user records and NDJSON lines count one each)
  std::vector<BadRecordPosition> first_bad;  // the first few, for the report
  std::string first_sequence_number;  // of this run; empty when nothing was imported
  std::string last_sequence_number;
  int64_t last_subsequence_number = -1;  // inside an aggregate when stopped by the cap
  int64_t millis_behind_latest = -1;  // from the last GetRecords; -1 unknown
  bool shard_closed_and_read = false;  // reached the end of a closed shard
  bool reached_cap = false;            // stopped at max_records_per_run
  std::vector<std::string> parents;    // as the shard graph knows them
  int64_t gaps = 0;                    // retention gaps met (--on-trimmed continue)
};

struct ImportReport {
  std::string stream;
  std::string table;
  std::vector<ShardReport> shards;
  int64_t total_records = 0;
  int64_t total_bad_records = 0;
  std::string rejects_table;  // set with the dead-letter policy
  double elapsed_seconds = 0;
  int64_t commits = 0;
  int64_t gaps = 0;
  // follow with an assignment: the run ended because the set of shards changed (after
  // committing); follow starts the next one at once.
  bool reassigned = false;
};

// `run`: one commit at the end, with the caller's sink held open throughout.
Result<ImportReport> RunImport(KinesisClient& kinesis, Sink& sink, const ImportOptions& options,
                               Clock& clock);

}  // namespace ki
