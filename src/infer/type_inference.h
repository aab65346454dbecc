// Infers a table's columns from sample JSON records: one column per top-level key, in first-seen
// order, each with the narrowest type that holds every value seen (the rules and how they differ
// from DuckDB's read_json auto-detection: docs/suggest-table.md). Feeds ddl.h and
// `kinesis-import suggest-table`. Pure, no I/O; one TableInference per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ki {

// What the values of one key (or of a nested field, or of array elements) have been so far. The
// kinds form a lattice: merging two kinds gives the narrowest one both fit into.
enum class InferredKind {
  kNull,         // only nulls (or nothing) seen
  kBoolean,
  kInteger,      // JSON numbers without fraction or exponent
  kDecimal,      // with a fraction, no exponent: exact DECIMAL(p,s)
  kDouble,       // an exponent, or digits beyond what an exact type holds
  kDate,         // strings "YYYY-MM-DD"
  kTimestamp,    // ISO-8601 strings with a time and without an offset (and dates, when mixed)
  kTimestampTz,  // ISO-8601 strings with a time and 'Z' or an offset (and the two above, mixed)
  kUuid,         // strings of 8-4-4-4-12 hex digits
  kString,       // other strings, or scalars of different kinds (VARCHAR takes their text)
  kObject,       // JSON objects with the same keys every time: STRUCT on DuckDB
  kArray,        // JSON arrays: LIST of the element type on DuckDB
  kJson,         // objects or arrays mixed with other kinds, or of unstable shape
};

struct InferredType;

// A key of an object (top-level or nested) and what its values were.
struct InferredField {
  std::string name;  // the first spelling seen (keys are merged ASCII case-insensitively)
  std::unique_ptr<InferredType> type;
  int64_t present = 0;  // objects in which the key had a non-null value
  int64_t nulls = 0;    // objects in which the key was null
};

struct InferredType {
  InferredKind kind = InferredKind::kNull;
  // kInteger / kDecimal: the widest integer part (significant digits, at least 1) and the most
  // fraction digits seen; fits_int64 / fits_int128: every integer seen fits BIGINT / HUGEINT.
  int integer_digits = 0;
  int scale = 0;
  bool fits_int64 = true;
  bool fits_int128 = true;
  // kObject: fields in first-seen order; objects: how many objects were merged.
  std::vector<InferredField> fields;
  int64_t objects = 0;
  // kArray: the merged element type (kNull when every array was empty or held only nulls).
  std::unique_ptr<InferredType> element;

  InferredType() = default;
  InferredType(const InferredType& other);
  InferredType& operator=(const InferredType& other);
  InferredType(InferredType&&) noexcept = default;
  InferredType& operator=(InferredType&&) noexcept = default;
};

// Why a top-level key got no column.
struct SkippedKey {
  std::string name;
  std::string reason;
};

class TableInference {
 public:
  // Adds one record: a JSON object. Anything else (not JSON, not an object, not UTF-8) is counted
  // in not_objects() and otherwise ignored: `run` would see it as a bad record whatever the table.
  void AddRecord(std::string_view json);

  int64_t records() const { return records_; }          // objects added
  int64_t not_objects() const { return not_objects_; }  // records that were not JSON objects
  // The top-level keys in first-seen order (merged case-insensitively, as `run --mapping by-name`
  // matches them), with their merged types and counts.
  const std::vector<InferredField>& keys() const { return top_.fields; }

 private:
  InferredType top_;
  int64_t records_ = 0;
  int64_t not_objects_ = 0;
  std::string padded_;  // the record with simdjson's padding
};

// Merges `b` into `a` (the lattice's join). Public for unit tests.
void MergeInferredType(InferredType& a, const InferredType& b);

// The kind of one JSON string value: kDate, kTimestamp, kTimestampTz, kUuid or kString.
InferredKind ClassifyString(std::string_view s);

}  // namespace ki
