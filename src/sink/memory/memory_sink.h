// An in-memory Sink for the pipeline's unit tests: it keeps the Sink contract (one transaction per
// Begin .. Commit/Rollback; rows, rejects, gaps and positions committed together or not at all)
// and passes the sink conformance suite's cases that are not about SQL catalogs or type systems.
// It stands in for a database only where a test cannot use a real one (scripted shard sources,
// injected faults, observing every commit), never in the integration tests of the sinks.
//
// Several sinks share one MemoryDatabase: a "restart" opens a new sink on the same database and
// sees what was committed. Each commit is kept as a MemoryCommit, so a test can check what every
// transaction held (e.g. that each partition key's counters are 1..k at every commit).
//
// Differences from the SQL sinks: tables are declared with MemoryDatabase::CreateTable (no SQL);
// positions are never derived from metadata columns (LoadPositions returns only stored ones);
// cells are kept as the RowBatch holds them, without type checks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/sink.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

// What one committed transaction held.
struct MemoryCommit {
  std::string table;              // TableSchema::QualifiedName() of the run
  std::vector<RowBatch> batches;  // copies of the appended batches, in order (empty ones too)
  // stream -> the positions saved in this transaction (the last one per shard).
  std::map<std::string, ShardPositions> positions;
  std::vector<RejectedRecord> rejects;
  std::string rejects_table;  // as given to PrepareRejects; empty without
  std::vector<RetentionGap> gaps;

  size_t num_rows() const {
    size_t n = 0;
    for (const RowBatch& b : batches) n += b.num_rows();
    return n;
  }
};

// Which call an injected fault hits (MemoryDatabase::FailNext).
enum class MemorySinkCall { kBegin, kAppend, kSavePositions, kCommit };

// The shared state of the in-memory sinks. Thread-safe: a test may read it while the engine
// commits from another thread.
class MemoryDatabase {
 public:
  // Declares a table; DescribeTable finds it by `schema.table` or, in schema "main" (filled in
  // when `schema.schema` is empty), by `table` alone. Replaces a table of the same name.
  void CreateTable(TableSchema schema);

  // Whether `table` (QualifiedName) was declared.
  bool HasTable(const std::string& table) const;
  // Every committed transaction, oldest first.
  std::vector<MemoryCommit> Commits() const;
  size_t CommitCount() const;
  // The committed rows of `table` (QualifiedName, e.g. "main.t") across all commits.
  size_t RowCount(const std::string& table) const;
  // The committed positions of `stream` for `table`, with their updated_at (microseconds of the
  // sink's clock), ordered by shard id.
  std::vector<StoredPosition> StoredPositions(const std::string& stream,
                                              const std::string& table) const;
  // Every committed gap, in commit order.
  std::vector<RetentionGap> Gaps() const;
  // Every committed reject, in commit order.
  std::vector<RejectedRecord> Rejects() const;

  // Waits until at least `count` transactions are committed or `timeout` passes; returns whether
  // they are.
  bool WaitForCommits(size_t count, std::chrono::milliseconds timeout) const;

  // The next call of that kind (on any sink of this database) fails with `status` instead of
  // doing its work; a failed Commit rolls the transaction back, as the SQL sinks do. Faults are
  // used once each, in the order they were injected per call kind.
  void FailNext(MemorySinkCall call, Status status);

 private:
  friend class InMemorySink;
  struct Table {
    TableSchema schema;
    size_t rows = 0;
  };
  using PositionKey = std::pair<std::string, std::string>;  // (stream, table)

  // Under mutex_: the injected fault for `call`, if any (removed).
  std::optional<Status> TakeFault(MemorySinkCall call);

  mutable std::mutex mutex_;
  mutable std::condition_variable committed_;
  std::map<std::string, Table> tables_;  // by QualifiedName
  std::vector<MemoryCommit> commits_;
  std::map<PositionKey, std::map<std::string, StoredPosition>> positions_;
  std::set<PositionKey> locked_;  // (stream, table) of open runs: one run at a time on each
  std::map<MemorySinkCall, std::vector<Status>> faults_;
};

class InMemorySink final : public Sink {
 public:
  // `clock` stamps updated_at of the positions and must outlive the sink.
  explicit InMemorySink(std::shared_ptr<MemoryDatabase> database, Clock& clock = SystemClock());
  // Rolls back a transaction that is still open.
  ~InMemorySink() override;

  InMemorySink(const InMemorySink&) = delete;
  InMemorySink& operator=(const InMemorySink&) = delete;

  // "in-memory database".
  std::string Describe() const override;
  // "t" (in schema "main"), "schema.t" or "database.schema.t", parts optionally double-quoted,
  // matched exactly; NotFound for a table not declared with CreateTable.
  Result<TableSchema> DescribeTable(const std::string& table) override;
  // Internal when a run is open; NotFound when the table is gone.
  Status Begin(const TableSchema& schema) override;
  // The committed positions with this run's saves over them; never derived. Like PostgreSQL, the
  // first touch of a stream's positions (Load, List, Save, Delete) takes the run's lock for
  // (stream, table): Fatal "another kinesis-import run holds the lock ..." while another sink of
  // the database has it in an open run.
  Result<ShardPositions> LoadPositions(const std::string& stream) override;
  // Committed rows, or rows appended in this run.
  Result<bool> TableHasRows() override;
  // InvalidArgument when the batch's column count is not the schema's.
  Status Append(const RowBatch& batch) override;
  Status SavePositions(const std::string& stream, const ShardPositions& positions) override;
  Result<std::vector<StoredPosition>> ListPositions(const std::string& stream) override;
  // Without the run's lock, as PostgreSQL's.
  Result<std::vector<StoredPosition>> PeekPositions(const std::string& stream) override;
  Result<int64_t> DeletePositions(const std::string& stream, const std::string& shard_id) override;
  Status PrepareRejects(const std::string& rejects_table) override;
  Status AppendRejects(const std::vector<RejectedRecord>& rejects) override;
  Status SaveGaps(const std::vector<RetentionGap>& gaps) override;
  Result<int64_t> CountGaps(const std::string& stream) override;
  Status Commit() override;
  void Rollback() override;

 private:
  Status CheckRunOpen(const char* call) const;
  Status Lock(const std::string& stream);
  // The positions of `stream` as this run sees them (committed, then this run's changes).
  std::map<std::string, StoredPosition> VisiblePositions(const std::string& stream) const;
  void EndRun();

  std::shared_ptr<MemoryDatabase> database_;
  Clock* clock_;

  // The open run.
  bool in_transaction_ = false;
  TableSchema schema_;
  MemoryCommit pending_;
  bool rejects_prepared_ = false;
  std::set<std::string> locked_streams_;
  // stream -> shard -> the position saved in this run, or nullopt for a deleted one.
  std::map<std::string, std::map<std::string, std::optional<StoredPosition>>> changed_;
};

}  // namespace ki
