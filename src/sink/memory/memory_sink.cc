#include "sink/memory/memory_sink.h"

#include <algorithm>

#include "sink/sql_identifier.h"

namespace ki {

// --- MemoryDatabase ---

void MemoryDatabase::CreateTable(TableSchema schema) {
  if (schema.schema.empty()) schema.schema = "main";
  std::lock_guard lock(mutex_);
  const std::string name = schema.QualifiedName();
  tables_[name] = Table{std::move(schema), 0};
}

bool MemoryDatabase::HasTable(const std::string& table) const {
  std::lock_guard lock(mutex_);
  return tables_.count(table) != 0;
}

std::vector<MemoryCommit> MemoryDatabase::Commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

size_t MemoryDatabase::CommitCount() const {
  std::lock_guard lock(mutex_);
  return commits_.size();
}

size_t MemoryDatabase::RowCount(const std::string& table) const {
  std::lock_guard lock(mutex_);
  auto it = tables_.find(table);
  return it == tables_.end() ? 0 : it->second.rows;
}

std::vector<StoredPosition> MemoryDatabase::StoredPositions(const std::string& stream,
                                                            const std::string& table) const {
  std::lock_guard lock(mutex_);
  std::vector<StoredPosition> out;
  auto it = positions_.find({stream, table});
  if (it == positions_.end()) return out;
  for (const auto& [shard, stored] : it->second) out.push_back(stored);
  return out;
}

std::vector<RetentionGap> MemoryDatabase::Gaps() const {
  std::lock_guard lock(mutex_);
  std::vector<RetentionGap> out;
  for (const MemoryCommit& c : commits_) out.insert(out.end(), c.gaps.begin(), c.gaps.end());
  return out;
}

std::vector<RejectedRecord> MemoryDatabase::Rejects() const {
  std::lock_guard lock(mutex_);
  std::vector<RejectedRecord> out;
  for (const MemoryCommit& c : commits_) out.insert(out.end(), c.rejects.begin(), c.rejects.end());
  return out;
}

bool MemoryDatabase::WaitForCommits(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return committed_.wait_for(lock, timeout, [&] { return commits_.size() >= count; });
}

void MemoryDatabase::FailNext(MemorySinkCall call, Status status) {
  std::lock_guard lock(mutex_);
  faults_[call].push_back(std::move(status));
}

std::optional<Status> MemoryDatabase::TakeFault(MemorySinkCall call) {
  auto it = faults_.find(call);
  if (it == faults_.end() || it->second.empty()) return std::nullopt;
  Status status = std::move(it->second.front());
  it->second.erase(it->second.begin());
  return status;
}

// --- InMemorySink ---

InMemorySink::InMemorySink(std::shared_ptr<MemoryDatabase> database, Clock& clock)
    : database_(std::move(database)), clock_(&clock) {}

InMemorySink::~InMemorySink() { Rollback(); }

std::string InMemorySink::Describe() const { return "in-memory database"; }

Result<TableSchema> InMemorySink::DescribeTable(const std::string& table) {
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                      SplitQualifiedName(table, UnquotedCase::kKeep, "database.schema.table"));
  if (parts.size() == 3) parts.erase(parts.begin());
  const std::string name = parts.size() == 2 ? parts[0] + "." + parts[1] : "main." + parts[0];
  std::lock_guard lock(database_->mutex_);
  auto it = database_->tables_.find(name);
  if (it == database_->tables_.end()) {
    return NotFound("table '" + table + "' does not exist in " + Describe());
  }
  return it->second.schema;
}

Status InMemorySink::CheckRunOpen(const char* call) const {
  if (!in_transaction_) return InternalError(Describe() + ": " + call + " called before Begin");
  return Status::Ok();
}

Status InMemorySink::Begin(const TableSchema& schema) {
  if (in_transaction_) {
    return InternalError(Describe() + ": Begin called while a run is already open");
  }
  {
    std::lock_guard lock(database_->mutex_);
    if (auto fault = database_->TakeFault(MemorySinkCall::kBegin)) return *fault;
    if (database_->tables_.count(schema.QualifiedName()) == 0) {
      return NotFound("table '" + schema.QualifiedName() + "' does not exist in " + Describe());
    }
  }
  schema_ = schema;
  pending_ = MemoryCommit{};
  pending_.table = schema_.QualifiedName();
  in_transaction_ = true;
  return Status::Ok();
}

Status InMemorySink::Lock(const std::string& stream) {
  if (locked_streams_.count(stream) != 0) return Status::Ok();
  std::lock_guard lock(database_->mutex_);
  if (!database_->locked_.insert({stream, schema_.QualifiedName()}).second) {
    return FatalError(Describe() + ": another kinesis-import run holds the lock for stream '" +
                      stream + "' and table '" + schema_.QualifiedName() +
                      "'; try again when it has finished");
  }
  locked_streams_.insert(stream);
  return Status::Ok();
}

std::map<std::string, StoredPosition> InMemorySink::VisiblePositions(
    const std::string& stream) const {
  std::map<std::string, StoredPosition> visible;
  {
    std::lock_guard lock(database_->mutex_);
    auto it = database_->positions_.find({stream, schema_.QualifiedName()});
    if (it != database_->positions_.end()) visible = it->second;
  }
  auto changed = changed_.find(stream);
  if (changed == changed_.end()) return visible;
  for (const auto& [shard, stored] : changed->second) {
    if (stored) {
      visible[shard] = *stored;
    } else {
      visible.erase(shard);
    }
  }
  return visible;
}

Result<std::vector<StoredPosition>> InMemorySink::ListPositions(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("ListPositions"));
  KI_RETURN_IF_ERROR(Lock(stream));
  std::vector<StoredPosition> out;
  for (auto& [shard, stored] : VisiblePositions(stream)) out.push_back(std::move(stored));
  return out;
}

Result<std::vector<StoredPosition>> InMemorySink::PeekPositions(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("PeekPositions"));
  std::vector<StoredPosition> out;
  for (auto& [shard, stored] : VisiblePositions(stream)) out.push_back(std::move(stored));
  return out;
}

Result<ShardPositions> InMemorySink::LoadPositions(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("LoadPositions"));
  KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> stored, ListPositions(stream));
  ShardPositions positions;
  for (StoredPosition& p : stored) positions[p.shard_id] = std::move(p.position);
  return positions;
}

Result<bool> InMemorySink::TableHasRows() {
  KI_RETURN_IF_ERROR(CheckRunOpen("TableHasRows"));
  if (pending_.num_rows() > 0) return true;
  std::lock_guard lock(database_->mutex_);
  auto it = database_->tables_.find(schema_.QualifiedName());
  return it != database_->tables_.end() && it->second.rows > 0;
}

Status InMemorySink::Append(const RowBatch& batch) {
  KI_RETURN_IF_ERROR(CheckRunOpen("Append"));
  if (batch.num_columns() != schema_.columns.size()) {
    return InvalidArgument(Describe() + ": a batch of " + std::to_string(batch.num_columns()) +
                           " columns for table '" + schema_.QualifiedName() + "' of " +
                           std::to_string(schema_.columns.size()));
  }
  {
    std::lock_guard lock(database_->mutex_);
    if (auto fault = database_->TakeFault(MemorySinkCall::kAppend)) return *fault;
  }
  pending_.batches.push_back(batch);
  return Status::Ok();
}

Status InMemorySink::SavePositions(const std::string& stream, const ShardPositions& positions) {
  KI_RETURN_IF_ERROR(CheckRunOpen("SavePositions"));
  KI_RETURN_IF_ERROR(Lock(stream));
  {
    std::lock_guard lock(database_->mutex_);
    if (auto fault = database_->TakeFault(MemorySinkCall::kSavePositions)) return *fault;
  }
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             clock_->Now().time_since_epoch())
                             .count();
  for (const auto& [shard, position] : positions) {
    StoredPosition stored{shard, position, now_us};
    stored.position.derived = false;  // a stored position is never derived
    changed_[stream][shard] = stored;
    pending_.positions[stream][shard] = stored.position;
  }
  return Status::Ok();
}

Result<int64_t> InMemorySink::DeletePositions(const std::string& stream,
                                              const std::string& shard_id) {
  KI_RETURN_IF_ERROR(CheckRunOpen("DeletePositions"));
  KI_RETURN_IF_ERROR(Lock(stream));
  int64_t deleted = 0;
  for (const auto& [shard, stored] : VisiblePositions(stream)) {
    if (!shard_id.empty() && shard != shard_id) continue;
    changed_[stream][shard] = std::nullopt;
    pending_.positions[stream].erase(shard);
    ++deleted;
  }
  return deleted;
}

Status InMemorySink::PrepareRejects(const std::string& rejects_table) {
  KI_RETURN_IF_ERROR(CheckRunOpen("PrepareRejects"));
  pending_.rejects_table = rejects_table;
  rejects_prepared_ = true;
  return Status::Ok();
}

Status InMemorySink::AppendRejects(const std::vector<RejectedRecord>& rejects) {
  if (!in_transaction_ || !rejects_prepared_) {
    return InvalidArgument(Describe() + ": AppendRejects called before PrepareRejects");
  }
  pending_.rejects.insert(pending_.rejects.end(), rejects.begin(), rejects.end());
  return Status::Ok();
}

Status InMemorySink::SaveGaps(const std::vector<RetentionGap>& gaps) {
  KI_RETURN_IF_ERROR(CheckRunOpen("SaveGaps"));
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             clock_->Now().time_since_epoch())
                             .count();
  for (RetentionGap gap : gaps) {
    if (gap.detected_at_us <= 0) gap.detected_at_us = now_us;  // as the SQL sinks do
    pending_.gaps.push_back(std::move(gap));
  }
  return Status::Ok();
}

Result<int64_t> InMemorySink::CountGaps(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("CountGaps"));
  int64_t n = 0;
  for (const RetentionGap& gap : pending_.gaps) n += gap.stream == stream ? 1 : 0;
  std::lock_guard lock(database_->mutex_);
  for (const MemoryCommit& commit : database_->commits_) {
    if (commit.table != schema_.QualifiedName()) continue;
    for (const RetentionGap& gap : commit.gaps) n += gap.stream == stream ? 1 : 0;
  }
  return n;
}

Status InMemorySink::Commit() {
  KI_RETURN_IF_ERROR(CheckRunOpen("Commit"));
  std::optional<Status> fault;
  {
    std::lock_guard lock(database_->mutex_);
    fault = database_->TakeFault(MemorySinkCall::kCommit);
  }
  if (fault) {
    // Like a failed COMMIT of the SQL sinks: the transaction is gone, nothing was committed.
    Rollback();
    return *fault;
  }
  {
    std::lock_guard lock(database_->mutex_);
    auto table = database_->tables_.find(schema_.QualifiedName());
    if (table != database_->tables_.end()) table->second.rows += pending_.num_rows();
    for (const auto& [stream, shards] : changed_) {
      auto& stored = database_->positions_[{stream, schema_.QualifiedName()}];
      for (const auto& [shard, position] : shards) {
        if (position) {
          stored[shard] = *position;
        } else {
          stored.erase(shard);
        }
      }
    }
    database_->commits_.push_back(std::move(pending_));
  }
  database_->committed_.notify_all();
  EndRun();
  return Status::Ok();
}

void InMemorySink::Rollback() {
  if (!in_transaction_) return;
  EndRun();
}

void InMemorySink::EndRun() {
  {
    std::lock_guard lock(database_->mutex_);
    for (const std::string& stream : locked_streams_) {
      database_->locked_.erase({stream, schema_.QualifiedName()});
    }
  }
  locked_streams_.clear();
  changed_.clear();
  pending_ = MemoryCommit{};
  rejects_prepared_ = false;
  in_transaction_ = false;
}

}  // namespace ki
