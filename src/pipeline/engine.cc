#include "pipeline/engine.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/time_format.h"
#include "decode/metadata_columns.h"
#include "kinesis/shard_graph.h"
#include "pipeline/exchange.h"
#include "pipeline/shard_assignment.h"
#include "pipeline/shard_reader.h"

namespace ki {
namespace {

using Ms = std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

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
    return FatalError("the positions of stream '" + options.stream + "' in table '" + options.table +
                      "' belong to " + p.stream_arn + " created " + created(p.stream_created_ms) +
                      ", but the stream now is " + stream.stream_arn + " created " +
                      created(stream.creation_timestamp_ms) +
                      ": it was deleted and recreated, so its old sequence numbers mean nothing. "
                      "To import the new stream from --start-position, delete the old positions "
                      "with `kinesis-import positions reset --stream " + options.stream + " --table " +
                      options.table + "`");
  }
  return Status::Ok();
}

// A sequence number is a decimal string of up to 129 digits (56 today): a metadata column that
// cannot hold every one would turn every record into a bad record, so it is refused up front.
Status CheckSequenceNumberColumn(const TableSchema& schema) {
  const ColumnSpec* c = schema.FindMetadata(MetadataColumn::kSequenceNumber);
  if (c == nullptr) return Status::Ok();
  if (SequenceNumberColumnIsWide(*c)) return Status::Ok();
  return InvalidArgument("table '" + schema.QualifiedName() + "' column '" + c->name + "' is " + c->type_name +
                         ", which cannot hold every Kinesis sequence number "
                         "(decimal strings of up to 129 digits; today's have 56): make it "
                         "VARCHAR (PostgreSQL: text, varchar(n) with n >= 129, numeric or "
                         "numeric(p) with p >= 129)");
}

bool SamePlace(const ShardPosition& a, const ShardPosition& b) {
  return a.sequence_number == b.sequence_number && a.subsequence_number == b.subsequence_number &&
         a.resume_timestamp_ms == b.resume_timestamp_ms && a.finished == b.finished;
}

int DefaultReaderThreads(size_t shards) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::clamp<size_t>(shards, 1, 4 * cores));
}

class Engine {
 public:
  Engine(RecordSource& source, SinkProvider& sinks, const ImportOptions& options, Clock& clock)
      : source_(source), sinks_(sinks), options_(options), clock_(clock),
        exchange_(BudgetForQueue(options)) {}

  ~Engine() {
    if (options_.assignment != nullptr) options_.assignment->OnChange({});
    StopThreads();
  }

  Result<ImportReport> Run() {
    started_ = clock_.Monotonic();
    if (!options_.follow && options_.max_records_per_run <= 0)
      return InvalidArgument("max-records-per-run must be positive");
    if (options_.assignment != nullptr) {
      assigned_ = options_.assignment->Begin();
      options_.assignment->OnChange([this] { exchange_.Wake(); });
    }
    KI_RETURN_IF_ERROR(Setup());
    StartThreads();
    Status st = Loop();
    StopThreads();
    if (!st.ok()) {
      RollbackOpen();
      return st;
    }
    return Report();
  }

 private:
  // Decoded batches (queued, or held for the next commit) get half the budget; the other half
  // is for the responses the readers hold while they decode (a GetRecords answer is at most
  // 10 MB; readers pause before their next call once the queue's half is used up).
  static size_t BudgetForQueue(const ImportOptions& o) { return o.max_buffer_bytes / 2; }

  Status Setup() {
    KI_ASSIGN_OR_RETURN(Sink * sink, sinks_.Acquire());
    auto schema = sink->DescribeTable(options_.table);
    if (!schema.ok()) {
      sinks_.Discard();
      return schema.status();
    }
    schema_ = std::move(*schema);
    KI_RETURN_IF_ERROR(CheckSequenceNumberColumn(schema_));
    // Fail on a table the decoder cannot fill before touching Kinesis.
    KI_RETURN_IF_ERROR(PayloadDecoder::Create(schema_, options_.decoder, options_.payload).status());

    KI_ASSIGN_OR_RETURN(stream_, source_.DescribeStream(options_.stream));
    KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> shards, source_.ListShards(options_.stream, options_.stop));
    graph_.Update(shards);

    KI_RETURN_IF_ERROR(OpenTransaction(/*first=*/true));
    ShardPositions& positions = loaded_;
    KI_RETURN_IF_ERROR(CheckStreamIdentity(positions, stream_, options_));
    const bool stored = !positions.empty() && !positions.begin()->second.derived;
    if (stored) {
      KI_ASSIGN_OR_RETURN(bool has_rows, sink_->TableHasRows());
      if (!has_rows) {
        Log(LogLevel::kWarn,
            "table '" + options_.table + "' is empty but holds positions of stream '" + options_.stream +
                "' for " + std::to_string(positions.size()) +
                " shard(s): the run resumes after them. If the table was dropped and recreated, "
                "the records before those positions are not imported again; to import them, run "
                "`kinesis-import positions reset --stream " + options_.stream + " --table " + options_.table +
                "` first");
      }
    }
    committed_ = positions;
    for (const auto& [shard, p] : positions) {
      if (p.finished) {
        graph_.MarkFinished(shard);
        read_through_.insert(shard);
      } else if (!graph_.IsKnown(shard)) {
        Log(LogLevel::kWarn, "stream '" + options_.stream + "': shard '" + shard +
                                 "' has a stored position but is no longer in the stream (expired with "
                                 "the stream's retention); it is not read");
      }
    }
    // A closed shard that has no position, under --start-position latest: nothing can come
    // after LATEST in it, so it counts as read for ordering, but its children start at the
    // run's start position too (not at their beginning).
    if (options_.start_position.type == IteratorType::kLatest) {
      for (const auto& id : graph_.ShardIds()) {
        const ShardInfo* info = graph_.Info(id);
        if (info && !info->is_open() && positions.count(id) == 0) graph_.MarkFinished(id);
      }
    }
    if (!sinks_.HoldsBetweenCommits()) {
      // Nothing is written until the first commit; let other processes have the file meanwhile.
      sink_->Rollback();
      txn_open_ = false;
      sink_ = nullptr;
      sinks_.Release();
    }
    StartReadableShards();
    if (options_.metrics) options_.metrics->EngineStarted(options_.stream);
    return Status::Ok();
  }

  // Begin a transaction; after the first, check that nobody else moved the positions meanwhile
  // (another process could have imported while a DuckDB file was free between commits).
  Status OpenTransaction(bool first) {
    KI_ASSIGN_OR_RETURN(sink_, sinks_.Acquire());
    Status st = sink_->Begin(schema_);
    if (!st.ok()) {
      sinks_.Discard();
      sink_ = nullptr;
      return st;
    }
    txn_open_ = true;
    KI_ASSIGN_OR_RETURN(ShardPositions now, sink_->LoadPositions(options_.stream));
    if (first) {
      loaded_ = std::move(now);
    } else {
      for (const auto& [shard, p] : now) {
        if (p.derived) continue;
        // Under leases the other workers move their shards' positions; this one's are fenced.
        if (options_.assignment != nullptr && assigned_.epochs.count(shard) == 0) continue;
        auto it = committed_.find(shard);
        if (it == committed_.end() || (!it->second.derived && !SamePlace(it->second, p))) {
          return FatalError("the stored position of stream '" + options_.stream + "' shard '" + shard +
                            "' in table '" + options_.table +
                            "' was changed by another process while this one was importing into it; "
                            "two importers on one table would import records twice. Stop the other one "
                            "and start again");
        }
      }
    }
    if (options_.on_error == OnError::kDeadLetter) {
      rejects_table_ = options_.rejects_table.empty() ? schema_.QualifiedName() + "_rejects" : options_.rejects_table;
      KI_RETURN_IF_ERROR(sink_->PrepareRejects(rejects_table_));
    }
    return Status::Ok();
  }

  void RollbackOpen() {
    if (txn_open_ && sink_ != nullptr) sink_->Rollback();
    txn_open_ = false;
    if (sink_ != nullptr) sinks_.Discard();
    sink_ = nullptr;
  }

  // Creates tasks for the shards that may be read now and are not read yet.
  void StartReadableShards() {
    for (const std::string& id : graph_.Readable()) {
      if (started_shards_.count(id) > 0) continue;
      if (options_.assignment != nullptr && assigned_.epochs.count(id) == 0) continue;  // another worker's
      started_shards_.insert(id);
      auto task = std::make_unique<ShardTask>();
      task->index = tasks_.size();
      task->shard_id = id;
      task->report.shard_id = id;
      task->report.parents = graph_.Parents(id);
      if (auto it = loaded_.find(id); it != loaded_.end()) {
        task->position = it->second;
        task->position.finished = false;
      }
      // A child whose parents were read to their end starts at its beginning: its first records
      // directly follow the parents' last ones. Otherwise --start-position.
      bool parent_read = false;
      for (const auto& p : graph_.Parents(id)) parent_read = parent_read || read_through_.count(p) > 0;
      task->start = parent_read ? IteratorStart{} : options_.start_position;
      tasks_.push_back(std::move(task));
      if (threads_started_) exchange_.AddTask(tasks_.back()->index, clock_.Monotonic());
    }
  }

  void StartThreads() {
    int n = options_.reader_threads > 0 ? options_.reader_threads : DefaultReaderThreads(graph_.ShardIds().size());
    for (const auto& t : tasks_) exchange_.AddTask(t->index, clock_.Monotonic());
    threads_started_ = true;
    if (tasks_.empty() && !options_.follow) return;
    readers_.reserve(n);
    for (int i = 0; i < n; ++i) readers_.emplace_back([this] { ReaderLoop(); });
    if (options_.follow) refresher_ = std::thread([this] { RefreshLoop(); });
  }

  void StopThreads() {
    reader_cancel_.Cancel();
    exchange_.Stop();
    {
      std::lock_guard lock(refresh_mu_);
      refresh_cv_.notify_all();
    }
    for (auto& t : readers_) {
      if (t.joinable()) t.join();
    }
    readers_.clear();
    if (refresher_.joinable()) refresher_.join();
  }

  void ReaderLoop() {
    auto decoder = PayloadDecoder::Create(schema_, options_.decoder, options_.payload);
    if (!decoder.ok()) {
      exchange_.Fail(decoder.status());
      return;
    }
    ReaderContext ctx{source_, options_, schema_, exchange_, clock_, reader_cancel_, bad_total_};
    size_t index = 0;
    while (exchange_.TakeDueTask(clock_, index)) {
      ShardTask& task = *tasks_[index];
      StepResult r = Step(ctx, task, *decoder);
      if (r.outcome == StepOutcome::kAgain) exchange_.Reschedule(index, r.due);
      else exchange_.Retire();
    }
  }

  // follow: re-reads the shard list every --shard-refresh, or at once when a shard ended.
  void RefreshLoop() {
    for (;;) {
      {
        std::unique_lock lock(refresh_mu_);
        refresh_cv_.wait_for(lock, options_.shard_refresh,
                             [&] { return refresh_now_ || reader_cancel_.cancelled(); });
        refresh_now_ = false;
      }
      if (reader_cancel_.cancelled()) return;
      auto listed = source_.ListShards(options_.stream, &reader_cancel_);
      if (!listed.ok()) {
        if (reader_cancel_.cancelled()) return;
        if (!FollowCanRestartAfter(listed.status())) {
          exchange_.Fail(listed.status());
          return;
        }
        Log(LogLevel::kWarn, listed.status().message() + " — the shard list is read again in " +
                                 std::to_string(options_.shard_refresh.count()) + " ms");
        continue;
      }
      {
        std::lock_guard lock(refresh_mu_);
        listing_ = std::move(*listed);
      }
      exchange_.Wake();
    }
  }

  void RequestRefresh() {
    std::lock_guard lock(refresh_mu_);
    refresh_now_ = true;
    refresh_cv_.notify_all();
  }

  // The commit loop: the only code that touches the sink after Setup.
  Status Loop() {
    TimePoint last_commit = clock_.Monotonic();
    bool stopping = false;
    for (;;) {
      if (!stopping && options_.stop != nullptr && options_.stop->cancelled()) {
        // Stop reading; what the readers already handed over is still appended and committed.
        stopping = true;
        reader_cancel_.Cancel();
        exchange_.Stop();
        for (auto& t : readers_) t.join();
        readers_.clear();
      }
      TimePoint until = options_.follow ? last_commit + options_.commit_interval : clock_.Monotonic() + Ms(100);
      if (stopping) until = clock_.Monotonic();
      auto batch = exchange_.Pop(until, clock_);
      if (Status f = exchange_.failure(); !f.ok()) return f;
      const bool drained = !batch;
      if (batch) KI_RETURN_IF_ERROR(Take(std::move(batch)));
      KI_RETURN_IF_ERROR(TakeListing());
      if (!stopping && options_.assignment != nullptr &&
          options_.assignment->generation() != assigned_.generation) {
        // Shards gained, lost or asked for: commit what is appended (fenced), and let follow
        // start again from the committed positions with the new set.
        if (HasPending()) KI_RETURN_IF_ERROR(Commit());
        // A transaction opened for batches that carried nothing to commit: end it, the next
        // run begins its own on the same connection.
        if (txn_open_ && sink_ != nullptr) sink_->Rollback();
        txn_open_ = false;
        reassigned_ = true;
        return Status::Ok();
      }
      if (stopping) {
        if (drained) return HasPending() ? Commit() : Status::Ok();
        continue;
      }
      if (!options_.follow) {
        if (drained && exchange_.live_tasks() == 0) {
          // Children of shards finished just now may have become readable.
          size_t before = tasks_.size();
          StartReadableShards();
          if (tasks_.size() == before) return Commit();
        }
        continue;
      }
      const auto now = clock_.Monotonic();
      const bool due = rows_since_commit_ >= options_.commit_records || now >= last_commit + options_.commit_interval ||
                       (!sinks_.HoldsBetweenCommits() && exchange_.budget_full());
      if (due && HasPending()) {
        KI_RETURN_IF_ERROR(Commit());
        last_commit = clock_.Monotonic();
      } else if (now >= last_commit + options_.commit_interval) {
        last_commit = now;  // nothing to commit: the interval starts again
      }
    }
  }

  bool HasPending() const { return !pending_.empty() || !held_.empty() || !gaps_.empty(); }

  Status Take(std::unique_ptr<Batch> b) {
    ShardTask& task = *tasks_[b->task];
    if (b->gap) gaps_.push_back(*b->gap);
    if (b->end) {
      ShardPosition& p = pending_[task.shard_id];
      p = *b->end;
      p.stream_arn = stream_.stream_arn;
      p.stream_created_ms = stream_.creation_timestamp_ms;
    }
    if (b->shard_finished) {
      ShardPosition& p = pending_[task.shard_id];
      if (p.sequence_number.empty() && p.resume_timestamp_ms < 0) {
        // Nothing read in this run: keep the stored position, now finished.
        if (auto it = committed_.find(task.shard_id); it != committed_.end()) p = it->second;
        p.derived = false;
        p.stream_arn = stream_.stream_arn;
        p.stream_created_ms = stream_.creation_timestamp_ms;
      }
      p.finished = true;
      graph_.AddChildren(b->children);
      graph_.MarkFinished(task.shard_id);
      read_through_.insert(task.shard_id);
      StartReadableShards();
      if (options_.follow) RequestRefresh();
    }
    rows_since_commit_ += static_cast<int64_t>(b->rows.num_rows());
    bad_since_commit_ += b->bad_records;
    bytes_since_commit_ += b->payload_bytes;
    if (b->last_arrival_ms >= 0) arrivals_since_commit_[task.shard_id] = b->last_arrival_ms;
    if (!txn_open_ && sinks_.HoldsBetweenCommits()) KI_RETURN_IF_ERROR(OpenTransaction(false));
    if (txn_open_ && held_.empty()) return Append(std::move(b));
    held_.push_back(std::move(b));
    return Status::Ok();
  }

  Status Append(std::unique_ptr<Batch> b) {
    Status st;
    if (b->rows.num_rows() > 0) st = sink_->Append(b->rows);
    if (st.ok() && !b->rejects.empty()) st = sink_->AppendRejects(b->rejects);
    exchange_.GiveBack(std::move(b));
    return st;
  }

  Status TakeListing() {
    std::optional<std::vector<ShardInfo>> listed;
    {
      std::lock_guard lock(refresh_mu_);
      listed.swap(listing_);
    }
    if (!listed) return Status::Ok();
    graph_.Update(*listed);
    StartReadableShards();
    return Status::Ok();
  }

  Status Commit() {
    auto began = clock_.Monotonic();
    if (!txn_open_) KI_RETURN_IF_ERROR(OpenTransaction(false));
    while (!held_.empty()) {
      auto b = std::move(held_.front());
      held_.pop_front();
      KI_RETURN_IF_ERROR(Append(std::move(b)));
    }
    if (!options_.follow) AddUntouchedPositions();
    KI_RETURN_IF_ERROR(sink_->SavePositions(options_.stream, pending_));
    if (!gaps_.empty()) KI_RETURN_IF_ERROR(sink_->SaveGaps(gaps_));
    if (options_.before_commit) options_.before_commit();
    KI_RETURN_IF_ERROR(CheckLeases());
    KI_RETURN_IF_ERROR(sink_->Commit());
    txn_open_ = false;
    for (auto& [shard, p] : pending_) {
      committed_[shard] = p;
      committed_[shard].derived = false;
    }
    CommitInfo info;
    info.number = ++commits_;
    info.rows = rows_since_commit_;
    info.bad_records = bad_since_commit_;
    info.seconds = std::chrono::duration<double>(clock_.Monotonic() - began).count();
    total_gaps_ += static_cast<int64_t>(gaps_.size());
    if (options_.metrics) ReportCommit(info);
    pending_.clear();
    gaps_.clear();
    rows_since_commit_ = bad_since_commit_ = 0;
    if (!sinks_.HoldsBetweenCommits()) {
      sink_ = nullptr;
      sinks_.Release();
    }
    if (options_.after_commit) options_.after_commit(info);
    return Status::Ok();
  }

  void ReportCommit(const CommitInfo& info) {
    CommitMetrics m;
    m.rows = info.rows;
    m.bytes = bytes_since_commit_;
    (options_.on_error == OnError::kDeadLetter ? m.dead_lettered : m.skipped) = info.bad_records;
    m.gaps = static_cast<int64_t>(gaps_.size());
    m.seconds = info.seconds;
    options_.metrics->Committed(options_.stream, m);
    for (const auto& [shard, ms] : arrivals_since_commit_) options_.metrics->ShardCommitted(options_.stream, shard, ms);
    for (const auto& [shard, p] : pending_) {
      if (p.finished) options_.metrics->ShardForgotten(options_.stream, shard);
    }
    bytes_since_commit_ = 0;
    arrivals_since_commit_.clear();
  }

  // Under leases: the fence, in the transaction, right before COMMIT. A worker that lost a
  // lease (paused past its TTL, cut off) rolls everything back: another worker reads those
  // records now, so committing them here would import them twice.
  Status CheckLeases() {
    if (options_.assignment == nullptr) return Status::Ok();
    LeaseFence fence;
    fence.stream = options_.stream;
    fence.owner = assigned_.owner;
    std::vector<std::string> unassigned;
    auto add = [&](const std::string& shard) {
      auto it = assigned_.epochs.find(shard);
      if (it == assigned_.epochs.end()) unassigned.push_back(shard);
      else fence.epochs[shard] = it->second;
    };
    for (const auto& [shard, p] : pending_) {
      add(shard);
      if (p.finished) fence.finished.push_back(shard);
    }
    for (const auto& g : gaps_) add(g.shard_id);
    KI_ASSIGN_OR_RETURN(std::vector<std::string> lost, sink_->CheckLeases(fence));
    lost.insert(lost.end(), unassigned.begin(), unassigned.end());
    if (lost.empty()) return Status::Ok();
    RollbackOpen();
    options_.assignment->Lost(lost);
    std::string ids;
    for (const auto& id : lost) ids += (ids.empty() ? "" : ", ") + id;
    ErrorDetail detail;
    detail.lease_lost = true;
    detail.retriable = true;
    return Status::Error(ErrorKind::kRetriable,
                         "lost the lease of shard(s) " + ids + " of stream '" + options_.stream +
                             "' to another worker: the commit was refused and rolled back (nothing of it is "
                             "imported; the other worker reads those records from the committed positions)")
        .WithDetail(std::move(detail));
  }

  // run: an older version's row that nothing moved keeps its place and gains the identity.
  void AddUntouchedPositions() {
    for (const auto& [shard, p] : loaded_) {
      if (pending_.count(shard) || p.derived || !p.stream_arn.empty()) continue;
      ShardPosition q = p;
      q.stream_arn = stream_.stream_arn;
      q.stream_created_ms = stream_.creation_timestamp_ms;
      pending_[shard] = q;
    }
  }

  ImportReport Report() {
    ImportReport report;
    report.stream = options_.stream;
    report.table = schema_.QualifiedName();
    report.rejects_table = rejects_table_;
    report.commits = commits_;
    report.gaps = total_gaps_;
    report.reassigned = reassigned_;
    for (const auto& t : tasks_) {
      report.shards.push_back(t->report);
      report.total_records += t->report.records;
      report.total_bad_records += t->report.bad_records;
    }
    std::sort(report.shards.begin(), report.shards.end(),
              [](const ShardReport& a, const ShardReport& b) { return a.shard_id < b.shard_id; });
    report.elapsed_seconds = std::chrono::duration<double>(clock_.Monotonic() - started_).count();
    return report;
  }

  RecordSource& source_;
  SinkProvider& sinks_;
  const ImportOptions& options_;
  Clock& clock_;
  Exchange exchange_;
  CancellationToken reader_cancel_;
  std::atomic<int64_t> bad_total_{0};

  TableSchema schema_;
  StreamSummary stream_;
  ShardGraph graph_;
  std::set<std::string> read_through_;   // read to their end (here or earlier)
  std::set<std::string> started_shards_;
  std::vector<std::unique_ptr<ShardTask>> tasks_;
  bool threads_started_ = false;
  std::vector<std::thread> readers_;
  std::thread refresher_;
  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  bool refresh_now_ = false;
  std::optional<std::vector<ShardInfo>> listing_;

  Sink* sink_ = nullptr;
  bool txn_open_ = false;
  std::string rejects_table_;
  ShardPositions loaded_;     // as the first transaction found them
  ShardPositions committed_;  // as the last commit left them
  ShardPositions pending_;    // positions of what was appended since
  std::vector<RetentionGap> gaps_;
  std::deque<std::unique_ptr<Batch>> held_;  // waiting for a transaction
  int64_t rows_since_commit_ = 0;
  int64_t bad_since_commit_ = 0;
  int64_t bytes_since_commit_ = 0;                         // payload bytes, for metrics
  std::map<std::string, int64_t> arrivals_since_commit_;  // shard -> last arrival (epoch ms)
  int64_t commits_ = 0;
  int64_t total_gaps_ = 0;
  TimePoint started_;
  AssignmentSnapshot assigned_;  // with options_.assignment: the shards of this run
  bool reassigned_ = false;
};

}  // namespace

Result<ImportReport> RunEngine(RecordSource& source, SinkProvider& sinks, const ImportOptions& options,
                               Clock& clock) {
  Engine engine(source, sinks, options, clock);
  auto report = engine.Run();
  if (!report.ok() && options.metrics) options.metrics->EngineFailed(options.stream, report.status().message());
  return report;
}

bool FollowCanRestartAfter(const Status& status) {
  if (status.ok()) return false;
  if (status.has_detail()) {
    const ErrorDetail& d = status.detail();
    if (d.commit_outcome_unknown || d.retriable) return true;
    if (d.fatal) return false;
  }
  switch (status.kind()) {
    case ErrorKind::kRetriable:
    case ErrorKind::kExpiredIterator:
    case ErrorKind::kIo:
      return true;
    default:
      return false;
  }
}

Result<ImportReport> FollowStream(RecordSource& source, SinkProvider& sinks, const ImportOptions& options,
                                  Clock& clock, const std::function<void(const Status&)>& on_restart) {
  ImportReport total;
  RetryPolicy policy;
  policy.base_delay = Ms(500);
  policy.max_delay = Ms(30000);
  Backoff backoff(policy);
  int failures = 0;
  auto add = [&](const ImportReport& r) {
    total.stream = r.stream;
    total.table = r.table;
    total.rejects_table = r.rejects_table;
    total.total_records += r.total_records;
    total.total_bad_records += r.total_bad_records;
    total.commits += r.commits;
    total.gaps += r.gaps;
    total.elapsed_seconds += r.elapsed_seconds;
    for (const auto& s : r.shards) {
      auto it = std::find_if(total.shards.begin(), total.shards.end(),
                             [&](const ShardReport& x) { return x.shard_id == s.shard_id; });
      if (it == total.shards.end()) {
        total.shards.push_back(s);
        continue;
      }
      it->records += s.records;
      it->bad_records += s.bad_records;
      it->user_records += s.user_records;
      if (it->first_sequence_number.empty()) it->first_sequence_number = s.first_sequence_number;
      if (!s.last_sequence_number.empty()) it->last_sequence_number = s.last_sequence_number;
      it->millis_behind_latest = s.millis_behind_latest;
      it->shard_closed_and_read = it->shard_closed_and_read || s.shard_closed_and_read;
      it->gaps += s.gaps;
    }
  };
  for (;;) {
    auto r = RunEngine(source, sinks, options, clock);
    if (r.ok()) {
      add(*r);
      if (r->reassigned && (options.stop == nullptr || !options.stop->cancelled())) {
        failures = 0;
        continue;  // the shard set changed: start again at once with the new one
      }
      return total;
    }
    if (options.stop != nullptr && options.stop->cancelled()) {
      // A call that gave up because of the stop (ListShards or GetShardIterator while a run was
      // starting, e.g. right after a lease change): a clean stop, not a failure. What that run
      // had not committed is read again from the committed positions at the next start.
      if (r.status().detail().cancelled) return total;
      return r.status();
    }
    if (!FollowCanRestartAfter(r.status())) return r.status();
    sinks.Discard();
    auto delay = std::max(backoff.DelayFor(std::min(failures, 10)), Ms(200));
    ++failures;
    Log(LogLevel::kWarn,
        r.status().message() + " — starting again from the committed positions in " +
            std::to_string(delay.count()) + " ms",
        LogFields{options.stream, "", "", r.status().has_detail() ? std::optional(r.status().detail()) : std::nullopt});
    if (on_restart) on_restart(r.status());
    static const CancellationToken never;
    if (!clock.SleepUnlessCancelled(delay, options.stop != nullptr ? *options.stop : never)) {
      ImportReport stopped = total;
      return stopped;
    }
  }
}

}  // namespace ki
