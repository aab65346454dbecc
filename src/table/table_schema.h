// The shape of a target table as the decoder and every sink see it. Sinks fill it from their
// catalog; the decoder converts records into rows of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ki {

// Logical column types. The conversion from JSON is defined per logical type, once, for all sinks.
enum class ColumnType {
  kBoolean,
  kTinyInt,
  kSmallInt,
  kInteger,
  kBigInt,
  kHugeInt,
  kUTinyInt,
  kUSmallInt,
  kUInteger,
  kUBigInt,
  kDecimal,  // decimal_width/decimal_scale set; value is the scaled integer, or canonical text
             // when IsTextDecimal (wider than 38 digits, or unconstrained)
  kReal,
  kDouble,
  kVarchar,
  kDate,
  kTimestamp,
  kTimestampTz,
  kTime,
  kUuid,
  kJson,
  kBlob,
  kList,    // children: one ColumnSpec named "element", the element type
  kStruct,  // children: the fields in order, names as the database spells them
  kUnsupported,  // a type this version cannot fill; only NULL (or the column left out) is possible
};

// Which metadata a column receives instead of a value from the payload. Found by column name,
// case-insensitively (see MetadataColumnFromName).
enum class MetadataColumn {
  kNone,
  kShardId,            // kinesis_shard_id
  kSequenceNumber,     // shard_sequence_number
  kPartitionKey,       // kinesis_partition_key
  kArrivalTime,        // kinesis_arrival_time
  kSubsequenceNumber,  // kinesis_subsequence_number
  kExplicitHashKey,    // kinesis_explicit_hash_key (KPL user records that carry one; else NULL)
};

MetadataColumn MetadataColumnFromName(const std::string& column_name);

struct ColumnSpec {
  std::string name;       // as stored in the catalog
  std::string type_name;  // as the database spells it, for messages (e.g. "DECIMAL(18,0)")
  ColumnType type = ColumnType::kUnsupported;
  // kDecimal only: total digits (1..38; up to kMaxNumericPrecision = 1000 for PostgreSQL
  // numeric(p,s), whose values are then canonical text) and digits after the point.
  uint16_t decimal_width = 0;
  uint16_t decimal_scale = 0;
  // kDecimal only: PostgreSQL's unconstrained numeric: any number of digits (up to
  // PostgreSQL's limits) with each value's own scale; decimal_width/decimal_scale are 0.
  bool decimal_unconstrained = false;
  int64_t max_length = -1;    // VARCHAR(n): n; -1 when unbounded or not enforced
  bool not_null = false;
  // What the sink cannot store in this column although its type allows it (set by the sink's
  // DescribeTable). The decoder makes such a value a bad record naming the column, so that it
  // follows --on-error like any other, instead of a database error that fails the whole run.
  bool rejects_nul = false;         // text: a NUL character, U+0000 (PostgreSQL text/varchar/char)
  bool rejects_nul_escape = false;  // JSON: the escape \u0000 (PostgreSQL jsonb)
  MetadataColumn metadata = MetadataColumn::kNone;
  // kList: exactly one child (name "element"); kStruct: one child per field, in order. Children
  // never have metadata, NOT NULL or a max_length (but may have the rejects_* flags). Empty for
  // every other type.
  std::vector<ColumnSpec> children;
};

// A DECIMAL whose cells hold canonical text (decimal.h ParseDecimalText: "[-]digits[.digits]",
// exactly decimal_scale fraction digits, or the value's own scale when unconstrained) instead of
// a scaled integer: more than 38 digits do not fit 128 bits.
inline bool IsTextDecimal(const ColumnSpec& c) {
  return c.type == ColumnType::kDecimal && (c.decimal_unconstrained || c.decimal_width > 38);
}

// The integer types (not DECIMAL).
inline bool IsIntegerType(ColumnType t) {
  switch (t) {
    case ColumnType::kTinyInt:
    case ColumnType::kSmallInt:
    case ColumnType::kInteger:
    case ColumnType::kBigInt:
    case ColumnType::kHugeInt:
    case ColumnType::kUTinyInt:
    case ColumnType::kUSmallInt:
    case ColumnType::kUInteger:
    case ColumnType::kUBigInt:
      return true;
    default:
      return false;
  }
}

inline bool IsNestedType(ColumnType type) {
  return type == ColumnType::kList || type == ColumnType::kStruct;
}

struct TableSchema {
  std::string schema;  // may be empty (default schema)
  std::string table;
  std::vector<ColumnSpec> columns;

  std::string QualifiedName() const { return schema.empty() ? table : schema + "." + table; }
  const ColumnSpec* FindMetadata(MetadataColumn m) const {
    for (const auto& c : columns)
      if (c.metadata == m) return &c;
    return nullptr;
  }
};

}  // namespace ki
