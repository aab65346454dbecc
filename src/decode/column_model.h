// How a ColumnSpec is named in messages, for the JSON decoder and the metadata columns. The JSON
// decoder's per-column model itself (jd::Column) is private to src/decode:
// json_decoder_internal.h, built in column_model.cc.
#pragma once

#include <string>

#include "table/table_schema.h"

namespace ki {

// DuckDB's name of a type: "INTEGER", "DECIMAL", "unsupported type".
const char* TypeName(ColumnType type);
// The column's type as the database spells it (ColumnSpec::type_name), or DuckDB's spelling when
// the caller left it empty: "DECIMAL(18,2)", "INTEGER[]", "STRUCT(a INTEGER)".
std::string TypeNameOf(const ColumnSpec& spec);

}  // namespace ki
