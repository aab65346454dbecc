// The PostgreSQL sink's binary COPY writer (the hot path of Append): one COPY ... FROM STDIN
// (FORMAT binary) per batch, rows encoded into a 256 KiB buffer handed to PQputCopyData. Before
// anything is sent the whole batch is checked (text: UTF-8, no NUL, varchar(n)/char(n) length;
// LIST cells are encoded by PgArrayEncoder during that check), so a bad cell leaves the run
// untouched and the error names the record. Field encodings: postgres_copy_format.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sink/postgres/postgres_array.h"
#include "sink/postgres/postgres_catalog.h"
#include "sink/postgres/postgres_connection.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

class PgCopyWriter {
 public:
  // Chooses how each column of `schema` is written, from its type and its catalog column
  // (`matched[c]`, as MatchPgColumns found it), and builds the COPY statement for `table_sql`.
  void Prepare(const TableSchema& schema, const std::vector<const PgCatalogColumn*>& matched,
               const std::string& table_sql);

  // Checks `batch`, then sends it with one COPY (see PostgresSink::Append for the errors).
  // `table_for_messages` prefixes error messages.
  Status Append(PostgresConnection& connection, const RowBatch& batch,
                const std::string& table_for_messages);

 private:
  // How a column is written in COPY's binary format; chosen once in Prepare.
  enum class ColumnWriter {
    kBool,
    kInt16,
    kInt32,
    kInt64,
    kNumeric64,    // DECIMAL(<=18) from Cell.i64
    kNumeric128,   // DECIMAL(19..38) from Cell.i128
    kNumericText,  // numeric(p > 38) and unconstrained numeric from the decoder's canonical text
    kFloat4,
    kFloat8,
    kText,   // text, varchar, char, json: the UTF-8 bytes
    kJsonb,  // version byte 1, then the text
    kBytes,  // bytea
    kDate,
    kTimestamp,  // timestamp and timestamptz: microseconds since 2000-01-01 UTC
    kTime,
    kUuid,
    kList,      // one-dimensional array, encoded by CheckBatch (list_bytes_)
    kNullOnly,  // unsupported type: only NULL is written
  };

  // Checks the text cells and encodes the LIST cells (into list_bytes_/list_cells_).
  Status CheckBatch(const RowBatch& batch, const std::string& table_for_messages);
  // Appends row `row` of `batch` to `out` as one tuple of COPY binary format (LIST cells from
  // list_bytes_, which CheckBatch filled for the same batch).
  void EncodeRow(const RowBatch& batch, size_t row, std::string& out) const;

  TableSchema schema_;
  std::string copy_sql_;  // COPY "schema"."table" ("a", "b") FROM STDIN (FORMAT binary)
  std::vector<ColumnWriter> writers_;
  std::vector<PgListElement> list_elements_;  // per column; used for kList columns only
  std::vector<int> list_index_;               // per column: its index among the kList columns
  size_t list_columns_ = 0;
  // The current batch's encoded LIST cells: list_cells_[row * list_columns_ + index] is the
  // {offset, size} of its bytes in list_bytes_.
  std::string list_bytes_;
  std::vector<std::pair<size_t, size_t>> list_cells_;
  PgArrayEncoder array_encoder_;
  std::string buffer_;
};

}  // namespace ki
