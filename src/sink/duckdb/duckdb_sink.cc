#include "sink/duckdb/duckdb_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "common/utf8.h"
#include "sink/duckdb/duckdb_nested.h"
#include "sink/duckdb/duckdb_statements.h"
#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"

namespace ki {

using namespace duckdb_statements;  // NOLINT(google-build-using-namespace)

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

// Strings are written as duckdb_string_t values that point into the batch instead of being
// copied into the chunk's string heap (duckdb_vector_assign_string_element_len): the appender
// copies every string into its own collection inside duckdb_append_data_chunk, while the batch
// is still alive, so the first copy was only work (~4% of a sensor run's CPU in the profile:
// StringHeap::EmptyString/AddBlob). Short strings are inlined as DuckDB does it, zero-padded.
void WriteStrings(duckdb_vector vector, const RowBatch& batch, size_t column, size_t first_row,
                  size_t count) {
  auto* out = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
  uint64_t* validity = nullptr;
  for (size_t i = 0; i < count; ++i) {
    const size_t row = first_row + i;
    if (batch.IsNull(row, column)) {
      MarkNull(vector, validity, i);
      continue;
    }
    const std::string_view s = batch.GetString(row, column);
    duckdb_string_t& v = out[i];
    v.value.inlined.length = static_cast<uint32_t>(s.size());
    if (s.size() <= sizeof v.value.inlined.inlined) {
      std::memset(v.value.inlined.inlined, 0, sizeof v.value.inlined.inlined);
      if (!s.empty()) std::memcpy(v.value.inlined.inlined, s.data(), s.size());
    } else {
      std::memcpy(v.value.pointer.prefix, s.data(), sizeof v.value.pointer.prefix);
      v.value.pointer.ptr = const_cast<char*>(s.data());
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

Result<std::unique_ptr<DuckDbSink>> DuckDbSink::Open(const std::string& path, Clock& clock, int threads) {
  DuckDbDatabase database;
  DuckDbChars error;
  DuckDbConfig config;
  if (threads > 0) {
    if (duckdb_create_config(config.out()) != DuckDBSuccess ||
        duckdb_set_config(config.get(), "threads", std::to_string(threads).c_str()) != DuckDBSuccess)
      return InternalError("cannot set DuckDB's threads to " + std::to_string(threads));
  }
  if (duckdb_open_ext(path.c_str(), database.out(), config.get(), error.out()) != DuckDBSuccess) {
    const std::string message = error ? error.get() : "unknown error";
    if (auto holder = FileLockHolder(path)) {
      // Fatal for `run` (it opens once), but the holder may let go: follow waits for it.
      ErrorDetail detail;
      detail.retriable = true;
      return FatalError("DuckDB file '" + path + "' is in use by another process (pid " +
                        std::to_string(*holder) + ", another kinesis-import run?): " + message)
          .WithDetail(detail);
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
      const auto width = ParseSqlInt64(row[3]);
      const auto scale = ParseSqlInt64(row[4]);
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
                               "CAST(epoch_us(updated_at) AS VARCHAR), "
                               "CAST(coalesce(finished, false) AS VARCHAR) FROM " +
                                   positions_table_sql_ +
                                   " WHERE stream_name = $1 AND table_name = $2 ORDER BY shard_id",
                               select_positions_, what));
    KI_RETURN_IF_ERROR(Prepare("DELETE FROM " + positions_table_sql_ +
                                   " WHERE stream_name = $1 AND table_name = $2 AND shard_id = $3",
                               delete_position_, what));
    KI_RETURN_IF_ERROR(Prepare("INSERT INTO " + positions_table_sql_ +
                                   " (stream_name, table_name, shard_id, sequence_number,"
                                   " subsequence_number, updated_at, resume_at, stream_arn,"
                                   " stream_created_at, finished)"
                                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
