#include "sink/duckdb/duckdb_sql.h"

#include <duckdb.h>

#include <algorithm>
#include <vector>

#include "sink/duckdb/duckdb_handles.h"

namespace ki {
namespace {

// duckdb_value_varchar (the only per-cell text access of the materialized result API) gets these
// types wrong: UUID crashes it, TIMESTAMPTZ and the nested types come back empty. Their cells
// print a hint instead.
bool PrintableType(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_UUID: case DUCKDB_TYPE_TIMESTAMP_TZ: case DUCKDB_TYPE_TIME_TZ:
    case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_STRUCT: case DUCKDB_TYPE_MAP: case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_UNION:
      return false;
    default:
      return true;
  }
}

}  // namespace

Result<std::string> RunDuckDbSql(const std::string& path, const std::string& sql, SqlOutputFormat format) {
  DuckDbDatabase db;
  char* open_error = nullptr;
  if (duckdb_open_ext(path.c_str(), db.out(), nullptr, &open_error) != DuckDBSuccess) {
    std::string msg = open_error ? open_error : "unknown error";
    if (open_error) duckdb_free(open_error);
    return IoError("cannot open DuckDB file '" + path + "': " + msg);
  }
  DuckDbConnection con;
  if (duckdb_connect(db.get(), con.out()) != DuckDBSuccess)
    return IoError("cannot connect to DuckDB file '" + path + "'");
  DuckDbResult result;
  if (duckdb_query(con.get(), sql.c_str(), result.out()) != DuckDBSuccess)
    return IoError(std::string("SQL failed: ") + result.error());
  duckdb_result* r = result.get();
  idx_t cols = duckdb_column_count(r), rows = duckdb_row_count(r);
  std::vector<std::vector<std::string>> cells(rows + 1, std::vector<std::string>(cols));
  for (idx_t c = 0; c < cols; ++c) cells[0][c] = duckdb_column_name(r, c);
  for (idx_t row = 0; row < rows; ++row) {
    for (idx_t c = 0; c < cols; ++c) {
      if (duckdb_value_is_null(r, c, row)) {
        cells[row + 1][c] = format == SqlOutputFormat::kTable ? "NULL" : "";
        continue;
      }
      if (!PrintableType(duckdb_column_type(r, c))) {
        cells[row + 1][c] = "(cast to VARCHAR to show)";
        continue;
      }
      char* v = duckdb_value_varchar(r, c, row);
      cells[row + 1][c] = v ? v : "";
      duckdb_free(v);
    }
  }
  std::string out;
  if (format == SqlOutputFormat::kCsv) {
    for (const auto& line : cells) {
      for (idx_t c = 0; c < cols; ++c) {
        if (c) out += ',';
        const std::string& v = line[c];
        if (v.find_first_of(",\"\n") != std::string::npos) {
          out += '"';
          for (char ch : v) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
          out += '"';
        } else {
          out += v;
        }
      }
      out += '\n';
    }
    return out;
  }
  std::vector<size_t> width(cols, 0);
  for (const auto& line : cells)
    for (idx_t c = 0; c < cols; ++c) width[c] = std::max(width[c], line[c].size());
  for (size_t i = 0; i < cells.size(); ++i) {
    for (idx_t c = 0; c < cols; ++c) {
      if (c) out += "  ";
      out += cells[i][c];
      if (c + 1 < cols) out.append(width[c] - cells[i][c].size(), ' ');
    }
    out += '\n';
    if (i == 0) {
      for (idx_t c = 0; c < cols; ++c) {
        if (c) out += "  ";
        out.append(width[c], '-');
      }
      out += '\n';
    }
  }
  out += "(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n");
  return out;
}

}  // namespace ki
