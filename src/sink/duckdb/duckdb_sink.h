// The DuckDB sink: appends rows into a table of a DuckDB file through the appender, and keeps the
// shards' positions in kinesis_import_positions (in the target table's schema), all in one
// transaction per run.
//
// DuckDB lets one process at a time open a file for writing; a second kinesis-import run on the
// same file fails in Open with a Fatal error saying the file is in use. Within one process,
// open a file through one DuckDbSink only.
//
// Used from one thread at a time (the Sink contract).
//
// Files: duckdb_sink.cc (open, catalog, Begin, Append's column writers, rejects, commit),
// duckdb_positions.cc (the positions members), duckdb_gaps.cc (SaveGaps), duckdb_statements.h
// (bound statements), duckdb_nested.h (LIST/STRUCT cells).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/duckdb/duckdb_handles.h"
#include "sink/sink.h"

namespace ki {

class DuckDbSink final : public Sink {
 public:
  // Opens (or creates) the DuckDB file at `path` (":memory:" for an in-memory database).
  // Errors: Fatal when another process holds the file; IoError for anything else DuckDB reports
  // (missing directory, not a DuckDB file, ...). `clock` stamps updated_at in the positions table
  // and must outlive the sink. `threads`: DuckDB's worker threads, 0 for its default (one per
  // core); see docs/performance.md for why `run` and `follow` use 1.
  static Result<std::unique_ptr<DuckDbSink>> Open(const std::string& path,
                                                  Clock& clock = SystemClock(), int threads = 0);

  // Rolls back a transaction that is still open.
  ~DuckDbSink() override;

  DuckDbSink(const DuckDbSink&) = delete;
  DuckDbSink& operator=(const DuckDbSink&) = delete;

  std::string Describe() const override;

  // `table` is "t", "schema.t" or "catalog.schema.t"; parts may be double-quoted ("a""b" is a"b).
  // Matched case-insensitively, as DuckDB does, preferring an exact-case match. The result's
  // `schema` is always filled with the catalog's schema name (e.g. "main"), so "t" and "main.t"
  // describe (and key positions under) the same QualifiedName().
  // Errors: InvalidArgument for a malformed name or a view; NotFound (with a CREATE TABLE
  // suggestion) when there is no such table.
  Result<TableSchema> DescribeTable(const std::string& table) override;

  // BEGIN; creates kinesis_import_positions if missing; opens the appender and checks that the
  // table still has the columns `schema` lists (same count, types). On error nothing stays open.
  Status Begin(const TableSchema& schema) override;

  // Call before the first Append (rows appended in this run are not considered).
  Result<ShardPositions> LoadPositions(const std::string& stream) override;
  Result<bool> TableHasRows() override;
  Result<std::vector<StoredPosition>> ListPositions(const std::string& stream) override;
  Result<int64_t> DeletePositions(const std::string& stream, const std::string& shard_id) override;

  // Hot path: converts the batch column by column into a reused data chunk of up to
  // duckdb_vector_size() rows and hands it to the appender; no per-row heap allocation.
  // Text cells are checked to be UTF-8 before anything of the batch is appended (BadRecord
  // naming the column and row; the batch is then not appended at all). A non-NULL cell in a
  // column of unsupported type is an Internal error (the decoder only writes NULL there).
  // Appender errors are IoError; after one the run must Rollback.
  Status Append(const RowBatch& batch) override;

  // Flushes appended rows (so constraint errors show up here), then replaces each shard's row
  // in the positions table: DELETE + INSERT by (stream, table, shard).
  Status SavePositions(const std::string& stream, const ShardPositions& positions) override;

  // Creates the rejects table if missing (an unqualified name goes into the target table's
  // schema) and prepares the INSERT; rejected records are rare, so a prepared INSERT per record.
  Status PrepareRejects(const std::string& rejects_table) override;
  Status AppendRejects(const std::vector<RejectedRecord>& rejects) override;

  // Creates kinesis_import_gaps in the target table's schema if missing, then one INSERT per gap
  // (they are rare); inside the run's transaction, so both disappear with a rolled-back run.
  // Nothing at all for an empty `gaps`. Empty sequence numbers and a subsequence number of -1
  // are stored as NULL; a detected_at_us of 0 or less as the sink's clock's time.
  Status SaveGaps(const std::vector<RetentionGap>& gaps) override;
  Result<int64_t> CountGaps(const std::string& stream) override;

  // Flushes and closes the appender, then COMMIT. On error the transaction is rolled back and an
  // IoError naming the table is returned.
  Status Commit() override;
  void Rollback() override;

 private:
  // How Append writes a column into its vector; chosen once in Begin from the column's types.
  enum class ColumnWriter {
    kBool,
    kInt8,
    kInt16,
    kInt32,
    kInt64,
    kUInt8,
    kUInt16,
    kUInt32,
    kUInt64,
    kHugeInt,  // HUGEINT and DECIMAL(19..38) from Cell.i128
    kUuid,     // Cell.i128 (big-endian value) stored as hugeint with the top bit flipped
    kFloat,
    kDouble,
    kText,      // VARCHAR, JSON: must be UTF-8
    kBlob,
    kNullOnly,  // unsupported type: only NULL is written
  };

  DuckDbSink(std::string path, DuckDbDatabase database, DuckDbConnection connection, Clock& clock);

  // Runs a statement without parameters; IoError with `what` and DuckDB's message on failure.
  Status Execute(const char* sql, const std::string& what);
  Status Prepare(const std::string& sql, DuckDbPreparedStatement& statement,
                 const std::string& what);
  // Creates the positions table (current schema) or migrates an older one, in the transaction.
  Status MigratePositionsTable(const std::string& version_table_sql);
  // Flushes the appender's cache into the transaction.
  Status FlushAppender();
  Status AppenderError(const std::string& what);
  std::string TableForMessages() const;
  // Releases the appender (flushing into the transaction, so call before ROLLBACK/COMMIT),
  // the chunk and the prepared statements.
  void ReleaseRunState();

  std::string path_;
  Clock* clock_;
  DuckDbDatabase database_;
  DuckDbConnection connection_;

  // State of the open run (between Begin and Commit/Rollback). Declared after the connection so
  // that it is destroyed first.
  bool in_transaction_ = false;
  bool broken_ = false;  // an appender error happened; only Rollback is possible
  TableSchema schema_;
  std::string positions_table_sql_;  // quoted "schema".kinesis_import_positions
  std::vector<ColumnWriter> writers_;
  DuckDbPreparedStatement select_positions_;
  DuckDbPreparedStatement delete_position_;
  DuckDbPreparedStatement insert_position_;
  DuckDbPreparedStatement insert_reject_;
  DuckDbDataChunk chunk_;
  DuckDbAppender appender_;
};

}  // namespace ki
