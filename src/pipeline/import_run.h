// One import run: read every shard of a stream from its stored position, decode the records into
// rows, append them to the sink, and commit rows and new positions in one transaction. Either all
// of it lands or nothing does; the next run resumes after the last committed record.
//
// Threads: one reader per shard (GetRecords + decode, at most 5 calls/s per shard) feeds a bounded
// queue of row batches; the calling thread is the only one that touches the sink. Memory is
// bounded by the batches in flight, not by the size of the run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "decode/json_decoder.h"
#include "decode/payload_decoder.h"
#include "kinesis/kinesis_client.h"
#include "kinesis/kinesis_types.h"
#include "sink/sink.h"

namespace ki {

// What happens to a record that cannot be converted.
enum class OnError {
  kFail,        // the run stops, nothing is committed, the error names the record
  kSkip,        // counted and reported (first positions listed), the run goes on
  kDeadLetter,  // written to the rejects table in the same transaction, the run goes on
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
  // Batches in flight between the readers and the sink (bounds memory).
  size_t queue_capacity = 8;
  // Called after the rows and the new positions are written and before COMMIT, on the calling
  // thread. Empty in production; the crash tests block here and kill the process.
  std::function<void()> before_commit;
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
};

struct ImportReport {
  std::string stream;
  std::string table;
  std::vector<ShardReport> shards;
  int64_t total_records = 0;
  int64_t total_bad_records = 0;
  std::string rejects_table;  // set with the dead-letter policy
  double elapsed_seconds = 0;
};

Result<ImportReport> RunImport(KinesisClient& kinesis, Sink& sink, const ImportOptions& options,
                               Clock& clock);

}  // namespace ki
