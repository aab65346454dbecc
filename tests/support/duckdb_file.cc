#include "duckdb_file.h"

#include <gtest/gtest.h>

#include "sink/duckdb/duckdb_handles.h"
#include "sink/duckdb/duckdb_sql.h"

namespace ki::test {
namespace {

struct OpenedFile {
  DuckDbDatabase db;
  DuckDbConnection con;
};

bool OpenFile(const std::string& path, OpenedFile& file) {
  DuckDbChars error;
  if (duckdb_open_ext(path.c_str(), file.db.out(), nullptr, error.out()) != DuckDBSuccess) {
    ADD_FAILURE() << "open " << path << ": " << (error ? error.get() : "?");
    return false;
  }
  if (duckdb_connect(file.db.get(), file.con.out()) != DuckDBSuccess) {
    ADD_FAILURE() << "connect " << path;
    return false;
  }
  return true;
}

}  // namespace

void ExecDuckDbFile(const std::string& path, const std::string& sql) {
  OpenedFile file;
  if (!OpenFile(path, file)) return;
  DuckDbResult result;
  if (duckdb_query(file.con.get(), sql.c_str(), result.out()) != DuckDBSuccess) {
    ADD_FAILURE() << sql << ": " << result.error();
  }
}

Rows QueryDuckDbFile(const std::string& path, const std::string& select) {
  OpenedFile file;
  if (!OpenFile(path, file)) return {};
  // LIST/STRUCT values have no text through duckdb_value_varchar: DuckDB casts them.
  const std::string sql = "SELECT COLUMNS(*)::VARCHAR FROM (" + select + ") AS q";
  DuckDbResult result;
  if (duckdb_query(file.con.get(), sql.c_str(), result.out()) != DuckDBSuccess) {
    ADD_FAILURE() << select << ": " << result.error();
    return {};
  }
  Rows rows;
  const idx_t columns = duckdb_column_count(result.get());
  const idx_t count = duckdb_row_count(result.get());
  for (idx_t r = 0; r < count; ++r) {
    std::vector<std::string> row;
    for (idx_t c = 0; c < columns; ++c) {
      DuckDbChars value(duckdb_value_varchar(result.get(), c, r));
      row.push_back(value ? value.get() : "NULL");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string QueryDuckDbOne(const std::string& path, const std::string& select) {
  Rows rows = QueryDuckDbFile(path, select);
  if (rows.size() != 1 || rows[0].size() != 1) {
    ADD_FAILURE() << select << ": expected one value, got " << rows.size() << " rows";
    return "";
  }
  return rows[0][0];
}

std::string DuckDbCsv(const std::string& path, const std::string& sql) {
  auto r = RunDuckDbSql(path, sql, SqlOutputFormat::kCsv);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().message();
  if (!r.ok()) return "";
  const size_t nl = r->find('\n');  // drop the header line
  return nl == std::string::npos ? "" : r->substr(nl + 1);
}

}  // namespace ki::test
