// The PostgreSQL sink: streams rows into a table with COPY ... FROM STDIN (binary format), and
// keeps the shards' positions in kinesis_import_positions (in the target table's schema), all in
// one transaction per run. A killed run, a lost connection or a server crash before COMMIT leave
// the table and the positions as they were (PostgreSQL's atomic commit).
//
// Concurrency: a run takes a transaction-scoped advisory lock keyed on (positions table, table,
// stream) when it first touches that stream's positions (LoadPositions or SavePositions). A second
// run on the same stream and table fails fast (Fatal, "another kinesis-import run holds the
// lock ...") unless PostgresSinkOptions::wait_for_lock is set, in which case it waits. Runs on
// other streams or tables proceed in parallel.
//
// Secrets: the connection string's password never appears in Describe() or in any message (see
// RedactConnectionString); PGPASSWORD, ~/.pgpass, PGSERVICE etc. work through libpq as usual.
//
// Used from one thread at a time (the Sink contract).
//
// This class holds the run's state and the Sink contract's checks; the work is done by
// PostgresConnection (connecting, statements, errors -> Status), the catalog (postgres_catalog.h),
// PgCopyWriter (binary COPY, with postgres_array.h and postgres_copy_format.h), PgPositions,
// PgRejects and SavePgGaps (postgres_gaps.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/postgres/postgres_copy_writer.h"
#include "sink/postgres/postgres_positions.h"
#include "sink/postgres/postgres_rejects.h"
#include "sink/sink.h"

namespace ki {

struct PostgresSinkOptions {
  // A second run on the same (stream, table) waits for the first to finish instead of failing.
  bool wait_for_lock = false;
  // Several workers share the stream under leases (docs/scale-out.md): no per-stream run lock;
  // CheckLeases fences each shard instead.
  bool shared_stream = false;
};

class PostgresSink final : public Sink {
 public:
  // Connects with `conninfo`: any libpq connection string (postgresql:// URI or key=value). Sets
  // client_encoding UTF8 for the session.
  // Errors: IoError "cannot connect to PostgreSQL <redacted conninfo>: <libpq message>".
  // `clock` stamps updated_at in the positions table and must outlive the sink.
  static Result<std::unique_ptr<PostgresSink>> Open(const std::string& conninfo,
                                                    Clock& clock = SystemClock(),
                                                    PostgresSinkOptions options = {});

  // Rolls back a transaction that is still open, then closes the connection.
  ~PostgresSink() override;

  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

  // "PostgreSQL <connection string without password>".
  std::string Describe() const override;

  // `table` is "t", "schema.t" or "database.schema.t" (the database must be the connected one);
  // parts may be double-quoted ("a""b" is a"b); unquoted parts are folded to lower case, as
  // PostgreSQL does. An unqualified name resolves through the session's search_path. The
  // result's `schema` is always filled. Generated and dropped columns are left out (COPY names the
  // columns it fills).
  // Types: int2/int4/int8 -> SMALLINT/INTEGER/BIGINT; numeric(p,s) -> DECIMAL(p,s) with the full
  // precision p (1..1000; p > 38: the decoder hands the exact value over as canonical text,
  // IsTextDecimal, encoded straight into binary numeric); unconstrained numeric -> DECIMAL with
  // decimal_unconstrained: each value keeps its own digits and scale (1.5 stays 1.5, 123.4560
  // keeps 4 decimals) within PostgreSQL's limits; numeric with a negative scale or a scale above
  // the precision -> unsupported; float4/float8 -> REAL/DOUBLE; bool; text -> VARCHAR; varchar(n)/char(n) ->
  // VARCHAR with max_length n (checked by Append); date; timestamp; timestamptz; time; uuid;
  // json/jsonb -> JSON; bytea -> BLOB; one-dimensional arrays (declared without more than one
  // pair of brackets) of int2/int4/int8/float4/float8/bool/text/varchar/numeric/date/timestamp/
  // timestamptz/uuid -> LIST with one child "element" mapped as above (numeric(p,s)[] keeps p,s;
  // the element's type_name is format_type's, e.g. "numeric(10,2)"); everything else (other
  // arrays, multi-dimensional arrays, interval, timetz, domains, enums, ...) -> unsupported
  // (only NULL). What PostgreSQL refuses although the type allows it is marked for the decoder
  // (ColumnSpec::rejects_nul on text/varchar/char and text[]/varchar[] elements,
  // rejects_nul_escape on jsonb), so that such a value is a bad record naming the column and
  // the record, not an error that fails the run.
  // Errors: InvalidArgument for a malformed name, another database, or a view; NotFound with a
  // CREATE TABLE suggestion when there is no such table.
  Result<TableSchema> DescribeTable(const std::string& table) override;

  // Creates kinesis_import_positions (PRIMARY KEY (stream_name, table_name, shard_id)) in the
  // table's schema if missing, or migrates an older version's table, in a short transaction of its own serialised by an advisory lock
  // (so concurrent first runs do not collide), then BEGIN and checks that the table still has the
  // described columns with the described types (binary COPY must match them exactly: Fatal
  // otherwise). On error nothing stays open.
  Status Begin(const TableSchema& schema) override;

  // Takes the run's lock for `stream` (see above), then reads the positions; falls back to the
  // metadata columns (numerically largest sequence number per shard) like the DuckDB sink.
  Result<ShardPositions> LoadPositions(const std::string& stream) override;
  Result<bool> TableHasRows() override;
  Result<std::vector<StoredPosition>> ListPositions(const std::string& stream) override;
  Result<std::vector<StoredPosition>> PeekPositions(const std::string& stream) override;
  Result<int64_t> DeletePositions(const std::string& stream, const std::string& shard_id) override;

  // Hot path: one COPY ... FROM STDIN (binary format) per call, rows encoded into a 256 KiB buffer
  // handed to PQputCopyData. Before anything is sent the whole batch is checked: text must be
  // UTF-8 without NUL bytes and fit VARCHAR(n)/CHAR(n) (characters, trailing spaces excepted, as
  // PostgreSQL counts) -> BadRecord naming column and row, nothing of the batch sent; the same
  // for the text elements of text[]/varchar(n)[] (then also naming the element). LIST cells
  // (the decoder's canonical JSON text) are encoded in PostgreSQL's binary array format during
  // that check (one dimension, lower bound 1; an empty array has no dimension). Errors the
  // server finds in the data (SQLSTATE classes 22 and 23: NOT NULL, CHECK, invalid JSON, ...)
  // are BadRecord with the server's message (which names the line = row + 1 and the column);
  // after one, PostgreSQL has aborted the transaction and the run must Rollback. A lost
  // connection is Retriable; other failures IoError.
  Status Append(const RowBatch& batch) override;

  // Upserts each shard's row in the positions table (INSERT ... ON CONFLICT DO UPDATE).
  Status SavePositions(const std::string& stream, const ShardPositions& positions) override;

  // Creates the rejects table if missing inside the run's transaction (so it disappears with a
  // rolled-back run); an unqualified name goes into the target table's schema. A concurrent
  // creation by another run is tolerated. Rejected records are rare: one INSERT each.
  Status PrepareRejects(const std::string& rejects_table) override;
  Status AppendRejects(const std::vector<RejectedRecord>& rejects) override;

  // Creates kinesis_import_gaps in the target table's schema if missing (inside the run's
  // transaction, so it disappears with a rolled-back run; a concurrent creation by another run is
  // tolerated), then one INSERT per gap (see postgres_gaps.h).
  Status SaveGaps(const std::vector<RetentionGap>& gaps) override;
  Result<int64_t> CountGaps(const std::string& stream) override;

  // COMMIT. When PostgreSQL reports that it rolled back instead (an earlier error aborted the
  // transaction), or the connection is gone, an error naming the table; nothing was committed.
  // The lease fence (postgres_leases.h: PgCheckLeases), in the run's transaction.
  Result<std::vector<std::string>> CheckLeases(const LeaseFence& fence) override;

  Status Commit() override;
  void Rollback() override;

  // The server process id of the connection (for tests that terminate it).
  int BackendPid() const;

 private:
  PostgresSink(PostgresConnection connection, Clock& clock, PostgresSinkOptions options);

  std::string TableForMessages() const;
  // The guard of the calls that need an open run which no earlier statement broke.
  Status CheckRunOpen(const char* call) const;

  PostgresConnection connection_;  // also holds the run's transaction state
  Clock* clock_;
  PgPositions positions_;
  PgRejects rejects_;
  PgCopyWriter copy_writer_;

  // State of the open run (between Begin and Commit/Rollback).
  TableSchema schema_;
  std::string table_sql_;  // "schema"."table"
};

}  // namespace ki
