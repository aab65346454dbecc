#include "pipeline/shard_reader.h"

#include <algorithm>

#include "common/log.h"
#include "common/time_format.h"
#include "kinesis/kpl_aggregation.h"

namespace ki {
namespace {

// How far before the local clock a LATEST start is remembered. Kinesis stamps arrival times with
// its own clock; SigV4 refuses requests from a clock more than 5 minutes off, so with this margin
// no record put after the LATEST iterator can carry an earlier arrival time. The price is that
// the next run may also import records from up to 5 minutes before the first one started.
constexpr int64_t kLatestClockMarginMs = 5 * 60 * 1000;
constexpr size_t kListedBadRecords = 10;

int64_t EpochMs(Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
}

int64_t EpochUs(Clock& clock) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock.Now().time_since_epoch()).count();
}

std::string Where(const ReaderContext& ctx, const ShardTask& t, std::string_view sequence_number,
                  int64_t subsequence) {
  std::string w = "stream '" + ctx.options.stream + "' shard '" + t.shard_id + "' sequence number " +
                  std::string(sequence_number);
  if (subsequence >= 0) w += " subsequence " + std::to_string(subsequence);
  return w;
}

StepResult Failed(ReaderContext& ctx, Status status) {
  ctx.exchange.Fail(std::move(status));
  return {StepOutcome::kFailed, {}};
}

// A retriable failure of one call: back off this shard only. `run` gives up after the retry
// policy's attempts or deadline (the error then ends the run); follow keeps trying, since the
// stream or the network usually comes back, and says so in the log.
StepResult BackOff(ReaderContext& ctx, ShardTask& t, const Status& status) {
  auto now = ctx.clock.Monotonic();
  if (t.failures == 0) t.first_failure = now;
  ++t.failures;
  const RetryPolicy& policy = ctx.options.shard_retry;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - t.first_failure);
  if (!ctx.options.follow &&
      (t.failures >= policy.max_attempts || (policy.deadline.count() > 0 && elapsed >= policy.deadline))) {
    return Failed(ctx, Status::Error(ErrorKind::kRetriable,
                                     status.message() + " (gave up after " + std::to_string(t.failures) +
                                         " attempts in " + FormatElapsed(elapsed) + ")")
                           .WithDetail(status.has_detail() ? status.detail() : ErrorDetail{}));
  }
  Backoff backoff(policy);
  auto delay = backoff.DelayFor(std::min(t.failures - 1, 20));
  // Full jitter may pick ~0; never hammer a throttled shard faster than its pacing.
  delay = std::max(delay, ctx.options.min_call_interval);
  if (!ctx.options.follow || t.failures == 1 || t.failures % 10 == 0) {
    Log(ctx.options.follow && t.failures > 1 ? LogLevel::kWarn : LogLevel::kInfo,
        status.message() + " — shard " + t.shard_id + ": retry " + std::to_string(t.failures) + " in " +
            std::to_string(delay.count()) + " ms",
        LogFields{ctx.options.stream, t.shard_id, t.position.sequence_number, status.detail()});
  }
  return {StepOutcome::kAgain, now + delay};
}

// A stored whole-record or mid-aggregate position resumes AT its sequence number (that record
// comes back first and its imported part is skipped, which also proves nothing was trimmed in
// between); a time-only position (a LATEST start that read nothing) resumes AT_TIMESTAMP.
Result<std::string> Acquire(ReaderContext& ctx, ShardTask& t) {
  const ShardPosition& position = t.position;
  IteratorStart start = t.start;
  t.expect_first.clear();
  t.skip_through = -1;
  if (!position.sequence_number.empty()) {
    start.type = IteratorType::kAtSequenceNumber;
    start.sequence_number = position.sequence_number;
  } else if (position.resume_timestamp_ms >= 0) {
    start.type = IteratorType::kAtTimestamp;
    start.timestamp = static_cast<double>(position.resume_timestamp_ms) / 1000.0;
  }
  auto iterator = ctx.source.GetShardIterator(ctx.options.stream, t.shard_id, start, &ctx.cancel);
  if (iterator.ok()) {
    if (!position.sequence_number.empty()) {
      t.expect_first = position.sequence_number;
      t.skip_through = position.subsequence_number;
    }
    return iterator;
  }
  // Kinesis refuses a sequence number that is not from this shard of this stream with
  // InvalidArgumentException (emulators: ResourceNotFoundException, "unable to find record");
  // retrying cannot help, so say where the position came from and the way out.
  const std::string type = iterator.status().detail().aws_error_type;
  if (position.sequence_number.empty() ||
      (type != "InvalidArgumentException" && type != "ResourceNotFoundException")) {
    return iterator;
  }
  const std::string what = std::string(IteratorTypeName(start.type)) + " " + position.sequence_number +
                           " of shard '" + t.shard_id + "' in stream '" + ctx.options.stream + "'";
  if (position.derived) {
    return Status::Error(ErrorKind::kFatal, iterator.status().message())
        .WithDetail(iterator.status().detail())
        .WithContext("the position " + what + " was derived from table '" + ctx.options.table +
                     "' (its kinesis_shard_id/shard_sequence_number columns, as there are no stored "
                     "positions) and Kinesis refused it; if the table holds rows of another stream, import "
                     "this stream into a table of its own");
  }
  return Status::Error(ErrorKind::kFatal, iterator.status().message())
      .WithDetail(iterator.status().detail())
      .WithContext("the stored position " + what + " was refused by Kinesis; if it does not belong to this "
                   "stream (deleted and recreated?), start the shard over from --start-position with "
                   "`kinesis-import positions reset --stream " + ctx.options.stream + " --table " +
                   ctx.options.table + " --shard " + t.shard_id + "`");
}

// The first record after a stored position is not that position's record: the stream trimmed
// past it. Fails (--on-trimmed fail) or fills batch.gap (continue).
Status TrimmedPast(ReaderContext& ctx, ShardTask& t, std::string_view first_readable, Batch& batch) {
  const std::string stored = t.position.sequence_number +
                             (t.position.subsequence_number >= 0
                                  ? " subsequence " + std::to_string(t.position.subsequence_number)
                                  : std::string());
  const std::string earliest =
      first_readable.empty() ? std::string("none (nothing of the shard is left)") : std::string(first_readable);
  if (ctx.options.on_trimmed == OnTrimmed::kFail) {
    return FatalError("stream '" + ctx.options.stream + "' shard '" + t.shard_id +
                      "': the stored position " + stored +
                      " can no longer be read: the stream's retention trimmed past it, so records after it "
                      "were lost before they were imported; the earliest readable record is " + earliest +
                      ". To record the gap (table kinesis_import_gaps) and go on, run with --on-trimmed continue");
  }
  Log(LogLevel::kWarn, "stream '" + ctx.options.stream + "' shard '" + t.shard_id +
                           "': records after the stored position " + stored +
                           " were trimmed before they were imported; going on from " + earliest +
                           " (recorded in kinesis_import_gaps)");
  RetentionGap gap;
  gap.stream = ctx.options.stream;
  gap.shard_id = t.shard_id;
  gap.last_sequence_number = t.position.sequence_number;
  gap.last_subsequence_number = t.position.subsequence_number;
  gap.first_sequence_number_after = std::string(first_readable);
  gap.detected_at_us = EpochUs(ctx.clock);
  batch.gap = std::move(gap);
  ++t.report.gaps;
  return Status::Ok();
}

}  // namespace

StepResult Step(ReaderContext& ctx, ShardTask& t, PayloadDecoder& decoder) {
  const ImportOptions& options = ctx.options;
  ShardReport& report = t.report;
  const int64_t cap = options.follow ? INT64_MAX : options.max_records_per_run;
  if (!options.follow && report.user_records >= cap) {
    report.reached_cap = true;
    return {StepOutcome::kDone, {}};
  }
  auto now = ctx.clock.Monotonic();
  if (t.iterator.empty()) {
    const bool latest_start = t.position.sequence_number.empty() && t.position.resume_timestamp_ms < 0 &&
                              t.start.type == IteratorType::kLatest;
    const int64_t taken_ms = EpochMs(ctx.clock) - kLatestClockMarginMs;
    auto it = Acquire(ctx, t);
    if (!it.ok()) {
      if (it.status().kind() == ErrorKind::kRetriable) return BackOff(ctx, t, it.status());
      return Failed(ctx, it.status());
    }
    t.iterator = std::move(*it);
    if (latest_start && !t.latest_remembered) {
      // A LATEST start that reads nothing must still leave a position, or the next start would
      // take a new LATEST and skip what arrived in between: remember when it started.
      t.latest_remembered = true;
      t.position.resume_timestamp_ms = taken_ms;
      auto b = ctx.exchange.TakeSpent(ctx.schema.columns.size());
      b->task = t.index;
      b->end = t.position;
      ctx.exchange.Push(std::move(b));
    }
    return {StepOutcome::kAgain, now};
  }

  int64_t remaining = cap - report.user_records;
  int limit = static_cast<int>(std::min<int64_t>(options.get_records_limit, remaining));
  t.next_call = now + options.min_call_interval;
  auto got = ctx.source.GetRecords(t.iterator, limit, options.stream, t.shard_id, true, &ctx.cancel);
  if (!got.ok() && got.status().kind() == ErrorKind::kExpiredIterator) {
    Log(LogLevel::kInfo, "shard " + t.shard_id + ": iterator expired, re-acquiring after " +
                             (t.position.sequence_number.empty() ? std::string("the start position")
                                                                 : t.position.sequence_number));
    t.iterator.clear();
    return {StepOutcome::kAgain, now};
  }
  if (!got.ok()) {
    if (ctx.cancel.cancelled()) return {StepOutcome::kDone, {}};
    if (got.status().kind() == ErrorKind::kRetriable) return BackOff(ctx, t, got.status());
    return Failed(ctx, got.status());
  }
  t.failures = 0;
  GetRecordsResult& r = *got;
  report.millis_behind_latest = r.millis_behind_latest;
  const bool shard_end = r.next_shard_iterator.empty();

  auto batch = ctx.exchange.TakeSpent(ctx.schema.columns.size());
  batch->task = t.index;
  Status bad_status;  // the fail policy's error
  bool capped = false;
  for (const KinesisRecord& rec : r.records) {
    if (report.user_records >= cap) {
      capped = true;
      break;
    }
    int64_t skip = -1;
    if (!t.expect_first.empty()) {
      const bool same = rec.sequence_number == t.expect_first;
      if (!same) {
        Status st = TrimmedPast(ctx, t, rec.sequence_number, *batch);
        if (!st.ok()) return Failed(ctx, st);
      }
      const int64_t skip_through = t.skip_through;
      t.expect_first.clear();
      if (same) {
        if (skip_through < 0) continue;  // the whole record is imported already
        skip = skip_through;
        // Derived by counting rows: exact when each user record became one row, which NDJSON
        // inside a KPL aggregate breaks (an entry's lines all share one number).
        if (t.position.derived && options.payload.format == PayloadFormat::kNdjson &&
            rec.data.substr(0, kKplMagic.size()) == kKplMagic) {
          return Failed(ctx, FatalError(Where(ctx, t, rec.sequence_number, -1) +
                                        ": cannot tell how much of this KPL aggregate of NDJSON the table already "
                                        "holds (no stored positions, no kinesis_subsequence_number column); add a "
                                        "kinesis_subsequence_number BIGINT column, or remove the aggregate's rows "
                                        "from the table, and run again"));
        }
      }
    }
    PayloadRecord pr{t.shard_id, rec.sequence_number, rec.partition_key, rec.arrival_time_ms * 1000, rec.data};
    auto on_bad = [&](const BadUserRecord& bad) -> bool {
      std::string where = Where(ctx, t, rec.sequence_number, bad.subsequence_number);
      if (options.on_error == OnError::kFail) {
        bad_status = bad.error.WithContext(where);
        return false;
      }
      int64_t total = ++ctx.bad_total;
      if (options.max_bad_records >= 0 && total > options.max_bad_records) {
        bad_status = BadRecord("more than " + std::to_string(options.max_bad_records) +
                               " bad records (--max-bad-records); the last: " + where + ": " + bad.error.message());
        return false;
      }
      ++report.bad_records;
      ++batch->bad_records;
      if (report.first_bad.size() < kListedBadRecords)
        report.first_bad.push_back({std::string(rec.sequence_number), bad.subsequence_number, bad.error.message()});
      if (options.on_error == OnError::kDeadLetter) {
        RejectedRecord rj;
        rj.stream = options.stream;
        rj.shard_id = t.shard_id;
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
    auto outcome = decoder.Decode(pr, skip, cap - report.user_records, batch->rows, on_bad);
    if (!outcome.ok()) return Failed(ctx, outcome.status());
    if (!bad_status.ok()) return Failed(ctx, bad_status);
    report.user_records += outcome->user_records;
    batch->user_records += outcome->user_records;
    report.records += outcome->rows;
    batch->payload_bytes += static_cast<int64_t>(rec.data.size());
    batch->last_arrival_ms = rec.arrival_time_ms;
    // A fresh position, but its sequence number reuses the old one's buffer (moved out, assigned,
    // moved back): no string allocated per record.
    std::string sequence = std::move(t.position.sequence_number);
    sequence.assign(rec.sequence_number);
    t.position = ShardPosition{std::move(sequence), outcome->last_subsequence_number};
    if (report.first_sequence_number.empty()) report.first_sequence_number = t.position.sequence_number;
    if (outcome->last_subsequence_number >= 0) {
      capped = true;  // stopped inside this record by the cap
      break;
    }
  }
  if (!t.expect_first.empty() && shard_end && !capped) {
    // A closed shard with nothing left at or after the stored position: trimmed away.
    Status st = TrimmedPast(ctx, t, "", *batch);
    if (!st.ok()) return Failed(ctx, st);
    t.expect_first.clear();
  }
  if (!t.position.sequence_number.empty()) {
    report.last_sequence_number = t.position.sequence_number;
    report.last_subsequence_number = t.position.subsequence_number;
  }
  if (options.metrics) {
    // Every answer, empty ones too, so the lag gauge is never stale on an idle stream.
    options.metrics->ShardRead(options.stream, t.shard_id, r.millis_behind_latest, batch->last_arrival_ms);
    if (batch->payload_bytes > 0 || batch->user_records > 0)
      options.metrics->RecordsRead(options.stream, t.shard_id, batch->user_records, batch->payload_bytes);
  }
  const bool moved = batch->rows.num_rows() > 0 || !batch->rejects.empty() || batch->user_records > 0;
  StepResult result{StepOutcome::kAgain, t.next_call};
  if (capped) {
    report.reached_cap = true;
    result.outcome = StepOutcome::kDone;
  } else if (shard_end) {
    report.shard_closed_and_read = true;
    batch->shard_finished = true;
    batch->children = std::move(r.child_shards);
    result.outcome = StepOutcome::kFinished;
  } else {
    t.iterator = std::move(r.next_shard_iterator);
    // Caught up: nothing returned and the server says we are at the tip. An empty response
    // while still behind is not the end (records may sit further on): keep following.
    if (r.records.empty() && r.millis_behind_latest <= 0) {
      if (!options.follow) result.outcome = StepOutcome::kDone;
      else result.due = now + std::max(options.idle_poll_interval, options.min_call_interval);
    }
  }
  if (moved || batch->shard_finished || batch->gap || !r.records.empty()) {
    if (!t.position.sequence_number.empty() || t.position.resume_timestamp_ms >= 0) batch->end = t.position;
    ctx.exchange.Push(std::move(batch));
  } else {
    ctx.exchange.GiveBack(std::move(batch));
  }
  return result;
}

}  // namespace ki
