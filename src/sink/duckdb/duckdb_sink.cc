#include "sink/duckdb/duckdb_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "common/utf8.h"
#include "sink/duckdb/duckdb_nested.h"
#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"

namespace ki {
namespace {

// The process holding a conflicting lock on `path` (DuckDB locks its file with fcntl), if any.
// Asked of the operating system after a failed open instead of reading DuckDB's message.
std::optional<pid_t> FileLockHolder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &probe);
  ::close(fd);
  if (rc != 0 || probe.l_type == F_UNLCK) return std::nullopt;
  return probe.l_pid;
}

std::string ToUpper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// DuckDB's own spelling of a column type (duckdb_columns().data_type) -> ColumnType.
ColumnType ColumnTypeFromDuckDbName(const std::string& type_name) {
  const std::string t = ToUpper(type_name);
  // LIST ("DECIMAL(10,2)[]"; a fixed-size "INTEGER[3]" is rejected later) and STRUCT; their
  // element/field types: DescribeDuckDbNestedType (duckdb_nested.cc).
  if (!t.empty() && t.back() == ']') return ColumnType::kList;
  if (t.rfind("STRUCT(", 0) == 0) return ColumnType::kStruct;
  if (t == "BOOLEAN") return ColumnType::kBoolean;
  if (t == "TINYINT") return ColumnType::kTinyInt;
  if (t == "SMALLINT") return ColumnType::kSmallInt;
  if (t == "INTEGER") return ColumnType::kInteger;
  if (t == "BIGINT") return ColumnType::kBigInt;
  if (t == "HUGEINT") return ColumnType::kHugeInt;
  if (t == "UTINYINT") return ColumnType::kUTinyInt;
  if (t == "USMALLINT") return ColumnType::kUSmallInt;
  if (t == "UINTEGER") return ColumnType::kUInteger;
  if (t == "UBIGINT") return ColumnType::kUBigInt;
  if (t.rfind("DECIMAL(", 0) == 0) return ColumnType::kDecimal;
  if (t == "FLOAT") return ColumnType::kReal;
  if (t == "DOUBLE") return ColumnType::kDouble;
  if (t == "VARCHAR") return ColumnType::kVarchar;
  if (t == "DATE") return ColumnType::kDate;
  if (t == "TIMESTAMP") return ColumnType::kTimestamp;
  if (t == "TIMESTAMP WITH TIME ZONE") return ColumnType::kTimestampTz;
  if (t == "TIME") return ColumnType::kTime;
  if (t == "UUID") return ColumnType::kUuid;
  if (t == "JSON") return ColumnType::kJson;
  if (t == "BLOB") return ColumnType::kBlob;
  return ColumnType::kUnsupported;
}

// The physical type the appender must report for a column of this logical type.
bool MatchesDuckDbType(ColumnType type, duckdb_type id) {
  switch (type) {
    case ColumnType::kBoolean: return id == DUCKDB_TYPE_BOOLEAN;
    case ColumnType::kTinyInt: return id == DUCKDB_TYPE_TINYINT;
    case ColumnType::kSmallInt: return id == DUCKDB_TYPE_SMALLINT;
    case ColumnType::kInteger: return id == DUCKDB_TYPE_INTEGER;
    case ColumnType::kBigInt: return id == DUCKDB_TYPE_BIGINT;
    case ColumnType::kHugeInt: return id == DUCKDB_TYPE_HUGEINT;
    case ColumnType::kUTinyInt: return id == DUCKDB_TYPE_UTINYINT;
    case ColumnType::kUSmallInt: return id == DUCKDB_TYPE_USMALLINT;
    case ColumnType::kUInteger: return id == DUCKDB_TYPE_UINTEGER;
    case ColumnType::kUBigInt: return id == DUCKDB_TYPE_UBIGINT;
    case ColumnType::kDecimal: return id == DUCKDB_TYPE_DECIMAL;
    case ColumnType::kReal: return id == DUCKDB_TYPE_FLOAT;
    case ColumnType::kDouble: return id == DUCKDB_TYPE_DOUBLE;
    case ColumnType::kVarchar: return id == DUCKDB_TYPE_VARCHAR;
    case ColumnType::kJson: return id == DUCKDB_TYPE_VARCHAR;  // JSON is an alias of VARCHAR
    case ColumnType::kDate: return id == DUCKDB_TYPE_DATE;
    case ColumnType::kTimestamp: return id == DUCKDB_TYPE_TIMESTAMP;
    case ColumnType::kTimestampTz: return id == DUCKDB_TYPE_TIMESTAMP_TZ;
    case ColumnType::kTime: return id == DUCKDB_TYPE_TIME;
    case ColumnType::kUuid: return id == DUCKDB_TYPE_UUID;
    case ColumnType::kBlob: return id == DUCKDB_TYPE_BLOB;
    case ColumnType::kList: return id == DUCKDB_TYPE_LIST;  // children: MatchesDuckDbNestedType
    case ColumnType::kStruct: return id == DUCKDB_TYPE_STRUCT;
    case ColumnType::kUnsupported: return true;  // only NULLs are written
  }
  return false;
}

// Bytes to bind as a BLOB.
struct SqlBlob {
  std::string_view bytes;
};
// A bound query parameter: NULL, text, BIGINT, TIMESTAMP or BLOB.
using SqlParam = std::variant<std::monostate, std::string_view, int64_t, duckdb_timestamp, SqlBlob>;
using SqlRow = std::vector<std::optional<std::string>>;

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
    }
    if (state != DuckDBSuccess) {
      return InternalError(what + ": binding parameter " + std::to_string(index) + " failed");
    }
    ++index;
  }
  return Status::Ok();
}

// Executes a prepared statement; IoError with DuckDB's message on failure.
Status ExecutePrepared(duckdb_prepared_statement statement, std::initializer_list<SqlParam> params,
                       const std::string& what, DuckDbResult& result) {
  duckdb_clear_bindings(statement);
  KI_RETURN_IF_ERROR(BindParams(statement, params, what));
  if (duckdb_execute_prepared(statement, result.out()) != DuckDBSuccess) {
    return IoError(what + ": " + result.error());
  }
  return Status::Ok();
}

// Reads a result whose columns are all VARCHAR (queries cast what they select) into rows.
// Only for small catalog and positions results, never the hot path.
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

// A TIMESTAMP parameter from epoch milliseconds, NULL for -1.
SqlParam OptionalTimestamp(int64_t epoch_ms) {
  if (epoch_ms < 0) return std::monostate{};
  return duckdb_timestamp{epoch_ms * 1000};
}

// Runs a statement with parameters whose result is not read (DELETE, INSERT).
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

std::optional<int64_t> ParseInt64(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// --- Append helpers (hot path) ---

inline void MarkNull(duckdb_vector vector, uint64_t*& validity, size_t index) {
  if (validity == nullptr) {
    duckdb_vector_ensure_validity_writable(vector);
    validity = duckdb_vector_get_validity(vector);
  }
  validity[index >> 6] &= ~(uint64_t{1} << (index & 63));
}

template <typename T, typename Convert>
void WriteFixed(duckdb_vector vector, const RowBatch& batch, size_t column, size_t first_row,
                size_t count, Convert convert) {
  T* out = static_cast<T*>(duckdb_vector_get_data(vector));
  uint64_t* validity = nullptr;
  for (size_t i = 0; i < count; ++i) {
    const size_t row = first_row + i;
    if (batch.IsNull(row, column)) {
      MarkNull(vector, validity, i);
    } else {
      out[i] = convert(batch.Get(row, column));
    }
  }
}

void WriteStrings(duckdb_vector vector, const RowBatch& batch, size_t column, size_t first_row,
                  size_t count) {
  uint64_t* validity = nullptr;
  for (size_t i = 0; i < count; ++i) {
    const size_t row = first_row + i;
    if (batch.IsNull(row, column)) {
      MarkNull(vector, validity, i);
    } else {
      const std::string_view s = batch.GetString(row, column);
      duckdb_vector_assign_string_element_len(vector, i, s.data(), s.size());
    }
  }
}

void WriteNulls(duckdb_vector vector, size_t count) {
  uint64_t* validity = nullptr;
  for (size_t i = 0; i < count; ++i) MarkNull(vector, validity, i);
}

duckdb_hugeint ToHugeInt(__int128 v) {
  duckdb_hugeint h;
  h.lower = static_cast<uint64_t>(v);
  h.upper = static_cast<int64_t>(v >> 64);
  return h;
}

// DuckDB keeps a UUID as a hugeint whose top bit is flipped, so that signed comparison orders
// UUIDs like their text. The cell holds the UUID's 128 bits as a big-endian number.
duckdb_hugeint UuidToHugeInt(__int128 v) {
  const auto bits = static_cast<unsigned __int128>(v);
  duckdb_hugeint h;
  h.lower = static_cast<uint64_t>(bits);
  h.upper = static_cast<int64_t>(static_cast<uint64_t>(bits >> 64) ^ (uint64_t{1} << 63));
  return h;
}

}  // namespace

// --- Open / lifetime ---

Result<std::unique_ptr<DuckDbSink>> DuckDbSink::Open(const std::string& path, Clock& clock) {
  DuckDbDatabase database;
  DuckDbChars error;
  if (duckdb_open_ext(path.c_str(), database.out(), nullptr, error.out()) != DuckDBSuccess) {
    const std::string message = error ? error.get() : "unknown error";
    if (auto holder = FileLockHolder(path)) {
      return FatalError("DuckDB file '" + path + "' is in use by another process (pid " +
                        std::to_string(*holder) + ", another kinesis-import run?): " + message);
    }
    return IoError("cannot open DuckDB file '" + path + "': " + message);
  }
  DuckDbConnection connection;
  if (duckdb_connect(database.get(), connection.out()) != DuckDBSuccess) {
    return IoError("cannot connect to DuckDB file '" + path + "'");
  }
  return std::unique_ptr<DuckDbSink>(
      new DuckDbSink(path, std::move(database), std::move(connection), clock));
}

DuckDbSink::DuckDbSink(std::string path, DuckDbDatabase database, DuckDbConnection connection,
                       Clock& clock)
    : path_(std::move(path)),
      clock_(&clock),
      database_(std::move(database)),
      connection_(std::move(connection)) {}

DuckDbSink::~DuckDbSink() { Rollback(); }

std::string DuckDbSink::Describe() const { return "DuckDB file '" + path_ + "'"; }

std::string DuckDbSink::TableForMessages() const {
  return "table '" + schema_.QualifiedName() + "' in " + Describe();
}

Status DuckDbSink::Execute(const char* sql, const std::string& what) {
  DuckDbResult result;
  if (duckdb_query(connection_.get(), sql, result.out()) != DuckDBSuccess) {
    return IoError(what + ": " + result.error());
  }
  return Status::Ok();
}

Status DuckDbSink::Prepare(const std::string& sql, DuckDbPreparedStatement& statement,
                           const std::string& what) {
  if (duckdb_prepare(connection_.get(), sql.c_str(), statement.out()) != DuckDBSuccess) {
    const char* e = duckdb_prepare_error(statement.get());
    return IoError(what + ": " + (e != nullptr ? e : "prepare failed"));
  }
  return Status::Ok();
}

// --- Catalog ---

Result<TableSchema> DuckDbSink::DescribeTable(const std::string& table) {
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(table, UnquotedCase::kKeep, "catalog.schema.table"));
  SqlParam catalog_param;
  SqlParam schema_param;
  const std::string_view table_part = parts.back();
  if (parts.size() >= 2) schema_param = std::string_view(parts[parts.size() - 2]);
  if (parts.size() == 3) catalog_param = std::string_view(parts[0]);

  const std::string where = Describe() + ": looking up table '" + table + "'";
  // Like DuckDB's binder: case-insensitive, an exact-case match first. Unqualified names resolve
  // in the current schema of the current database.
  static constexpr char kFindTable[] =
      "SELECT database_name, schema_name, table_name FROM duckdb_tables() "
      "WHERE lower(database_name) = lower(coalesce($1, current_database())) "
      "AND lower(schema_name) = lower(coalesce($2, current_schema())) "
      "AND lower(table_name) = lower($3) "
      "ORDER BY (table_name = $3) DESC, (schema_name = coalesce($2, current_schema())) DESC, "
      "(database_name = coalesce($1, current_database())) DESC LIMIT 1";
  KI_ASSIGN_OR_RETURN(
      std::vector<SqlRow> found,
      QueryTextRows(connection_.get(), kFindTable, {catalog_param, schema_param, table_part},
                    where));
  if (found.empty()) {
    static constexpr char kFindView[] =
        "SELECT view_name FROM duckdb_views() "
        "WHERE lower(database_name) = lower(coalesce($1, current_database())) "
        "AND lower(schema_name) = lower(coalesce($2, current_schema())) "
        "AND lower(view_name) = lower($3) LIMIT 1";
    KI_ASSIGN_OR_RETURN(
        std::vector<SqlRow> views,
        QueryTextRows(connection_.get(), kFindView, {catalog_param, schema_param, table_part},
                      where));
    if (!views.empty()) {
      return InvalidArgument("'" + table + "' in " + Describe() +
                             " is a view; kinesis-import appends to a table");
    }
    return NotFound("table '" + table + "' does not exist in " + Describe() +
                    "; create it first, for example:\n  CREATE TABLE " + table +
                    " (<your columns>, kinesis_shard_id VARCHAR, shard_sequence_number VARCHAR);");
  }
  const std::string database_name = found[0][0].value_or("");
  TableSchema schema;
  schema.schema = found[0][1].value_or("");
  schema.table = found[0][2].value_or("");

  static constexpr char kColumns[] =
      "SELECT column_name, data_type, CAST(is_nullable AS VARCHAR), "
      "CAST(numeric_precision AS VARCHAR), CAST(numeric_scale AS VARCHAR) "
      "FROM duckdb_columns() WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 "
      "ORDER BY column_index";
  KI_ASSIGN_OR_RETURN(
      std::vector<SqlRow> columns,
      QueryTextRows(connection_.get(), kColumns,
                    {std::string_view(database_name), std::string_view(schema.schema),
                     std::string_view(schema.table)},
                    where));
  for (const SqlRow& row : columns) {
    ColumnSpec spec;
    spec.name = row[0].value_or("");
    spec.type_name = row[1].value_or("");
    spec.type = ColumnTypeFromDuckDbName(spec.type_name);
    if (IsNestedType(spec.type) &&
        !DescribeDuckDbNestedType(spec.type_name, &ColumnTypeFromDuckDbName, &spec)) {
      spec.type = ColumnType::kUnsupported;  // e.g. MAP(...)[] or INTEGER[3]: NULL only
    }
    spec.not_null = row[2].value_or("true") == "false";
    if (spec.type == ColumnType::kDecimal) {
      const auto width = ParseInt64(row[3]);
      const auto scale = ParseInt64(row[4]);
      if (!width || !scale || *width < 1 || *width > 38 || *scale < 0 || *scale > *width) {
        return InternalError(where + ": column '" + spec.name + "' has type " + spec.type_name +
                             " without a usable precision/scale");
      }
      spec.decimal_width = static_cast<uint8_t>(*width);
      spec.decimal_scale = static_cast<uint8_t>(*scale);
    }
    spec.max_length = -1;  // DuckDB accepts VARCHAR(n) but does not enforce n
    spec.metadata = MetadataColumnFromName(spec.name);
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

// --- Run ---

Status DuckDbSink::Begin(const TableSchema& schema) {
  if (in_transaction_) {
    return InternalError(Describe() + ": Begin called while a run is already open");
  }
  schema_ = schema;
  broken_ = false;
  KI_RETURN_IF_ERROR(Execute("BEGIN TRANSACTION", Describe() + ": BEGIN"));
  in_transaction_ = true;

  // Anything failing below leaves nothing open.
  Status status = [&]() -> Status {
    const std::string prefix =
        schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".";
    positions_table_sql_ = prefix + kPositionsTable;
    KI_RETURN_IF_ERROR(MigratePositionsTable(prefix + kSchemaVersionTable));

    const std::string what = Describe() + ": preparing positions statements";
    KI_RETURN_IF_ERROR(Prepare("SELECT shard_id, sequence_number, "
                               "CAST(subsequence_number AS VARCHAR), "
                               "CAST(epoch_ms(resume_at) AS VARCHAR), stream_arn, "
                               "CAST(epoch_ms(stream_created_at) AS VARCHAR), "
                               "CAST(epoch_us(updated_at) AS VARCHAR) FROM " +
                                   positions_table_sql_ +
                                   " WHERE stream_name = $1 AND table_name = $2 ORDER BY shard_id",
                               select_positions_, what));
    KI_RETURN_IF_ERROR(Prepare("DELETE FROM " + positions_table_sql_ +
                                   " WHERE stream_name = $1 AND table_name = $2 AND shard_id = $3",
                               delete_position_, what));
    KI_RETURN_IF_ERROR(Prepare("INSERT INTO " + positions_table_sql_ +
                                   " (stream_name, table_name, shard_id, sequence_number,"
                                   " subsequence_number, updated_at, resume_at, stream_arn,"
                                   " stream_created_at)"
                                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                               insert_position_, what));

    if (duckdb_appender_create_ext(connection_.get(), nullptr,
                                   schema_.schema.empty() ? nullptr : schema_.schema.c_str(),
                                   schema_.table.c_str(), appender_.out()) != DuckDBSuccess) {
      return AppenderError("opening the appender");
    }
    const idx_t column_count = duckdb_appender_column_count(appender_.get());
    if (column_count != schema_.columns.size()) {
      return FatalError(TableForMessages() + " has " + std::to_string(column_count) +
                        " insertable columns but " + std::to_string(schema_.columns.size()) +
                        " were described (generated columns are not supported; did the table"
                        " change?)");
    }
    std::vector<DuckDbLogicalType> types;
    std::vector<duckdb_logical_type> raw_types;
    writers_.clear();
    for (idx_t c = 0; c < column_count; ++c) {
      DuckDbLogicalType type(duckdb_appender_column_type(appender_.get(), c));
      const ColumnSpec& spec = schema_.columns[c];
      const duckdb_type id = duckdb_get_type_id(type.get());
      bool matches = MatchesDuckDbType(spec.type, id);
      if (matches && spec.type == ColumnType::kDecimal) {
        matches = duckdb_decimal_width(type.get()) == spec.decimal_width &&
                  duckdb_decimal_scale(type.get()) == spec.decimal_scale;
      }
      if (matches && IsNestedType(spec.type)) {
        matches = MatchesDuckDbNestedType(spec, type.get(), &MatchesDuckDbType);
      }
      if (!matches) {
        return FatalError(TableForMessages() + ": column '" + spec.name +
                          "' no longer has type " + spec.type_name +
                          " (did the table change since it was described?)");
      }
      ColumnWriter writer = ColumnWriter::kNullOnly;
      switch (spec.type) {
        case ColumnType::kBoolean: writer = ColumnWriter::kBool; break;
        case ColumnType::kTinyInt: writer = ColumnWriter::kInt8; break;
        case ColumnType::kSmallInt: writer = ColumnWriter::kInt16; break;
        case ColumnType::kInteger: writer = ColumnWriter::kInt32; break;
        case ColumnType::kBigInt: writer = ColumnWriter::kInt64; break;
        case ColumnType::kHugeInt: writer = ColumnWriter::kHugeInt; break;
        case ColumnType::kUTinyInt: writer = ColumnWriter::kUInt8; break;
        case ColumnType::kUSmallInt: writer = ColumnWriter::kUInt16; break;
        case ColumnType::kUInteger: writer = ColumnWriter::kUInt32; break;
        case ColumnType::kUBigInt: writer = ColumnWriter::kUInt64; break;
        case ColumnType::kDecimal:
          // DuckDB's physical storage of DECIMAL(w, s) depends on w only.
          writer = spec.decimal_width <= 4    ? ColumnWriter::kInt16
                   : spec.decimal_width <= 9  ? ColumnWriter::kInt32
                   : spec.decimal_width <= 18 ? ColumnWriter::kInt64
                                              : ColumnWriter::kHugeInt;
          break;
        case ColumnType::kReal: writer = ColumnWriter::kFloat; break;
        case ColumnType::kDouble: writer = ColumnWriter::kDouble; break;
        case ColumnType::kVarchar:
        case ColumnType::kJson: writer = ColumnWriter::kText; break;
        case ColumnType::kDate: writer = ColumnWriter::kInt32; break;
        case ColumnType::kTimestamp:
        case ColumnType::kTimestampTz:
        case ColumnType::kTime: writer = ColumnWriter::kInt64; break;
        case ColumnType::kUuid: writer = ColumnWriter::kUuid; break;
        case ColumnType::kBlob: writer = ColumnWriter::kBlob; break;
        case ColumnType::kUnsupported: writer = ColumnWriter::kNullOnly; break;
        // LIST/STRUCT: kNullOnly, but Append hands a column of a nested type to
        // DuckDbNestedWriter (the ColumnWriter enum lives in the header, which this change
        // does not touch; a dedicated kNested value would be the cleaner spelling).
        case ColumnType::kList:
        case ColumnType::kStruct: writer = ColumnWriter::kNullOnly; break;
      }
      writers_.push_back(writer);
      raw_types.push_back(type.get());
      types.push_back(std::move(type));
    }
    chunk_ = DuckDbDataChunk(duckdb_create_data_chunk(raw_types.data(), raw_types.size()));
    if (!chunk_) return InternalError(TableForMessages() + ": cannot create a data chunk");
    return Status::Ok();
  }();
  if (!status.ok()) Rollback();
  return status;
}

Status DuckDbSink::MigratePositionsTable(const std::string& version_table_sql) {
  const std::string what = Describe() + ": preparing " + positions_table_sql_;
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + positions_table_sql_ +
      " (stream_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, shard_id VARCHAR NOT NULL,"
      " sequence_number VARCHAR NOT NULL, subsequence_number BIGINT NOT NULL DEFAULT -1,"
      " updated_at TIMESTAMP NOT NULL, resume_at TIMESTAMP, stream_arn VARCHAR,"
      " stream_created_at TIMESTAMP)";
  KI_RETURN_IF_ERROR(Execute(create.c_str(), what));
  const std::string create_version = "CREATE TABLE IF NOT EXISTS " + version_table_sql +
                                     " (component VARCHAR NOT NULL, version INTEGER NOT NULL)";
  KI_RETURN_IF_ERROR(Execute(create_version.c_str(), what));
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(),
                                    "SELECT CAST(max(version) AS VARCHAR) FROM " +
                                        version_table_sql + " WHERE component = $1",
                                    {std::string_view(kPositionsComponent)}, what));
  const int64_t version = rows.empty() ? 1 : ParseInt64(rows[0][0]).value_or(1);
  if (version == kPositionsSchemaVersion) return Status::Ok();
  if (version > kPositionsSchemaVersion) {
    return FatalError(Describe() + ": " + positions_table_sql_ + " has schema version " +
                      std::to_string(version) + ", written by a newer kinesis-import; this one "
                      "knows version " + std::to_string(kPositionsSchemaVersion) + ": upgrade it");
  }
  // Version 1 -> 2, in the run's transaction: the new columns are NULL for existing rows.
  for (const char* column : {"resume_at TIMESTAMP", "stream_arn VARCHAR",
                             "stream_created_at TIMESTAMP"}) {
    const std::string alter =
        "ALTER TABLE " + positions_table_sql_ + " ADD COLUMN IF NOT EXISTS " + column;
    KI_RETURN_IF_ERROR(Execute(alter.c_str(), what + " (migrating to schema version 2)"));
  }
  KI_RETURN_IF_ERROR(ExecuteWithParams(connection_.get(),
                                       "DELETE FROM " + version_table_sql + " WHERE component = $1",
                                       {std::string_view(kPositionsComponent)}, what));
  return ExecuteWithParams(connection_.get(),
                           "INSERT INTO " + version_table_sql + " VALUES ($1, " +
                               std::to_string(kPositionsSchemaVersion) + ")",
                           {std::string_view(kPositionsComponent)}, what);
}

Result<std::vector<StoredPosition>> DuckDbSink::ListPositions(const std::string& stream) {
  if (!in_transaction_) return InternalError(Describe() + ": ListPositions called before Begin");
  const std::string table_key = schema_.QualifiedName();
  const std::string what =
      Describe() + ": loading positions of stream '" + stream + "' for table '" + table_key + "'";
  DuckDbResult result;
  KI_RETURN_IF_ERROR(ExecutePrepared(select_positions_.get(),
                                     {std::string_view(stream), std::string_view(table_key)},
                                     what, result));
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, ReadTextRows(result, what));
  std::vector<StoredPosition> stored;
  for (const SqlRow& row : rows) {
    if (!row[0] || !row[1]) continue;
    StoredPosition p;
    p.shard_id = *row[0];
    p.position.sequence_number = *row[1];
    p.position.subsequence_number = ParseInt64(row[2]).value_or(-1);
    p.position.resume_timestamp_ms = ParseInt64(row[3]).value_or(-1);
    p.position.stream_arn = row[4].value_or("");
    p.position.stream_created_ms = ParseInt64(row[5]).value_or(-1);
    p.updated_at_us = ParseInt64(row[6]).value_or(0);
    stored.push_back(std::move(p));
  }
  return stored;
}

Result<ShardPositions> DuckDbSink::LoadPositions(const std::string& stream) {
  if (!in_transaction_) {
    return InternalError(Describe() + ": LoadPositions called before Begin");
  }
  KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> stored, ListPositions(stream));
  ShardPositions positions;
  for (StoredPosition& p : stored) positions[p.shard_id] = std::move(p.position);
  if (!positions.empty()) return positions;

  const ColumnSpec* shard_column = schema_.FindMetadata(MetadataColumn::kShardId);
  const ColumnSpec* sequence_column = schema_.FindMetadata(MetadataColumn::kSequenceNumber);
  if (shard_column == nullptr || sequence_column == nullptr) return positions;
  const std::string table_key = schema_.QualifiedName();
  const std::string what =
      Describe() + ": loading positions of stream '" + stream + "' for table '" + table_key + "'";
  // Rows for the table under another stream: the metadata columns may hold that stream's
  // sequence numbers, so nothing is derived and the stream starts at --start-position.
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> others,
                      QueryTextRows(connection_.get(),
                                    "SELECT 'x' FROM " + positions_table_sql_ +
                                        " WHERE table_name = $1 LIMIT 1",
                                    {std::string_view(table_key)}, what));
  if (!others.empty()) return positions;

  // No checkpoint for the table at all: the rows themselves say where each shard got to.
  // Sequence numbers are decimal strings of up to 129 digits, so they are compared as digit
  // strings: longer (after leading zeros) is larger, equal lengths compare lexicographically.
  // Within one KPL aggregate (same sequence number) the highest subsequence number wins; without
  // a subsequence column the rows holding that sequence number are counted instead.
  const ColumnSpec* sub_column = schema_.FindMetadata(MetadataColumn::kSubsequenceNumber);
  const std::string sub_expr =
      sub_column == nullptr
          ? std::string("CAST(-1 AS BIGINT)")
          : "coalesce(TRY_CAST(" + QuoteIdentifier(sub_column->name) + " AS BIGINT), -1)";
  const std::string shard = QuoteIdentifier(shard_column->name);
  const std::string sequence = QuoteIdentifier(sequence_column->name);
  const std::string table_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      QuoteIdentifier(schema_.table);
  const std::string derive =
      "WITH r AS (SELECT CAST(" + shard + " AS VARCHAR) AS shard, CAST(" + sequence +
      " AS VARCHAR) AS seq, " + sub_expr + " AS sub FROM " + table_sql + " WHERE " + shard +
      " IS NOT NULL AND " + sequence +
      " IS NOT NULL), k AS (SELECT shard, seq, sub, ltrim(trim(seq), '0') AS digits FROM r), "
      "m AS (SELECT *, count(*) OVER (PARTITION BY shard, digits) AS n FROM k) "
      "SELECT shard, seq, CAST(sub AS VARCHAR), CAST(n AS VARCHAR) FROM m "
      "QUALIFY row_number() OVER (PARTITION BY shard ORDER BY length(digits) DESC, "
      "digits DESC, sub DESC) = 1";
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(), derive, {},
                                    what + " from columns '" + shard_column->name + "' and '" +
                                        sequence_column->name + "'"));
  for (const SqlRow& row : rows) {
    if (!row[0] || !row[1]) continue;
    ShardPosition position;
    position.sequence_number = *row[1];
    position.subsequence_number = sub_column != nullptr ? ParseInt64(row[2]).value_or(-1)
                                                        : ParseInt64(row[3]).value_or(1) - 1;
    position.derived = true;
    positions[*row[0]] = std::move(position);
  }
  return positions;
}

Result<bool> DuckDbSink::TableHasRows() {
  if (!in_transaction_) return InternalError(Describe() + ": TableHasRows called before Begin");
  const std::string table_sql =
      (schema_.schema.empty() ? std::string() : QuoteIdentifier(schema_.schema) + ".") +
      QuoteIdentifier(schema_.table);
  KI_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      QueryTextRows(connection_.get(), "SELECT 'x' FROM " + table_sql + " LIMIT 1",
                                    {}, TableForMessages() + ": looking for rows"));
  return !rows.empty();
}

Result<int64_t> DuckDbSink::DeletePositions(const std::string& stream, const std::string& shard_id) {
  if (!in_transaction_) return InternalError(Describe() + ": DeletePositions called before Begin");
  const std::string table_key = schema_.QualifiedName();
  const std::string what = Describe() + ": deleting positions of stream '" + stream +
                           "' for table '" + table_key + "'";
  std::string sql = "DELETE FROM " + positions_table_sql_ +
                    " WHERE stream_name = $1 AND table_name = $2";
  if (!shard_id.empty()) sql += " AND shard_id = $3";
  DuckDbPreparedStatement statement;
  KI_RETURN_IF_ERROR(Prepare(sql, statement, what));
  DuckDbResult result;
  if (shard_id.empty()) {
    KI_RETURN_IF_ERROR(ExecutePrepared(
        statement.get(), {std::string_view(stream), std::string_view(table_key)}, what, result));
  } else {
    KI_RETURN_IF_ERROR(ExecutePrepared(
        statement.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id)}, what,
        result));
  }
  return static_cast<int64_t>(duckdb_rows_changed(result.get()));
}

Status DuckDbSink::Append(const RowBatch& batch) {
  if (!in_transaction_ || !appender_) {
    return InternalError(Describe() + ": Append called before Begin");
  }
  if (broken_) return IoError(TableForMessages() + ": an earlier append failed; roll back");
  const size_t columns = writers_.size();
  if (batch.num_columns() != columns) {
    return InvalidArgument(TableForMessages() + ": batch has " +
                           std::to_string(batch.num_columns()) + " columns, table has " +
                           std::to_string(columns));
  }
  const size_t rows = batch.num_rows();
  if (rows == 0) return Status::Ok();

  // Check the whole batch before appending any of it, so a bad cell leaves the run untouched.
  // (DuckDB would only notice invalid UTF-8 when flushing, failing the whole run without saying
  // which record.)
  for (size_t c = 0; c < columns; ++c) {
    const ColumnWriter w = writers_[c];
    if (w != ColumnWriter::kText && w != ColumnWriter::kNullOnly) continue;
    for (size_t r = 0; r < rows; ++r) {
      if (batch.IsNull(r, c)) continue;
      if (w == ColumnWriter::kNullOnly && !IsNestedType(schema_.columns[c].type)) {
        return InternalError(TableForMessages() + ": column '" + schema_.columns[c].name +
                             "' has type " + schema_.columns[c].type_name +
                             " which this version cannot fill, but row " + std::to_string(r) +
                             " of the batch has a value for it");
      }
      if (!IsValidUtf8(batch.GetString(r, c))) {
        return BadRecord(TableForMessages() + ": column '" + schema_.columns[c].name +
                         "', row " + std::to_string(r) + " of the batch: text is not valid UTF-8");
      }
    }
  }

  std::unique_ptr<DuckDbNestedWriter> nested;  // made for the first LIST/STRUCT column
  const size_t chunk_capacity = duckdb_vector_size();
  for (size_t first = 0; first < rows; first += chunk_capacity) {
    const size_t count = std::min(chunk_capacity, rows - first);
    duckdb_data_chunk_reset(chunk_.get());
    for (size_t c = 0; c < columns; ++c) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk_.get(), c);
      switch (writers_[c]) {
        case ColumnWriter::kBool:
          WriteFixed<bool>(v, batch, c, first, count, [](const Cell& x) { return x.i64 != 0; });
          break;
        case ColumnWriter::kInt8:
          WriteFixed<int8_t>(v, batch, c, first, count,
                             [](const Cell& x) { return static_cast<int8_t>(x.i64); });
          break;
        case ColumnWriter::kInt16:
          WriteFixed<int16_t>(v, batch, c, first, count,
                              [](const Cell& x) { return static_cast<int16_t>(x.i64); });
          break;
        case ColumnWriter::kInt32:
          WriteFixed<int32_t>(v, batch, c, first, count,
                              [](const Cell& x) { return static_cast<int32_t>(x.i64); });
          break;
        case ColumnWriter::kInt64:
          WriteFixed<int64_t>(v, batch, c, first, count, [](const Cell& x) { return x.i64; });
          break;
        case ColumnWriter::kUInt8:
          WriteFixed<uint8_t>(v, batch, c, first, count,
                              [](const Cell& x) { return static_cast<uint8_t>(x.i64); });
          break;
        case ColumnWriter::kUInt16:
          WriteFixed<uint16_t>(v, batch, c, first, count,
                               [](const Cell& x) { return static_cast<uint16_t>(x.i64); });
          break;
        case ColumnWriter::kUInt32:
          WriteFixed<uint32_t>(v, batch, c, first, count,
                               [](const Cell& x) { return static_cast<uint32_t>(x.i64); });
          break;
        case ColumnWriter::kUInt64:
          WriteFixed<uint64_t>(v, batch, c, first, count,
                               [](const Cell& x) { return static_cast<uint64_t>(x.i64); });
          break;
        case ColumnWriter::kHugeInt:
          WriteFixed<duckdb_hugeint>(v, batch, c, first, count,
                                     [](const Cell& x) { return ToHugeInt(x.i128); });
          break;
        case ColumnWriter::kUuid:
          WriteFixed<duckdb_hugeint>(v, batch, c, first, count,
                                     [](const Cell& x) { return UuidToHugeInt(x.i128); });
          break;
        case ColumnWriter::kFloat:
          WriteFixed<float>(v, batch, c, first, count,
                            [](const Cell& x) { return static_cast<float>(x.f64); });
          break;
        case ColumnWriter::kDouble:
          WriteFixed<double>(v, batch, c, first, count, [](const Cell& x) { return x.f64; });
          break;
        case ColumnWriter::kText:
        case ColumnWriter::kBlob:
          WriteStrings(v, batch, c, first, count);
          break;
        case ColumnWriter::kNullOnly:
          if (IsNestedType(schema_.columns[c].type)) {
            if (!nested) nested = std::make_unique<DuckDbNestedWriter>();
            Status status = nested->Write(v, schema_.columns[c], batch, c, first, count);
            if (!status.ok()) {
              broken_ = true;  // earlier chunks of the batch may be appended already
              return status.WithContext(TableForMessages());
            }
          } else {
            WriteNulls(v, count);
          }
          break;
      }
    }
    duckdb_data_chunk_set_size(chunk_.get(), count);
    if (duckdb_append_data_chunk(appender_.get(), chunk_.get()) != DuckDBSuccess) {
      return AppenderError("appending rows");
    }
  }
  return Status::Ok();
}

Status DuckDbSink::AppenderError(const std::string& what) {
  broken_ = true;
  std::string message = "unknown error";
  if (appender_) {
    DuckDbErrorData error(duckdb_appender_error_data(appender_.get()));
    if (error && duckdb_error_data_has_error(error.get())) {
      message = duckdb_error_data_message(error.get());
    }
  }
  return IoError(TableForMessages() + ": " + what + ": " + message);
}

Status DuckDbSink::FlushAppender() {
  if (duckdb_appender_flush(appender_.get()) != DuckDBSuccess) {
    return AppenderError("writing rows");
  }
  return Status::Ok();
}

Status DuckDbSink::SavePositions(const std::string& stream, const ShardPositions& positions) {
  if (!in_transaction_) {
    return InternalError(Describe() + ": SavePositions called before Begin");
  }
  if (broken_) return IoError(TableForMessages() + ": an earlier append failed; roll back");
  KI_RETURN_IF_ERROR(FlushAppender());

  const std::string table_key = schema_.QualifiedName();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          clock_->Now().time_since_epoch())
                          .count();
  const duckdb_timestamp now{static_cast<int64_t>(micros)};
  for (const auto& [shard_id, position] : positions) {
    const std::string what = Describe() + ": saving position of stream '" + stream +
                             "' shard '" + shard_id + "' for table '" + table_key + "'";
    DuckDbResult deleted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        delete_position_.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id)}, what,
        deleted));
    DuckDbResult inserted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        insert_position_.get(),
        {std::string_view(stream), std::string_view(table_key), std::string_view(shard_id),
         std::string_view(position.sequence_number), position.subsequence_number, now,
         OptionalTimestamp(position.resume_timestamp_ms),
         position.stream_arn.empty() ? SqlParam{} : SqlParam{std::string_view(position.stream_arn)},
         OptionalTimestamp(position.stream_created_ms)},
        what, inserted));
  }
  return Status::Ok();
}

Status DuckDbSink::Commit() {
  if (!in_transaction_) return InternalError(Describe() + ": Commit called before Begin");
  if (broken_) {
    Rollback();
    return IoError(TableForMessages() + ": an earlier append failed; the run was rolled back");
  }
  // Closing flushes the last cached rows; constraint violations (NOT NULL, ...) surface here.
  if (duckdb_appender_close(appender_.get()) != DuckDBSuccess) {
    Status status = AppenderError("writing rows");
    Rollback();
    return status;
  }
  ReleaseRunState();
  DuckDbResult result;
  if (duckdb_query(connection_.get(), "COMMIT", result.out()) != DuckDBSuccess) {
    Status status = IoError(TableForMessages() + ": COMMIT failed: " + result.error());
    DuckDbResult ignored;
    (void)duckdb_query(connection_.get(), "ROLLBACK", ignored.out());
    in_transaction_ = false;
    return status;
  }
  in_transaction_ = false;
  return Status::Ok();
}

Status DuckDbSink::PrepareRejects(const std::string& rejects_table) {
  if (!in_transaction_) return InternalError(Describe() + ": PrepareRejects called before Begin");
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(rejects_table, UnquotedCase::kKeep, "catalog.schema.table"));
  // An unqualified name lives beside the target table.
  if (parts.size() == 1 && !schema_.schema.empty()) parts.insert(parts.begin(), schema_.schema);
  std::string quoted;
  for (const auto& part : parts) quoted += (quoted.empty() ? "" : ".") + QuoteIdentifier(part);
  const std::string what = Describe() + ": rejects table '" + rejects_table + "'";
  const std::string create = "CREATE TABLE IF NOT EXISTS " + quoted +
                             " (stream_name VARCHAR, shard_id VARCHAR, sequence_number VARCHAR,"
                             " subsequence_number BIGINT, partition_key VARCHAR,"
                             " arrival_time TIMESTAMP, payload BLOB, error VARCHAR,"
                             " rejected_at TIMESTAMP)";
  KI_RETURN_IF_ERROR(Execute(create.c_str(), what + ": creating it"));
  // An existing table must have the columns we write; the INSERT names them, so binding fails
  // with DuckDB's own message otherwise.
  return Prepare("INSERT INTO " + quoted +
                     " (stream_name, shard_id, sequence_number, subsequence_number, partition_key,"
                     " arrival_time, payload, error, rejected_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                 insert_reject_, what + " (it must have the columns stream_name, shard_id,"
                                        " sequence_number, subsequence_number, partition_key,"
                                        " arrival_time, payload, error, rejected_at)");
}

Status DuckDbSink::AppendRejects(const std::vector<RejectedRecord>& rejects) {
  if (!in_transaction_ || !insert_reject_) {
    return InvalidArgument(Describe() + ": AppendRejects called before PrepareRejects");
  }
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          clock_->Now().time_since_epoch())
                          .count();
  for (const auto& r : rejects) {
    SqlParam subsequence = std::monostate{};
    if (r.subsequence_number >= 0) subsequence = r.subsequence_number;
    DuckDbResult inserted;
    KI_RETURN_IF_ERROR(ExecutePrepared(
        insert_reject_.get(),
        {std::string_view(r.stream), std::string_view(r.shard_id),
         std::string_view(r.sequence_number), subsequence, std::string_view(r.partition_key),
         duckdb_timestamp{r.arrival_time_us}, SqlBlob{r.payload}, std::string_view(r.error),
         duckdb_timestamp{static_cast<int64_t>(now_us)}},
        Describe() + ": writing a rejected record of shard '" + r.shard_id + "'", inserted));
  }
  return Status::Ok();
}

void DuckDbSink::ReleaseRunState() {
  insert_reject_.Reset();
  appender_.Reset();
  chunk_.Reset();
  select_positions_.Reset();
  delete_position_.Reset();
  insert_position_.Reset();
  writers_.clear();
}

void DuckDbSink::Rollback() {
  if (!in_transaction_) return;
  // The appender flushes what it still caches when destroyed; that must land in this transaction
  // (and be undone with it), never in an auto-commit one after ROLLBACK.
  ReleaseRunState();
  DuckDbResult ignored;
  (void)duckdb_query(connection_.get(), "ROLLBACK", ignored.out());
  in_transaction_ = false;
  broken_ = false;
}

}  // namespace ki
