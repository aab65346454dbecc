#include "decode/metadata_columns.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "decode/column_model.h"
#include "decode/decimal.h"

namespace ki {
namespace {

unsigned __int128 MaxValue(const ColumnSpec& c) {
  switch (c.type) {
    case ColumnType::kTinyInt: return 127;
    case ColumnType::kSmallInt: return 32767;
    case ColumnType::kInteger: return 2147483647;
    case ColumnType::kBigInt: return static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    case ColumnType::kHugeInt: return ~static_cast<unsigned __int128>(0) >> 1;
    case ColumnType::kUTinyInt: return 255;
    case ColumnType::kUSmallInt: return 65535;
    case ColumnType::kUInteger: return 4294967295u;
    case ColumnType::kUBigInt: return std::numeric_limits<uint64_t>::max();
    case ColumnType::kDecimal:
      return IsTextDecimal(c) ? 0 : PowerOfTen(c.decimal_width) - 1;
    default: return 0;
  }
}

// Empty when `c` may hold its metadata, else what it needs.
const char* Needs(const ColumnSpec& c) {
  switch (c.metadata) {
    case MetadataColumn::kShardId:
    case MetadataColumn::kPartitionKey:
    case MetadataColumn::kExplicitHashKey:
      return c.type == ColumnType::kVarchar ? "" : "VARCHAR";
    case MetadataColumn::kSequenceNumber:
      return SequenceNumberColumnIsWide(c)
                 ? ""
                 : "VARCHAR (without a length or at least 129 characters) or a numeric with at "
                   "least 129 integer digits (or unconstrained), to hold every sequence number";
    case MetadataColumn::kArrivalTime:
      return c.type == ColumnType::kTimestamp || c.type == ColumnType::kTimestampTz
                 ? ""
                 : "TIMESTAMP or TIMESTAMPTZ";
    case MetadataColumn::kSubsequenceNumber:
      return c.type == ColumnType::kDecimal || IsIntegerType(c.type) ? ""
                                                                 : "an integer type or DECIMAL";
    case MetadataColumn::kNone:
      return "";
  }
  return "";
}

constexpr char kNulMessage[] =
    "value contains a NUL character (U+0000), which this column cannot store";

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

}  // namespace

bool SequenceNumberColumnIsWide(const ColumnSpec& c) {
  if (c.type == ColumnType::kVarchar) {
    return c.max_length < 0 || c.max_length >= kMaxSequenceNumberDigits;
  }
  return c.type == ColumnType::kDecimal &&
         (c.decimal_unconstrained ||
          int64_t{c.decimal_width} - c.decimal_scale >= kMaxSequenceNumberDigits);
}

Status MetadataColumns::Init(const TableSchema& schema) {
  columns_.clear();
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSpec& spec = schema.columns[i];
    if (spec.metadata == MetadataColumn::kNone) continue;
    Column c;
    c.index = static_cast<uint32_t>(i);
    c.kind = spec.metadata;
    c.type = spec.type;
    c.width = spec.decimal_width;
    c.scale = spec.decimal_scale;
    c.text_decimal = IsTextDecimal(spec);
    c.unconstrained = spec.type == ColumnType::kDecimal && spec.decimal_unconstrained;
    c.max_length = spec.max_length;
    c.not_null = spec.not_null;
    c.rejects_nul = spec.rejects_nul;
    c.label = "'" + spec.name + "' (" + TypeNameOf(spec) + ")";
    const char* needs = Needs(spec);
    if (*needs != '\0') {
      return InvalidArgument("table '" + schema.QualifiedName() + "' metadata column " + c.label +
                             " cannot hold its metadata: it needs " + needs);
    }
    if (c.type == ColumnType::kDecimal && !c.unconstrained &&
        (c.width < 1 || c.width > kMaxNumericPrecision || c.scale > c.width)) {
      return InvalidArgument("table '" + schema.QualifiedName() + "' column '" + spec.name +
                             "': invalid DECIMAL(" + std::to_string(c.width) + "," +
                             std::to_string(c.scale) + ")");
    }
    c.max_value = MaxValue(spec);
    columns_.push_back(std::move(c));
  }
  return Status::Ok();
}

Status MetadataColumns::FillText(const Column& c, std::string_view text, size_t row,
                                 RowBatch& batch) {
  if (c.rejects_nul && std::memchr(text.data(), '\0', text.size()) != nullptr) {
    return BadRecord("column " + c.label + ": " + kNulMessage);
  }
  if (c.max_length >= 0 && text.size() > static_cast<uint64_t>(c.max_length)) {
    const size_t length = CountCodePoints(text);
    if (length > static_cast<uint64_t>(c.max_length)) {
      return BadRecord("column " + c.label + ": value of " + std::to_string(length) +
                       " characters is too long");
    }
  }
  batch.SetString(row, c.index, text);
  return Status::Ok();
}

Status MetadataColumns::FillNumber(const Column& c, std::string_view digits, size_t row,
                                   RowBatch& batch) {
  const bool decimal = c.type == ColumnType::kDecimal;
  if (decimal && c.text_decimal) {
    bool exact = true;
    const DecimalParseError error = ParseDecimalText(
        digits, c.unconstrained ? -1 : c.scale,
        c.unconstrained ? kMaxNumericIntegerDigits : int64_t{c.width} - c.scale,
        DecimalSyntax::kLenient, &decimal_text_, &exact);
    if (error == DecimalParseError::kSyntax) {
      return BadRecord("column " + c.label + ": '" + std::string(digits) + "' is not a number");
    }
    if (error == DecimalParseError::kOverflow) {
      return BadRecord("column " + c.label + ": value " + std::string(digits) + " does not fit");
    }
    batch.SetString(row, c.index, decimal_text_);
    return Status::Ok();
  }
  ScaledDecimal d;
  const DecimalParseError error = ParseScaledDecimal(digits, decimal ? c.scale : 0, c.max_value,
                                                     DecimalSyntax::kLenient, &d);
  if (error == DecimalParseError::kSyntax) {
    return BadRecord("column " + c.label + ": '" + std::string(digits) + "' is not a number");
  }
  if (error == DecimalParseError::kOverflow || d.negative || d.magnitude > c.max_value) {
    if (decimal) {
      return BadRecord("column " + c.label + ": value " + std::string(digits) +
                       " does not fit DECIMAL(" + std::to_string(c.width) + "," +
                       std::to_string(c.scale) + ")");
    }
    return BadRecord("column " + c.label + ": value " + std::string(digits) + " is out of range");
  }
  if (c.type == ColumnType::kHugeInt || (decimal && c.width > 18)) {
    batch.Set(row, c.index).i128 = static_cast<__int128>(d.magnitude);
  } else {
    batch.Set(row, c.index).i64 = static_cast<int64_t>(static_cast<uint64_t>(d.magnitude));
  }
  return Status::Ok();
}

Status MetadataColumns::Fill(const RecordMetadata& meta, size_t row, RowBatch& batch) {
  for (const Column& c : columns_) {
    switch (c.kind) {
      case MetadataColumn::kShardId:
        KI_RETURN_IF_ERROR(FillText(c, meta.shard_id, row, batch));
        break;
      case MetadataColumn::kPartitionKey:
        KI_RETURN_IF_ERROR(FillText(c, meta.partition_key, row, batch));
        break;
      case MetadataColumn::kExplicitHashKey:
        if (!meta.explicit_hash_key.empty()) {
          KI_RETURN_IF_ERROR(FillText(c, meta.explicit_hash_key, row, batch));
        }
        break;
      case MetadataColumn::kSequenceNumber:
        if (c.type == ColumnType::kVarchar) {
          KI_RETURN_IF_ERROR(FillText(c, meta.sequence_number, row, batch));
        } else if (!meta.sequence_number.empty()) {
          KI_RETURN_IF_ERROR(FillNumber(c, meta.sequence_number, row, batch));
        }
        break;
      case MetadataColumn::kArrivalTime:
        batch.Set(row, c.index).i64 = meta.arrival_time_us;
        break;
      case MetadataColumn::kSubsequenceNumber:
        if (meta.subsequence_number >= 0) {
          char digits[24];
          const auto end =
              std::to_chars(digits, digits + sizeof(digits), meta.subsequence_number).ptr;
          KI_RETURN_IF_ERROR(
              FillNumber(c, std::string_view(digits, static_cast<size_t>(end - digits)), row,
                         batch));
        }
        break;
      case MetadataColumn::kNone:
        break;
    }
    if (c.not_null && batch.IsNull(row, c.index)) {
      return BadRecord("column " + c.label + ": NULL metadata for a NOT NULL column");
    }
  }
  return Status::Ok();
}

}  // namespace ki
