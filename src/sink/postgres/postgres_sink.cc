#include "sink/postgres/postgres_sink.h"

#include <cstring>
#include <utility>

#include "sink/postgres/postgres_catalog.h"
#include "sink/postgres/postgres_gaps.h"
#include "sink/postgres/postgres_leases.h"

namespace ki {

// --- Open / lifetime ---

Result<std::unique_ptr<PostgresSink>> PostgresSink::Open(const std::string& conninfo,
                                                        Clock& clock,
                                                        PostgresSinkOptions options) {
  KI_ASSIGN_OR_RETURN(PostgresConnection connection, PostgresConnection::Open(conninfo));
  return std::unique_ptr<PostgresSink>(new PostgresSink(std::move(connection), clock, options));
}

PostgresSink::PostgresSink(PostgresConnection connection, Clock& clock,
                           PostgresSinkOptions options)
    : connection_(std::move(connection)),
      clock_(&clock),
      positions_(connection_, clock, options.wait_for_lock),
      rejects_(connection_, clock) {
  positions_.set_shared(options.shared_stream);
}

PostgresSink::~PostgresSink() { Rollback(); }

std::string PostgresSink::Describe() const { return connection_.Describe(); }

int PostgresSink::BackendPid() const { return connection_.BackendPid(); }

std::string PostgresSink::TableForMessages() const {
  return "table '" + schema_.QualifiedName() + "' in " + Describe();
}

Status PostgresSink::CheckRunOpen(const char* call) const {
  if (!connection_.in_transaction()) {
    return InternalError(Describe() + ": " + call + " called before Begin");
  }
  if (connection_.broken()) {
    return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  }
  return Status::Ok();
}

// --- Catalog ---

Result<TableSchema> PostgresSink::DescribeTable(const std::string& table) {
  return DescribePgTable(connection_, table);
}

// --- Run ---

Status PostgresSink::Begin(const TableSchema& schema) {
  if (connection_.in_transaction()) {
    return InternalError(Describe() + ": Begin called while a run is already open");
  }
  schema_ = schema;
  connection_.clear_broken();
  rejects_.EndRun();
  table_sql_ = PgQualifiedSql(schema_.schema, schema_.table);
  positions_.StartRun(schema_);
  KI_RETURN_IF_ERROR(positions_.CreateOrMigrate());
  KI_RETURN_IF_ERROR(connection_.ExecCommand("BEGIN", Describe() + ": BEGIN"));
  connection_.set_in_transaction(true);

  Status status = [&]() -> Status {
    // The columns to fill must still be there with the described types: binary COPY sends each
    // value in exactly its column's format.
    KI_ASSIGN_OR_RETURN(
        std::vector<PgCatalogColumn> columns,
        ReadPgColumns(connection_, table_sql_, TableForMessages() + ": checking its columns"));
    if (columns.empty()) {
      return FatalError(TableForMessages() + " no longer exists (dropped since it was described?)");
    }
    std::vector<const PgCatalogColumn*> matched;
    KI_RETURN_IF_ERROR(MatchPgColumns(schema_, columns, TableForMessages(), &matched));
    copy_writer_.Prepare(schema_, matched, table_sql_);
    return Status::Ok();
  }();
  if (!status.ok()) Rollback();
  return status;
}

Result<std::vector<StoredPosition>> PostgresSink::ListPositions(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("ListPositions"));
  return positions_.List(stream);
}

Result<std::vector<StoredPosition>> PostgresSink::PeekPositions(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("PeekPositions"));
  return positions_.List(stream, /*lock=*/false);
}

Result<ShardPositions> PostgresSink::LoadPositions(const std::string& stream) {
  // Its guard names ListPositions, as it always has (it reads through it).
  KI_RETURN_IF_ERROR(CheckRunOpen("ListPositions"));
  return positions_.Load(stream);
}

Result<bool> PostgresSink::TableHasRows() {
  if (!connection_.in_transaction()) {
    return InternalError(Describe() + ": TableHasRows called before Begin");
  }
  KI_ASSIGN_OR_RETURN(PgResult rows,
                      connection_.Exec("SELECT 1 FROM " + table_sql_ + " LIMIT 1", {},
                                       TableForMessages() + ": looking for rows"));
  return PQntuples(rows.get()) > 0;
}

Result<int64_t> PostgresSink::DeletePositions(const std::string& stream,
                                              const std::string& shard_id) {
  if (!connection_.in_transaction()) {
    return InternalError(Describe() + ": DeletePositions called before Begin");
  }
  return positions_.Delete(stream, shard_id);
}

// One COPY per call, so that a line number in the server's error is the batch's row + 1. COPY's
// start and end cost one round trip per batch, small next to a batch of thousands of rows.
// Binary rather than text format: the server then parses no numbers, dates or escapes. Seed
// table (2 x numeric(18,0), 3 x varchar), 100k rows in 10k-row batches, server on the same
// 2-core machine, medians of 4 runs of 6 (BM_PostgresBareCopy* in bench/sink_benchmark.cc): bare
// COPY 0.83-0.90M rows/s binary vs 0.63-0.73M rows/s text; this sink 0.66-0.79M rows/s, its
// own CPU ~0.2 us/row (UTF-8 and length checks, encoding), the rest is the server.
Status PostgresSink::Append(const RowBatch& batch) {
  KI_RETURN_IF_ERROR(CheckRunOpen("Append"));
  return copy_writer_.Append(connection_, batch, TableForMessages());
}

Status PostgresSink::SavePositions(const std::string& stream, const ShardPositions& positions) {
  KI_RETURN_IF_ERROR(CheckRunOpen("SavePositions"));
  return positions_.Save(stream, positions);
}

Status PostgresSink::PrepareRejects(const std::string& rejects_table) {
  KI_RETURN_IF_ERROR(CheckRunOpen("PrepareRejects"));
  return rejects_.Prepare(rejects_table, schema_.schema);
}

Status PostgresSink::AppendRejects(const std::vector<RejectedRecord>& rejects) {
  if (!connection_.in_transaction() || !rejects_.prepared()) {
    return InvalidArgument(Describe() + ": AppendRejects called before PrepareRejects");
  }
  if (connection_.broken()) {
    return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  }
  return rejects_.Append(rejects);
}

Status PostgresSink::SaveGaps(const std::vector<RetentionGap>& gaps) {
  KI_RETURN_IF_ERROR(CheckRunOpen("SaveGaps"));
  return SavePgGaps(connection_, *clock_, schema_, gaps);
}

Result<int64_t> PostgresSink::CountGaps(const std::string& stream) {
  KI_RETURN_IF_ERROR(CheckRunOpen("CountGaps"));
  return CountPgGaps(connection_, schema_, stream);
}

Result<std::vector<std::string>> PostgresSink::CheckLeases(const LeaseFence& fence) {
  KI_RETURN_IF_ERROR(CheckRunOpen("CheckLeases"));
  return PgCheckLeases(connection_, schema_.schema, schema_.QualifiedName(), fence);
}

Status PostgresSink::Commit() {
  if (!connection_.in_transaction()) {
    return InternalError(Describe() + ": Commit called before Begin");
  }
  if (connection_.broken()) {
    Rollback();
    return IoError(TableForMessages() + ": an earlier statement failed; the run was rolled back");
  }
  PgResult result(PQexec(connection_.get(), "COMMIT"));
  const bool ok = result && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
  Status status = Status::Ok();
  if (!ok) {
    status = connection_.ErrorFrom(result.get(), TableForMessages() + ": COMMIT");
    if (PQstatus(connection_.get()) == CONNECTION_BAD) {
      // Lost while committing: the server may or may not have committed. Either way rows and
      // positions went together, so the next run resumes correctly.
      ErrorDetail detail = status.detail();
      detail.commit_outcome_unknown = true;
      status = Status::Error(status.kind(),
                             status.message() +
                                 "; the connection was lost during COMMIT, so the outcome is "
                                 "unknown: rows and positions were committed together or not at "
                                 "all, and the next run resumes correctly either way")
                   .WithDetail(std::move(detail));
    }
  } else if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") != 0) {
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
    status = IoError(TableForMessages() + ": PostgreSQL rolled the run back instead of "
                                          "committing it (an earlier statement failed)");
  }
  connection_.set_in_transaction(false);
  positions_.EndRun();
  rejects_.EndRun();
  if (!status.ok() && PQstatus(connection_.get()) == CONNECTION_OK &&
      PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
    PgResult ignored(PQexec(connection_.get(), "ROLLBACK"));
  }
  return status;
}

void PostgresSink::Rollback() {
  if (!connection_.in_transaction()) return;
  if (connection_.ok()) {
    PgResult ignored(PQexec(connection_.get(), "ROLLBACK"));
  }
  connection_.set_in_transaction(false);
  positions_.EndRun();
  rejects_.EndRun();
}

}  // namespace ki
