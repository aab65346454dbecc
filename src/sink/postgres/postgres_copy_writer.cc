#include "sink/postgres/postgres_copy_writer.h"

#include <cstring>

#include "common/utf8.h"

#include "sink/postgres/postgres_copy_format.h"
#include "sink/sql_identifier.h"

namespace ki {

namespace {

// COPY data is handed to libpq in pieces of about this size: large enough that the per-call cost
// vanishes, small enough to stay in cache.
constexpr size_t kCopyBufferBytes = 256 * 1024;

}  // namespace

void PgCopyWriter::Prepare(const TableSchema& schema,
                           const std::vector<const PgCatalogColumn*>& matched,
                           const std::string& table_sql) {
  schema_ = schema;
  copy_sql_ = "COPY " + table_sql + " (";
  writers_.clear();
  list_elements_.assign(schema_.columns.size(), PgListElement{});
  list_index_.assign(schema_.columns.size(), -1);
  list_columns_ = 0;
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    const ColumnSpec& spec = schema_.columns[c];
    const PgCatalogColumn& column = *matched[c];
    copy_sql_ += (c == 0 ? "" : ", ") + QuoteIdentifier(spec.name);
    ColumnWriter writer = ColumnWriter::kNullOnly;
    switch (spec.type) {
      case ColumnType::kBoolean: writer = ColumnWriter::kBool; break;
      case ColumnType::kSmallInt: writer = ColumnWriter::kInt16; break;
      case ColumnType::kInteger: writer = ColumnWriter::kInt32; break;
      case ColumnType::kBigInt: writer = ColumnWriter::kInt64; break;
      case ColumnType::kDecimal:
        writer = IsTextDecimal(spec)         ? ColumnWriter::kNumericText
                 : spec.decimal_width <= 18 ? ColumnWriter::kNumeric64
                                            : ColumnWriter::kNumeric128;
        break;
      case ColumnType::kReal: writer = ColumnWriter::kFloat4; break;
      case ColumnType::kDouble: writer = ColumnWriter::kFloat8; break;
      case ColumnType::kVarchar: writer = ColumnWriter::kText; break;
      case ColumnType::kJson:
        writer = column.typname == "jsonb" ? ColumnWriter::kJsonb : ColumnWriter::kText;
        break;
      case ColumnType::kBlob: writer = ColumnWriter::kBytes; break;
      case ColumnType::kDate: writer = ColumnWriter::kDate; break;
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz: writer = ColumnWriter::kTimestamp; break;
      case ColumnType::kTime: writer = ColumnWriter::kTime; break;
      case ColumnType::kUuid: writer = ColumnWriter::kUuid; break;
      case ColumnType::kList: {
        writer = ColumnWriter::kList;
        PgListElement& element = list_elements_[c];
        element.type = spec.children[0].type;
        element.oid = column.element_oid;
        element.decimal_scale = static_cast<uint8_t>(spec.children[0].decimal_scale);
        element.text_decimal = IsTextDecimal(spec.children[0]);
        element.max_length = column.type.element_max_length;
        list_index_[c] = static_cast<int>(list_columns_++);
        break;
      }
      // kUnsupported (and the types PostgreSQL has no column for, which DescribeTable never
      // reports, and types added to ColumnType later until this sink learns them): only NULL.
      default: writer = ColumnWriter::kNullOnly; break;
    }
    writers_.push_back(writer);
  }
  copy_sql_ += ") FROM STDIN (FORMAT binary)";
  if (schema_.columns.empty()) copy_sql_.clear();
}

Status PgCopyWriter::CheckBatch(const RowBatch& batch, const std::string& table_for_messages) {
  const size_t rows = batch.num_rows();
  list_bytes_.clear();
  if (list_bytes_.capacity() > 4 * kCopyBufferBytes) list_bytes_.shrink_to_fit();
  list_cells_.assign(rows * list_columns_, {0, 0});
  for (size_t c = 0; c < writers_.size(); ++c) {
    const ColumnWriter w = writers_[c];
    if (w != ColumnWriter::kText && w != ColumnWriter::kJsonb && w != ColumnWriter::kNullOnly &&
        w != ColumnWriter::kList) {
      continue;
    }
    const ColumnSpec& spec = schema_.columns[c];
    for (size_t r = 0; r < rows; ++r) {
      if (batch.IsNull(r, c)) continue;
      auto bad = [&](const std::string& why) {
        return BadRecord(table_for_messages + ": column '" + spec.name + "', row " +
                         std::to_string(r) + " of the batch: " + why);
      };
      if (w == ColumnWriter::kList) {
        const size_t offset = list_bytes_.size();
        bool bad_record = false;
        const std::string problem = array_encoder_.Encode(
            list_elements_[c], batch.GetString(r, c), list_bytes_, &bad_record);
        if (!problem.empty()) {
          if (bad_record) return bad(problem);
          return InternalError(table_for_messages + ": column '" + spec.name + "', row " +
                               std::to_string(r) + " of the batch: the cell is not the "
                               "decoder's canonical LIST text (" + problem + ")");
        }
        list_cells_[r * list_columns_ + static_cast<size_t>(list_index_[c])] = {
            offset, list_bytes_.size() - offset};
        continue;
      }
      if (w == ColumnWriter::kNullOnly) {
        return InternalError(table_for_messages + ": column '" + spec.name + "' has type " +
                             spec.type_name + " which this version cannot fill, but row " +
                             std::to_string(r) + " of the batch has a value for it");
      }
      const std::string_view s = batch.GetString(r, c);
      if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
        return bad("text contains a NUL character, which PostgreSQL cannot store in " +
                   spec.type_name);
      }
      if (!IsValidUtf8(s)) return bad("text is not valid UTF-8");
      size_t characters = 0;
      if (spec.max_length >= 0 && !PgFitsLength(s, spec.max_length, &characters)) {
        return bad("text of " + std::to_string(characters) + " characters does not fit " +
                   spec.type_name);
      }
    }
  }
  return Status::Ok();
}

void PgCopyWriter::EncodeRow(const RowBatch& batch, size_t row, std::string& out) const {
  const size_t columns = writers_.size();
  PutUInt16(out, static_cast<uint16_t>(columns));
  for (size_t c = 0; c < columns; ++c) {
    if (batch.IsNull(row, c)) {
      PutUInt32(out, 0xffffffffu);  // -1: NULL
      continue;
    }
    const Cell& cell = batch.Get(row, c);
    switch (writers_[c]) {
      case ColumnWriter::kBool: PutBoolField(out, cell.i64 != 0); break;
      case ColumnWriter::kInt16: PutField16(out, static_cast<uint16_t>(cell.i64)); break;
      case ColumnWriter::kInt32: PutField32(out, static_cast<uint32_t>(cell.i64)); break;
      case ColumnWriter::kInt64: PutField64(out, static_cast<uint64_t>(cell.i64)); break;
      case ColumnWriter::kNumeric64:
        PutNumeric64Field(out, cell.i64, schema_.columns[c].decimal_scale);
        break;
      case ColumnWriter::kNumeric128:
        PutNumeric128Field(out, cell.i128, schema_.columns[c].decimal_scale);
        break;
      case ColumnWriter::kNumericText: PutNumericTextField(out, batch.GetString(row, c)); break;
      case ColumnWriter::kFloat4: PutFloat4Field(out, static_cast<float>(cell.f64)); break;
      case ColumnWriter::kFloat8: PutFloat8Field(out, cell.f64); break;
      case ColumnWriter::kText:
      case ColumnWriter::kBytes: PutBytesField(out, batch.GetString(row, c)); break;
      case ColumnWriter::kJsonb: {
        const std::string_view s = batch.GetString(row, c);
        PutUInt32(out, static_cast<uint32_t>(s.size() + 1));
        out.push_back(1);  // jsonb's binary format version
        out.append(s.data(), s.size());
        break;
      }
      case ColumnWriter::kDate: PutDateField(out, cell.i64); break;
      case ColumnWriter::kTimestamp: PutTimestampField(out, cell.i64); break;
      case ColumnWriter::kTime: PutField64(out, static_cast<uint64_t>(cell.i64)); break;
      case ColumnWriter::kUuid: PutUuidField(out, cell.i128); break;
      case ColumnWriter::kList: {
        const auto& [offset, size] =
            list_cells_[row * list_columns_ + static_cast<size_t>(list_index_[c])];
        PutUInt32(out, static_cast<uint32_t>(size));
        out.append(list_bytes_, offset, size);
        break;
      }
      case ColumnWriter::kNullOnly: PutUInt32(out, 0xffffffffu); break;  // CheckBatch: only NULL
    }
  }
}

// One COPY per call, so that a line number in the server's error is the batch's row + 1. COPY's
// start and end cost one round trip per batch, small next to a batch of thousands of rows.
// Binary rather than text format: the server then parses no numbers, dates or escapes. Seed
// table (2 x numeric(18,0), 3 x varchar), 100k rows in 10k-row batches, server on the same
// 2-core machine, medians of 4 runs of 6 (BM_PostgresBareCopy* in bench/sink_benchmark.cc): bare
// COPY 0.83-0.90M rows/s binary vs 0.63-0.73M rows/s text; this sink 0.66-0.79M rows/s, its
// own CPU ~0.2 us/row (UTF-8 and length checks, encoding), the rest is the server.
Status PgCopyWriter::Append(PostgresConnection& connection, const RowBatch& batch,
                            const std::string& table_for_messages) {
  const size_t columns = writers_.size();
  if (batch.num_columns() != columns) {
    return InvalidArgument(table_for_messages + ": batch has " +
                           std::to_string(batch.num_columns()) + " columns, table has " +
                           std::to_string(columns));
  }
  const size_t rows = batch.num_rows();
  if (rows == 0 || columns == 0) return Status::Ok();
  // Check the whole batch before sending any of it: a bad cell then leaves the run untouched and
  // the error names the record, where the server would abort the whole transaction.
  KI_RETURN_IF_ERROR(CheckBatch(batch, table_for_messages));

  const std::string what = table_for_messages + ": COPY";
  PgResult start(PQexec(connection.get(), copy_sql_.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return connection.ErrorFrom(start.get(), what);

  PGconn* conn = connection.get();
  buffer_.clear();
  if (buffer_.capacity() < kCopyBufferBytes + 4096) buffer_.reserve(kCopyBufferBytes + 4096);
  buffer_.append(kBinaryCopyHeader, kBinaryCopyHeaderSize);
  bool send_failed = false;
  for (size_t r = 0; r < rows && !send_failed; ++r) {
    EncodeRow(batch, r, buffer_);
    if (buffer_.size() >= kCopyBufferBytes) {
      send_failed = PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1;
      buffer_.clear();
    }
  }
  PutUInt16(buffer_, 0xffff);  // the file trailer: a field count of -1
  if (!send_failed && !buffer_.empty()) {
    send_failed = PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1;
  }
  buffer_.clear();
  if (buffer_.capacity() > 4 * kCopyBufferBytes) buffer_.shrink_to_fit();
  (void)PQputCopyEnd(conn, send_failed ? "kinesis-import could not send the rows" : nullptr);

  // The COPY's outcome, then whatever else libpq has (it must be drained to nullptr).
  Status status = Status::Ok();
  bool first = true;
  while (true) {
    PgResult result(PQgetResult(conn));
    if (!result) break;
    const ExecStatusType st = PQresultStatus(result.get());
    if (st == PGRES_COPY_IN) {
      // Still in COPY (PQputCopyEnd could not be sent): give up on the connection's COPY state.
      (void)PQputCopyEnd(conn, "aborted");
      continue;
    }
    if (first && st != PGRES_COMMAND_OK) status = connection.ErrorFrom(result.get(), what);
    first = false;
    if (PQstatus(conn) == CONNECTION_BAD) break;
  }
  if (first && status.ok() && (send_failed || PQstatus(conn) == CONNECTION_BAD)) {
    status = connection.ErrorFrom(nullptr, what);
  }
  return status;
}

}  // namespace ki
