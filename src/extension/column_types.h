// The columns of read_kinesis() as DuckDB sees them: the type names columns := {name: 'TYPE'}
// accepts, the DuckDB logical type of each ColumnSpec, and copying decoded cells (RowBatch, the
// decoder's output, the same cells the sinks receive) into the output chunk's vectors.
#pragma once

#include <string>

#include "common/status.h"
#include "extension/duckdb_api.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki::ext {

// A data column from its name and DuckDB type text: BOOLEAN, TINYINT..BIGINT, HUGEINT, the
// unsigned integers, DECIMAL(p,s) (p <= 38), REAL/FLOAT, DOUBLE, VARCHAR, JSON, DATE, TIMESTAMP,
// TIMESTAMPTZ, TIME, UUID, BLOB and their usual aliases (INT, TEXT, NUMERIC, ...), any case.
// Nested types are not supported here yet. kInvalidArgument naming column and type.
Result<ColumnSpec> DataColumnFromTypeText(const std::string& name, const std::string& type_text);

// The metadata column `kind` as read_kinesis returns it (VARCHAR, BIGINT, TIMESTAMP).
ColumnSpec MetadataColumnSpec(const std::string& name, MetadataColumn kind);

// The DuckDB type of a column (JSON columns are VARCHAR).
DuckType LogicalTypeOf(const ColumnSpec& spec);

// Writes rows [first_row, first_row + n) of batch column `col` (of type `spec`) into `vector`
// from position `out_offset` on.
void WriteColumn(duckdb_vector vector, const ColumnSpec& spec, const RowBatch& batch, size_t col,
                 size_t first_row, size_t n, size_t out_offset);

}  // namespace ki::ext
