#include "pipeline/import_run.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"
#include "common/sequence_number.h"
#include "decode/metadata_columns.h"
#include "common/time_format.h"
#include "kinesis/kpl_aggregation.h"

namespace ki {
namespace {

// A decoded GetRecords response on its way to the sink.
struct Batch {
  size_t shard_index = 0;
  RowBatch rows;
  std::vector<RejectedRecord> rejects;
};

// Bounded hand-over from the shard readers to the writer, with a pool of spent batches so their
// buffers are reused instead of reallocated.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  // Blocks while full. False when the queue was cancelled.
  bool Push(std::unique_ptr<Batch> b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return cancelled_ || ready_.size() < capacity_; });
    if (cancelled_) return false;
    ready_.push_back(std::move(b));
    not_empty_.notify_one();
    return true;
  }
  // Blocks until a batch is ready or every producer finished (then nullptr).
  std::unique_ptr<Batch> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return cancelled_ || !ready_.empty() || producers_ == 0; });
    if (cancelled_ || ready_.empty()) return nullptr;
    auto b = std::move(ready_.front());
    ready_.pop_front();
    not_full_.notify_one();
    return b;
  }
  std::unique_ptr<Batch> TakeSpent(size_t num_columns) {
    std::unique_ptr<Batch> b;
    {
      std::lock_guard lock(mu_);
      if (!spent_.empty()) {
        b = std::move(spent_.back());
        spent_.pop_back();
      }
    }
    if (!b) b = std::make_unique<Batch>();
    b->rows.Reset(num_columns);
    return b;
  }
  void ReturnSpent(std::unique_ptr<Batch> b) {
    std::lock_guard lock(mu_);
    spent_.push_back(std::move(b));
  }
  void AddProducer() {
    std::lock_guard lock(mu_);
    ++producers_;
  }
  void ProducerDone() {
    std::lock_guard lock(mu_);
    --producers_;
    not_empty_.notify_all();
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  bool cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::unique_ptr<Batch>> ready_;
  std::vector<std::unique_ptr<Batch>> spent_;
  size_t capacity_;
  int producers_ = 0;
  bool cancelled_ = false;
};

struct ShardState {
  ShardInfo info;
  std::optional<ShardPosition> start;  // stored (or derived) position, if any
  ShardReport report;                  // written by the reader, read after join
  Status status;
  // --start-position latest on a shard without a position: a time at or before the LATEST
  // iterator was taken, so a run that reads nothing still leaves a position (epoch ms).
  int64_t latest_taken_ms = -1;
};

// How far before the local clock a LATEST start is remembered. Kinesis stamps arrival times with
// its own clock; SigV4 refuses requests from a clock more than 5 minutes off, so with this margin
// no record put after the LATEST iterator can carry an earlier arrival time. The price is that
// the next run may also import records from up to 5 minutes before the first one started.
constexpr int64_t kLatestClockMarginMs = 5 * 60 * 1000;

int64_t EpochMs(Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

class ShardReader {
 public:
  ShardReader(KinesisClient& kinesis, const ImportOptions& options, const TableSchema& schema,
              ShardState& state, size_t index, BatchQueue& queue, std::atomic<int64_t>& bad_total,
              Clock& clock, CancellationToken& cancel)
      : kinesis_(kinesis), options_(options), schema_(schema), state_(state), index_(index),
        queue_(queue), bad_total_(bad_total), clock_(clock), cancel_(cancel) {}

  void Run() {
    state_.status = Read();
    // Stopped because another reader (or the writer) failed first: that one's error is the run's.
    if (!state_.status.ok() && cancel_.cancelled()) state_.status = Status::Ok();
    if (!state_.status.ok()) {
      // The first fatal error stops the other readers at once, also inside their retries.
      cancel_.Cancel();
      queue_.Cancel();
    }
    queue_.ProducerDone();
  }

 private:
  static constexpr size_t kListedBadRecords = 10;

  // A stored position inside an aggregate resumes AT its sequence number and skips the user
  // records up to its subsequence number; a whole-record position resumes AFTER it; a
  // time-only position (a LATEST start that read nothing) resumes AT_TIMESTAMP.
  Result<std::string> Iterator(const ShardPosition& position) {
    IteratorStart start = options_.start_position;
    if (!position.sequence_number.empty()) {
      start.type = position.subsequence_number >= 0 ? IteratorType::kAtSequenceNumber
                                                    : IteratorType::kAfterSequenceNumber;
      start.sequence_number = position.sequence_number;
    } else if (position.resume_timestamp_ms >= 0) {
      start.type = IteratorType::kAtTimestamp;
      start.timestamp = static_cast<double>(position.resume_timestamp_ms) / 1000.0;
    } else if (start.type == IteratorType::kLatest && state_.latest_taken_ms < 0) {
      state_.latest_taken_ms = EpochMs(clock_) - kLatestClockMarginMs;
    }
    auto iterator = kinesis_.GetShardIterator(options_.stream, state_.info.shard_id, start, &cancel_);
    // Kinesis refuses a sequence number that is not from this shard of this stream with
    // InvalidArgumentException (emulators: ResourceNotFoundException, "unable to find record");
    // retrying cannot help, so say where the position came from and the way out.
    const std::string type = iterator.ok() ? "" : iterator.status().detail().aws_error_type;
    if (position.sequence_number.empty() ||
        (type != "InvalidArgumentException" && type != "ResourceNotFoundException")) {
      return iterator;
    }
    const std::string what = std::string(IteratorTypeName(start.type)) + " " +
                             position.sequence_number + " of shard '" + state_.info.shard_id +
                             "' in stream '" + options_.stream + "'";
    if (position.derived) {
      return iterator.status().WithContext(
          "the position " + what + " was derived from table '" + options_.table +
          "' (its kinesis_shard_id/shard_sequence_number columns, as there are no stored "
          "positions) and Kinesis refused it; if the table holds rows of another stream, import "
          "this stream into a table of its own");
    }
    return iterator.status().WithContext(
        "the stored position " + what + " was refused by Kinesis; if it does not belong to this "
        "stream (deleted and recreated?), start the shard over from --start-position with "
        "`kinesis-import positions reset --stream " + options_.stream + " --table " +
        options_.table + " --shard " + state_.info.shard_id + "`");
  }

  std::string Where(std::string_view sequence_number, int64_t subsequence) const {
    std::string w = "stream '" + options_.stream + "' shard '" + state_.info.shard_id +
                    "' sequence number " + std::string(sequence_number);
    if (subsequence >= 0) w += " subsequence " + std::to_string(subsequence);
    return w;
  }

  Status Read() {
    const std::string& shard = state_.info.shard_id;
    ShardReport& report = state_.report;
    report.shard_id = shard;
    KI_ASSIGN_OR_RETURN(auto decoder, PayloadDecoder::Create(schema_, options_.decoder, options_.payload));
    ShardPosition position = state_.start.value_or(ShardPosition{});
    std::string iterator;
    // Only the record at a mid-aggregate position is partly imported already: after acquiring an
    // iterator at such a position, that record's user records up to resume_after are skipped.
    std::string resume_sequence;
    int64_t resume_after = -1;
    auto acquire = [&]() -> Status {
      KI_ASSIGN_OR_RETURN(iterator, Iterator(position));
      resume_sequence = position.subsequence_number >= 0 ? position.sequence_number : "";
      resume_after = position.subsequence_number;
      return Status::Ok();
    };
    KI_RETURN_IF_ERROR(acquire());
    Status bad_status;  // the fail policy's error
    auto next_call = clock_.Monotonic();
    const int64_t cap = options_.max_records_per_run;
    while (report.user_records < cap) {
      if (queue_.cancelled() || cancel_.cancelled()) return Status::Ok();
      auto now = clock_.Monotonic();
      if (now < next_call &&
          !clock_.SleepUnlessCancelled(std::chrono::duration_cast<std::chrono::milliseconds>(next_call - now),
                                       cancel_))
        return Status::Ok();
      next_call = clock_.Monotonic() + options_.min_call_interval;
      int64_t remaining = cap - report.user_records;
      int limit = static_cast<int>(std::min<int64_t>(options_.get_records_limit, remaining));
      auto got = kinesis_.GetRecords(iterator, limit, options_.stream, shard, &cancel_);
      if (!got.ok() && got.status().kind() == ErrorKind::kExpiredIterator) {
        Log(LogLevel::kInfo, "shard " + shard + ": iterator expired, re-acquiring after " +
                                 (position.sequence_number.empty() ? std::string("the start position")
                                                                   : position.sequence_number));
        KI_RETURN_IF_ERROR(acquire());
        continue;
      }
      if (!got.ok()) return got.status();
      GetRecordsResult& r = *got;
      report.millis_behind_latest = r.millis_behind_latest;
      bool capped = false;
      if (!r.records.empty()) {
        auto batch = queue_.TakeSpent(schema_.columns.size());
        batch->shard_index = index_;
        batch->rejects.clear();
        for (const KinesisRecord& rec : r.records) {
          if (report.user_records >= cap) {
            capped = true;
            break;
          }
          int64_t skip = -1;
          if (!resume_sequence.empty()) {
            if (rec.sequence_number == resume_sequence) {
              skip = resume_after;
              // Derived by counting rows: exact when each user record became one row, which
              // NDJSON inside a KPL aggregate breaks (an entry's lines all share one number).
              if (position.derived && options_.payload.format == PayloadFormat::kNdjson &&
                  rec.data.substr(0, kKplMagic.size()) == kKplMagic) {
                return FatalError(
                    Where(rec.sequence_number, -1) +
                    ": cannot tell how much of this KPL aggregate of NDJSON the table already "
                    "holds (no stored positions, no kinesis_subsequence_number column); add a "
                    "kinesis_subsequence_number BIGINT column, or remove the aggregate's rows "
                    "from the table, and run again");
              }
            }
            resume_sequence.clear();
          }
          PayloadRecord pr{shard, rec.sequence_number, rec.partition_key, rec.arrival_time_ms * 1000, rec.data};
          auto on_bad = [&](const BadUserRecord& bad) -> bool {
            std::string where = Where(rec.sequence_number, bad.subsequence_number);
            if (options_.on_error == OnError::kFail) {
              bad_status = bad.error.WithContext(where);
              return false;
            }
            int64_t total = ++bad_total_;
            if (options_.max_bad_records >= 0 && total > options_.max_bad_records) {
              bad_status = BadRecord("more than " + std::to_string(options_.max_bad_records) +
                                     " bad records (--max-bad-records); the last: " + where + ": " +
                                     bad.error.message());
              return false;
            }
            ++report.bad_records;
            if (report.first_bad.size() < kListedBadRecords)
              report.first_bad.push_back({std::string(rec.sequence_number), bad.subsequence_number, bad.error.message()});
            if (options_.on_error == OnError::kDeadLetter) {
              RejectedRecord rj;
              rj.stream = options_.stream;
              rj.shard_id = shard;
              rj.sequence_number = std::string(rec.sequence_number);
              rj.subsequence_number = bad.subsequence_number;
              rj.partition_key = std::string(bad.partition_key);
              rj.arrival_time_us = rec.arrival_time_ms * 1000;
              rj.payload = std::string(bad.payload);
              rj.error = bad.error.message();
              batch->rejects.push_back(std::move(rj));
            }
            return true;
          };
          KI_ASSIGN_OR_RETURN(DecodeOutcome outcome,
                              decoder.Decode(pr, skip, cap - report.user_records, batch->rows, on_bad));
          if (!bad_status.ok()) return bad_status;
          report.user_records += outcome.user_records;
          report.records += outcome.rows;
          position = ShardPosition{std::string(rec.sequence_number), outcome.last_subsequence_number};
          if (report.first_sequence_number.empty()) report.first_sequence_number = position.sequence_number;
          if (outcome.last_subsequence_number >= 0) {
            capped = true;  // stopped inside this record by the cap
            break;
          }
        }
        report.last_sequence_number = position.sequence_number;
        report.last_subsequence_number = position.subsequence_number;
        if (!queue_.Push(std::move(batch))) return Status::Ok();
      }
      if (capped) break;
      if (r.next_shard_iterator.empty()) {
        report.shard_closed_and_read = true;
        break;
      }
      iterator = std::move(r.next_shard_iterator);
      // Caught up: nothing returned and the server says we are at the tip. An empty response
      // while still behind is not the end (records may sit further on): keep following.
      if (r.records.empty() && r.millis_behind_latest <= 0) break;
    }
    report.reached_cap = report.user_records >= cap;
    return Status::Ok();
  }

  KinesisClient& kinesis_;
  const ImportOptions& options_;
  const TableSchema& schema_;
  ShardState& state_;
  size_t index_;
  BatchQueue& queue_;
  std::atomic<int64_t>& bad_total_;
  Clock& clock_;
  CancellationToken& cancel_;
};

}  // namespace

namespace {

// Whether the stored positions were written for the stream as it is now: a stream deleted and
// recreated under the same name has the same ARN but another creation time.
Status CheckStreamIdentity(const ShardPositions& positions, const StreamSummary& stream,
                           const ImportOptions& options) {
  for (const auto& [shard, p] : positions) {
    if (p.derived || p.stream_arn.empty()) continue;  // rows written before identities were kept
    const bool same_arn = stream.stream_arn.empty() || p.stream_arn == stream.stream_arn;
    const bool same_time = stream.creation_timestamp_ms < 0 || p.stream_created_ms < 0 ||
                           p.stream_created_ms == stream.creation_timestamp_ms;
    if (same_arn && same_time) continue;
    auto created = [](int64_t ms) {
      return ms < 0 ? std::string("at an unknown time") : "at " + FormatIso8601Millis(ms);
    };
    return FatalError("the positions of stream '" + options.stream + "' in table '" +
                      options.table + "' belong to " + p.stream_arn + " created " +
                      created(p.stream_created_ms) + ", but the stream now is " +
                      stream.stream_arn + " created " + created(stream.creation_timestamp_ms) +
                      ": it was deleted and recreated, so its old sequence numbers mean nothing. "
                      "To import the new stream from --start-position, delete the old positions "
                      "with `kinesis-import positions reset --stream " + options.stream +
                      " --table " + options.table + "`");
  }
  return Status::Ok();
}

// A sequence number is a decimal string of up to 129 digits (56 today): a metadata column that
// cannot hold every one would turn every record into a bad record, so it is refused up front.
Status CheckSequenceNumberColumn(const TableSchema& schema) {
  const ColumnSpec* c = schema.FindMetadata(MetadataColumn::kSequenceNumber);
  if (c == nullptr) return Status::Ok();
  // The decoders' rule (decode/metadata_columns.h): VARCHAR (PostgreSQL text or varchar(n) with
  // n >= 129) or a numeric wide enough (or unconstrained), which takes the exact value as text.
  if (SequenceNumberColumnIsWide(*c)) return Status::Ok();
  return InvalidArgument("table '" + schema.QualifiedName() + "' column '" + c->name + "' is " +
                         c->type_name + ", which cannot hold every Kinesis sequence number "
                         "(decimal strings of up to 129 digits; today's have 56): make it "
                         "VARCHAR (PostgreSQL: text, varchar(n) with n >= 129, numeric or "
                         "numeric(p) with p >= 129)");
}

Result<ImportReport> RunImportOnce(KinesisClient& kinesis, Sink& sink, const ImportOptions& options,
                                   Clock& clock) {
  auto started = clock.Monotonic();
  if (options.max_records_per_run <= 0) return InvalidArgument("max-records-per-run must be positive");
  KI_ASSIGN_OR_RETURN(TableSchema schema, sink.DescribeTable(options.table));
  KI_RETURN_IF_ERROR(CheckSequenceNumberColumn(schema));
  // Fail on a table the decoder cannot fill before touching Kinesis.
  KI_RETURN_IF_ERROR(PayloadDecoder::Create(schema, options.decoder, options.payload).status());

  KI_ASSIGN_OR_RETURN(StreamSummary stream, kinesis.DescribeStreamSummary(options.stream));
  ListShardsRequest list;
  list.stream_name = options.stream;
  KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> shards, kinesis.ListShards(list));

  KI_RETURN_IF_ERROR(sink.Begin(schema));
  // From here on every early return must roll back; the guard does it.
  struct RollbackGuard {
    Sink& sink;
    bool armed = true;
    ~RollbackGuard() {
      if (armed) sink.Rollback();
    }
  } guard{sink};

  KI_ASSIGN_OR_RETURN(ShardPositions positions, sink.LoadPositions(options.stream));
  KI_RETURN_IF_ERROR(CheckStreamIdentity(positions, stream, options));
  const bool stored = !positions.empty() && !positions.begin()->second.derived;
  if (stored) {
    KI_ASSIGN_OR_RETURN(bool has_rows, sink.TableHasRows());
    if (!has_rows) {
      Log(LogLevel::kWarn,
          "table '" + options.table + "' is empty but holds positions of stream '" +
              options.stream + "' for " + std::to_string(positions.size()) +
              " shard(s): the run resumes after them. If the table was dropped and recreated, "
              "the records before those positions are not imported again; to import them, run "
              "`kinesis-import positions reset --stream " + options.stream + " --table " +
              options.table + "` first");
    }
  }
  std::string rejects_table;
  if (options.on_error == OnError::kDeadLetter) {
    rejects_table = options.rejects_table.empty() ? schema.QualifiedName() + "_rejects" : options.rejects_table;
    KI_RETURN_IF_ERROR(sink.PrepareRejects(rejects_table));
  }
  std::vector<ShardState> states(shards.size());
  for (size_t i = 0; i < shards.size(); ++i) {
    states[i].info = shards[i];
    if (auto it = positions.find(shards[i].shard_id); it != positions.end()) states[i].start = it->second;
  }

  BatchQueue queue(std::max<size_t>(options.queue_capacity, 2));
  std::atomic<int64_t> bad_total{0};
  CancellationToken cancel;  // set by the first reader or writer failure
  std::vector<std::thread> readers;
  readers.reserve(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    queue.AddProducer();
    readers.emplace_back(
        [&, i] { ShardReader(kinesis, options, schema, states[i], i, queue, bad_total, clock, cancel).Run(); });
  }

  Status write_status;
  while (auto batch = queue.Pop()) {
    if (write_status.ok()) {
      if (batch->rows.num_rows() > 0) write_status = sink.Append(batch->rows);
      if (write_status.ok() && !batch->rejects.empty()) write_status = sink.AppendRejects(batch->rejects);
      if (!write_status.ok()) {
        cancel.Cancel();
        queue.Cancel();
      }
    }
    queue.ReturnSpent(std::move(batch));
  }
  for (auto& t : readers) t.join();
  for (const auto& s : states) KI_RETURN_IF_ERROR(s.status);
  KI_RETURN_IF_ERROR(write_status);

  ImportReport report;
  report.stream = options.stream;
  report.table = schema.QualifiedName();
  report.rejects_table = rejects_table;
  ShardPositions moved;
  for (const auto& s : states) {
    report.shards.push_back(s.report);
    report.total_records += s.report.records;
    report.total_bad_records += s.report.bad_records;
    if (!s.report.last_sequence_number.empty()) {
      moved[s.info.shard_id] =
          ShardPosition{s.report.last_sequence_number, s.report.last_subsequence_number};
    } else if (s.latest_taken_ms >= 0) {
      // A LATEST start that read nothing: remember when it started, or the next run would start
      // at a new LATEST and skip what arrived in between.
      moved[s.info.shard_id].resume_timestamp_ms = s.latest_taken_ms;
    } else if (s.start && !s.start->derived && s.start->stream_arn.empty()) {
      moved[s.info.shard_id] = *s.start;  // an older version's row: keep it, add the identity
    }
  }
  for (auto& [shard, p] : moved) {
    p.stream_arn = stream.stream_arn;
    p.stream_created_ms = stream.creation_timestamp_ms;
  }
  KI_RETURN_IF_ERROR(sink.SavePositions(options.stream, moved));
  if (options.before_commit) options.before_commit();
  KI_RETURN_IF_ERROR(sink.Commit());
  guard.armed = false;
  report.elapsed_seconds =
      std::chrono::duration<double>(clock.Monotonic() - started).count();
  return report;
}

}  // namespace

Result<ImportReport> RunImport(KinesisClient& kinesis, Sink& sink, const ImportOptions& options,
                               Clock& clock) {
  auto report = RunImportOnce(kinesis, sink, options, clock);
  // A failed run was rolled back, unless COMMIT went unanswered: then the sink's message says
  // that the outcome is unknown.
  if (!report.ok() && !report.status().detail().commit_outcome_unknown) {
    return report.status().WithContext("run failed, nothing was committed");
  }
  return report;
}

}  // namespace ki
