#include "sink/duckdb/duckdb_statements.h"

#include <charconv>

namespace ki::duckdb_statements {

Status BindParams(duckdb_prepared_statement statement, std::initializer_list<SqlParam> params,
                  const std::string& what) {
  idx_t index = 1;
  for (const SqlParam& p : params) {
    duckdb_state state = DuckDBError;
    if (std::holds_alternative<std::monostate>(p)) {
      state = duckdb_bind_null(statement, index);
    } else if (const auto* s = std::get_if<std::string_view>(&p)) {
      state = duckdb_bind_varchar_length(statement, index, s->data(), s->size());
    } else if (const auto* v = std::get_if<int64_t>(&p)) {
      state = duckdb_bind_int64(statement, index, *v);
    } else if (const auto* ts = std::get_if<duckdb_timestamp>(&p)) {
      state = duckdb_bind_timestamp(statement, index, *ts);
    } else if (const auto* b = std::get_if<SqlBlob>(&p)) {
      state = duckdb_bind_blob(statement, index, b->bytes.data(), b->bytes.size());
    } else if (const auto* flag = std::get_if<bool>(&p)) {
      state = duckdb_bind_boolean(statement, index, *flag);
    }
    if (state != DuckDBSuccess) {
      return InternalError(what + ": binding parameter " + std::to_string(index) + " failed");
    }
    ++index;
  }
  return Status::Ok();
}

Status ExecutePrepared(duckdb_prepared_statement statement, std::initializer_list<SqlParam> params,
                       const std::string& what, DuckDbResult& result) {
  duckdb_clear_bindings(statement);
  KI_RETURN_IF_ERROR(BindParams(statement, params, what));
  if (duckdb_execute_prepared(statement, result.out()) != DuckDBSuccess) {
    return IoError(what + ": " + result.error());
  }
  return Status::Ok();
}

Result<std::vector<SqlRow>> ReadTextRows(DuckDbResult& result, const std::string& what) {
  const idx_t columns = duckdb_column_count(result.get());
  for (idx_t c = 0; c < columns; ++c) {
    if (duckdb_column_type(result.get(), c) != DUCKDB_TYPE_VARCHAR) {
      return InternalError(what + ": result column " + std::to_string(c) + " is not VARCHAR");
    }
  }
  std::vector<SqlRow> rows;
  while (true) {
    DuckDbDataChunk chunk(duckdb_fetch_chunk(*result.get()));
    if (!chunk) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk.get());
    if (size == 0) break;
    const size_t first = rows.size();
    rows.resize(first + size, SqlRow(columns));
    for (idx_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk.get(), c);
      auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t r = 0; r < size; ++r) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
        rows[first + r][c].emplace(duckdb_string_t_data(&data[r]), duckdb_string_t_length(data[r]));
      }
    }
  }
  return rows;
}

Result<std::vector<SqlRow>> QueryTextRows(duckdb_connection connection, const std::string& sql,
                                          std::initializer_list<SqlParam> params,
                                          const std::string& what) {
  DuckDbPreparedStatement statement;
  if (duckdb_prepare(connection, sql.c_str(), statement.out()) != DuckDBSuccess) {
    const char* e = duckdb_prepare_error(statement.get());
    return IoError(what + ": " + (e != nullptr ? e : "prepare failed"));
  }
  DuckDbResult result;
  KI_RETURN_IF_ERROR(ExecutePrepared(statement.get(), params, what, result));
  return ReadTextRows(result, what);
}

SqlParam OptionalTimestamp(int64_t epoch_ms) {
  if (epoch_ms < 0) return std::monostate{};
  return duckdb_timestamp{epoch_ms * 1000};
}

Status ExecuteWithParams(duckdb_connection connection, const std::string& sql,
                         std::initializer_list<SqlParam> params, const std::string& what) {
  DuckDbPreparedStatement statement;
  if (duckdb_prepare(connection, sql.c_str(), statement.out()) != DuckDBSuccess) {
    const char* e = duckdb_prepare_error(statement.get());
    return IoError(what + ": " + (e != nullptr ? e : "prepare failed"));
  }
  DuckDbResult result;
  return ExecutePrepared(statement.get(), params, what, result);
}

}  // namespace ki::duckdb_statements
