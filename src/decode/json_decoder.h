// Converts one Kinesis record payload (a JSON object) plus the record's metadata into one row of
// a RowBatch shaped by a TableSchema. The conversion rules per ColumnType are defined here, once,
// for every sink; docs/conversion.md shows them as a matrix (target type x JSON input kind).
//
// Column mapping:
//   kByName      top-level key <-> column name, ASCII case-insensitive (an exact-case match wins
//                when two columns differ only in case); missing key -> NULL; extra keys ignored
//                (but still validated) unless strict_keys; duplicate keys: the last one wins.
//   kByPosition  the top-level values in document order fill the data columns in table order
//                (the Exasol Kafka connector's behaviour); fewer values -> remaining NULL; more
//                values than data columns -> bad record.
//   column_paths (kByName only) a column mapped to a path ("$.device.id", "/device/id") takes
//                its value from there and nowhere else; a path that does not exist in a record
//                (missing key, index past the end, a scalar on the way) -> NULL. Path keys match
//                exactly (case-sensitive), as JSONPath and JSON Pointer define. A repeated key on
//                the way: the last occurrence wins, as for top-level keys.
// Metadata columns (ColumnSpec::metadata != kNone) get the record's metadata and never a payload
// value; in kByName mode a payload key with a metadata column's name is ignored (with
// strict_keys it is an unknown key).
//
// Value conversion (JSON null -> NULL for every type):
//   BOOLEAN                true/false, the strings "true"/"false" (any ASCII case)
//   TINYINT..UBIGINT, HUGEINT  numbers or numeric strings that are integral exactly (1.0, 1e2
//                          yes; 1.5 no), range-checked
//   DECIMAL(p,s)           numbers or numeric strings, exactly from the source text, rounded
//                          half away from zero to s digits; more than p-s integer digits -> bad;
//                          p > 38 (PostgreSQL numeric, up to 1000) and unconstrained (the
//                          value's own scale) go into the cell as canonical text
//                          (IsTextDecimal, decimal.h ParseDecimalText)
//   REAL, DOUBLE           numbers or numeric strings (also "NaN", "Infinity"); beyond the
//                          type's range -> bad
//   VARCHAR                strings (unescaped UTF-8); numbers/booleans as their source text;
//                          objects/arrays as compact JSON; VARCHAR(n) counts code points
//   JSON                   compact JSON text of any value
//   DATE                   "YYYY-MM-DD"
//   TIMESTAMP(TZ)          ISO-8601 "YYYY-MM-DD[T| ]HH:MM[:SS[.fffffffff]][Z|+HH[:MM]|-HH[:MM]]"
//                          or a bare date; without an offset the time is taken as UTC; or an
//                          epoch number (JSON number or numeric string, fractions allowed) in
//                          DecoderOptions::epoch_unit; stored as UTC microseconds (finer digits
//                          rounded half away from zero); the result must lie in years 0000..9999
//   TIME                   "HH:MM[:SS[.ffffff]]" (and "24:00:00")
//   UUID                   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits, any case
//   BLOB                   base64 strings, standard ("+/") or URL-safe ("-_") alphabet (not
//                          mixed), padding optional but correct when present; the decoded bytes
//   LIST                   arrays; every element converted by the element type's rules (null
//                          elements allowed)
//   STRUCT                 objects; fields by name (ASCII case-insensitive, exact case wins),
//                          missing -> NULL field, extra keys ignored (validated), the last of
//                          duplicate keys wins
//   unsupported            only NULL; a value is a bad record "type X is not supported yet"
// A LIST/STRUCT cell holds the converted value as canonical JSON text (common/canonical_text.h),
// so that a sink can build its typed value without converting again.
//
// Bad records (ErrorKind::kBadRecord): malformed JSON anywhere in the payload, including inside
// ignored values (bad escapes, unpaired surrogates such as "\ud83d" alone, raw control
// characters, numbers like 01 or 1.), bytes that are not UTF-8 ("malformed JSON: record is not
// valid UTF-8 at byte N (0xC3), in the value of column 's' (VARCHAR)"), a top level that is not
// an object ("record is not a JSON object but an array"; text that is no JSON value at all:
// "the record is not valid JSON at byte N ('not json')"; a UTF-8 byte order mark is named as
// such), data after it ("trailing data after the JSON document at byte N"), a truncated record
// ("truncated at byte N (the record ends inside a string)"), nesting deeper than 256 levels
// inside a value, an unknown top-level key with strict_keys, and every conversion failure above
// (numbers are shown as their source text; an ISO-8601 timestamp outside years 0000..9999 is
// "out of range", also when only rounding or the offset takes it there). Inside a LIST/STRUCT the
// message names the element: "column 'tags' (INTEGER[]) element [2]: value 1.5 is not an
// integer".
//
// Thread safety: a decoder is used by one thread at a time (it owns a reusable parser and
// buffers); create one per worker. Steady state Decode() does not allocate except inside the
// batch (rows, arena) and when building an error message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/canonical_text.h"  // ParseDateText & co. (the sinks should include that one)
#include "common/status.h"
#include "decode/metadata_columns.h"  // RecordMetadata
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

enum class ColumnMapping { kByName, kByPosition };

// The unit of epoch numbers going into TIMESTAMP/TIMESTAMPTZ columns.
enum class EpochUnit { kSeconds, kMilliseconds, kMicroseconds };

struct DecoderOptions {
  ColumnMapping mapping = ColumnMapping::kByName;
  // --map column=path (repeatable): {column name, path}. The column (found like DuckDB finds it:
  // exact name, else the one ASCII case-insensitive match) takes its value from the path only.
  // Paths: JSONPath dot notation "$.device.id", "$.a[0].b", "$['key with.dot']", "$[\"k\"]",
  // or a JSON Pointer "/device/id" (~0 is '~', ~1 is '/'; a numeric token is an array index or
  // an object key). Create() fails with kInvalidArgument for an unknown or metadata column, a
  // column mapped twice, a malformed path, a path starting with an index, and with kByPosition.
  // Overlapping paths ("$.device" and "$.device.id", or a by-name column "device" next to
  // "$.device.id") are allowed: the value is parsed once more for the deeper columns.
  // ("= {}" keeps -Wextra quiet about DecoderOptions{mapping}.)
  std::vector<std::pair<std::string, std::string>> column_paths = {};
  // A top-level key that no column takes (by name or as the first step of a path) is a bad
  // record "unknown key 'x'". kByName only (Create fails with kByPosition, which already rejects
  // extra values).
  bool strict_keys = false;
  EpochUnit epoch_unit = EpochUnit::kSeconds;
};

// Splits a --map argument "column=path" at the first '=' that is followed by '$' or '/'.
// kInvalidArgument when there is none or the column is empty; the path is checked by Create().
Result<std::pair<std::string, std::string>> ParseColumnPathArgument(std::string_view argument);

class JsonRecordDecoder {
 public:
  // Fails with kInvalidArgument when the table has no data columns, a DECIMAL (also inside a
  // LIST/STRUCT) has an impossible width/scale, a LIST has not exactly one child or a STRUCT
  // none, a metadata column has a type its metadata cannot be stored in (MetadataColumns, the
  // same rule as --format raw), or the options
  // are unusable (see DecoderOptions).
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
