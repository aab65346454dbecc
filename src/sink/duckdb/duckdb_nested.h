// LIST and STRUCT columns of the DuckDB sink: their shape from DuckDB's catalog, and writing the
// decoder's canonical text of such a cell (see common/canonical_text.h) into a data chunk vector.
// Used only by DuckDbSink (DescribeTable, Begin, Append), from the sink's thread.
#pragma once

#include <duckdb.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

// Maps DuckDB's spelling of a non-nested type ("INTEGER", "DECIMAL(10,2)", "JSON") to a
// ColumnType (kUnsupported when this version cannot fill it).
using DuckDbScalarTypeFromName = ColumnType (*)(const std::string& type_name);
// True when a column of this (non-nested) ColumnType is stored in a vector of this physical type.
using DuckDbScalarTypeMatches = bool (*)(ColumnType type, duckdb_type id);

// Fills spec->type (kList/kStruct) and spec->children (recursively: names, types, type_name,
// DECIMAL width/scale) from DuckDB's spelling of the type in duckdb_columns().data_type:
// "INTEGER[]", "DECIMAL(10,2)[]", "VARCHAR[][]", "STRUCT(a INTEGER, \"b c\" VARCHAR[])".
// Returns false, leaving `spec` alone, when the text is not a LIST/STRUCT or any part of it is a
// type that cannot be filled (MAP, UNION, a fixed-size ARRAY such as INTEGER[3], INTERVAL, ...):
// the caller keeps such a column kUnsupported (NULL only).
bool DescribeDuckDbNestedType(std::string_view type_text, DuckDbScalarTypeFromName scalar_type,
                              ColumnSpec* spec);

// True when the appender's logical type of a LIST/STRUCT column has exactly the shape `spec`
// describes (element/field types, field names and order, DECIMAL width/scale).
bool MatchesDuckDbNestedType(const ColumnSpec& spec, duckdb_logical_type type,
                             DuckDbScalarTypeMatches scalar_matches);

// Fills the vector of a LIST/STRUCT column from the batch's canonical text cells. Make one per
// Append call (it keeps a parser and buffers between the columns and chunks of that call).
class DuckDbNestedWriter {
 public:
  DuckDbNestedWriter();
  ~DuckDbNestedWriter();
  DuckDbNestedWriter(const DuckDbNestedWriter&) = delete;
  DuckDbNestedWriter& operator=(const DuckDbNestedWriter&) = delete;

  // Writes rows [first_row, first_row + count) of batch column `column` into chunk rows
  // [0, count) of `vector` (freshly reset: LIST child vectors are appended to). InternalError
  // naming the column and batch row when a cell is not the canonical text of `spec`'s type
  // (the decoder never writes such a cell); the chunk must then not be appended.
  Status Write(duckdb_vector vector, const ColumnSpec& spec, const RowBatch& batch,
               size_t column, size_t first_row, size_t count);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ki
