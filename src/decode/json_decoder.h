// Converts one Kinesis record payload (a JSON object) plus the record's metadata into one row of
// a RowBatch shaped by a TableSchema. The conversion rules per ColumnType are defined here, once,
// for every sink.
//
// Column mapping:
//   kByName      top-level key <-> column name, ASCII case-insensitive (an exact-case match wins
//                when two columns differ only in case); missing key -> NULL; extra keys ignored
//                (but still validated); duplicate keys: the last one wins.
//   kByPosition  the top-level values in document order fill the data columns in table order
//                (the Exasol Kafka connector's behaviour); fewer values -> remaining NULL; more
//                values than data columns -> bad record.
// Metadata columns (ColumnSpec::metadata != kNone) get the record's metadata and never a payload
// value; in kByName mode a payload key with a metadata column's name is ignored.
//
// Value conversion (JSON null -> NULL for every type):
//   BOOLEAN                true/false, the strings "true"/"false" (any ASCII case)
//   TINYINT..UBIGINT, HUGEINT  numbers or numeric strings that are integral exactly (1.0, 1e2
//                          yes; 1.5 no), range-checked
//   DECIMAL(p,s)           numbers or numeric strings, exactly from the source text, rounded
//                          half away from zero to s digits; more than p-s integer digits -> bad
//   REAL, DOUBLE           numbers or numeric strings (also "NaN", "Infinity")
//   VARCHAR                strings (unescaped UTF-8); numbers/booleans as their source text;
//                          objects/arrays as compact JSON; VARCHAR(n) counts code points
//   JSON                   compact JSON text of any value
//   DATE                   "YYYY-MM-DD"
//   TIMESTAMP(TZ)          ISO-8601 "YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]][Z|+HH[:MM]|-HH[:MM]]"
//                          or a bare date; without an offset the time is taken as UTC; stored as
//                          UTC microseconds (sub-microsecond digits rounded half up)
//   TIME                   "HH:MM[:SS[.ffffff]]"
//   UUID                   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits
//   BLOB, unsupported      only NULL; a value is a bad record "type X is not supported yet"
//
// Bad records (ErrorKind::kBadRecord): malformed JSON anywhere in the payload, including inside
// ignored values (invalid UTF-8, bad escapes, unpaired surrogates such as "\ud83d" alone, raw
// control characters, numbers like 01 or 1.), a top level that is not an object, content after
// it, nesting deeper than 256 levels inside a value, and every conversion failure above.
//
// Thread safety: a decoder is used by one thread at a time (it owns a reusable parser and
// buffers); create one per worker. Steady state Decode() does not allocate except inside the
// batch (rows, arena) and when building an error message.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "decode/row_batch.h"
#include "decode/table_schema.h"

namespace ki {

// The Kinesis side of one record, as GetRecords (plus KPL de-aggregation) reports it.
struct RecordMetadata {
  std::string_view shard_id;
  std::string_view sequence_number;
  int64_t subsequence_number = -1;  // -1: not from an aggregated record -> NULL
  std::string_view partition_key;
  int64_t arrival_time_us = 0;  // ApproximateArrivalTimestamp, microseconds since the epoch
};

enum class ColumnMapping { kByName, kByPosition };

struct DecoderOptions {
  ColumnMapping mapping = ColumnMapping::kByName;
};

class JsonRecordDecoder {
 public:
  // Fails with kInvalidArgument when the table has no data columns, a DECIMAL has an impossible
  // width/scale, or a metadata column has a type its metadata cannot be stored in (shard id and
  // partition key: VARCHAR; sequence number: VARCHAR, DECIMAL, HUGEINT or another integer type;
  // arrival time: TIMESTAMP/TIMESTAMPTZ; subsequence number: an integer type or DECIMAL).
  static Result<JsonRecordDecoder> Create(const TableSchema& schema,
                                          const DecoderOptions& options = {});

  JsonRecordDecoder(JsonRecordDecoder&&) noexcept;
  JsonRecordDecoder& operator=(JsonRecordDecoder&&) noexcept;
  ~JsonRecordDecoder();

  // Appends one row to `batch`, whose num_columns() must equal the schema's column count
  // (else kInvalidArgument). On a bad record the row is removed again (RowBatch::PopRow, so
  // num_rows() and the earlier rows are as before) and the status (kBadRecord) names the column
  // and the reason, e.g. "column 'sensorId' (DECIMAL(18,0)): value 1e400 does not fit
  // DECIMAL(18,0)" or "malformed JSON: <simdjson error> at byte N". The caller adds the stream,
  // shard and sequence number.
  Status Decode(std::string_view payload, const RecordMetadata& meta, RowBatch& batch);

  class Impl;

 private:
  explicit JsonRecordDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ki
