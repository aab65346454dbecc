// The column model: how a ColumnSpec is named in messages (TypeNameOf, also for the metadata
// columns), and the JSON decoder's per-column model built from a TableSchema at Create
// (JsonRecordDecoder::Impl::Init/BuildColumn, value ranges, --map and key tables).
#include "decode/column_model.h"

#include "decode/json_decoder_internal.h"

namespace ki {
namespace {

// DuckDB's spelling, for messages about columns whose type_name the caller left empty.
std::string DefaultTypeName(const ColumnSpec& spec) {
  switch (spec.type) {
    case ColumnType::kDecimal:
      if (spec.decimal_unconstrained) return "DECIMAL";
      return "DECIMAL(" + std::to_string(spec.decimal_width) + "," +
             std::to_string(spec.decimal_scale) + ")";
    case ColumnType::kList:
      return (spec.children.empty() ? std::string("?") : TypeNameOf(spec.children[0])) + "[]";
    case ColumnType::kStruct: {
      std::string text = "STRUCT(";
      for (size_t i = 0; i < spec.children.size(); ++i) {
        if (i) text += ", ";
        text += spec.children[i].name + " " + TypeNameOf(spec.children[i]);
      }
      return text + ")";
    }
    default:
      return spec.type_name.empty() ? TypeName(spec.type) : spec.type_name;
  }
}

}  // namespace

const char* TypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kBoolean: return "BOOLEAN";
    case ColumnType::kTinyInt: return "TINYINT";
    case ColumnType::kSmallInt: return "SMALLINT";
    case ColumnType::kInteger: return "INTEGER";
    case ColumnType::kBigInt: return "BIGINT";
    case ColumnType::kHugeInt: return "HUGEINT";
    case ColumnType::kUTinyInt: return "UTINYINT";
    case ColumnType::kUSmallInt: return "USMALLINT";
    case ColumnType::kUInteger: return "UINTEGER";
    case ColumnType::kUBigInt: return "UBIGINT";
    case ColumnType::kDecimal: return "DECIMAL";
    case ColumnType::kReal: return "REAL";
    case ColumnType::kDouble: return "DOUBLE";
    case ColumnType::kVarchar: return "VARCHAR";
    case ColumnType::kDate: return "DATE";
    case ColumnType::kTimestamp: return "TIMESTAMP";
    case ColumnType::kTimestampTz: return "TIMESTAMPTZ";
    case ColumnType::kTime: return "TIME";
    case ColumnType::kUuid: return "UUID";
    case ColumnType::kJson: return "JSON";
    case ColumnType::kBlob: return "BLOB";
    case ColumnType::kList: return "LIST";
    case ColumnType::kStruct: return "STRUCT";
    case ColumnType::kUnsupported: return "unsupported type";
  }
  return "unknown type";
}

std::string TypeNameOf(const ColumnSpec& spec) {
  return spec.type_name.empty() ? DefaultTypeName(spec) : spec.type_name;
}

namespace jd {

void SetRange(Column* c) {
  auto set = [c](unsigned __int128 pos, unsigned __int128 neg) {
    c->max_positive = pos;
    c->max_negative = neg;
  };
  constexpr unsigned __int128 kI64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  switch (c->type) {
    case ColumnType::kTinyInt: set(127, 128); break;
    case ColumnType::kSmallInt: set(32767, 32768); break;
    case ColumnType::kInteger: set(2147483647, 2147483648u); break;
    case ColumnType::kBigInt: set(kI64Max, kI64Max + 1); break;
    case ColumnType::kHugeInt: set(kMaxU128 >> 1, (kMaxU128 >> 1) + 1); break;
    case ColumnType::kUTinyInt: set(255, 0); break;
    case ColumnType::kUSmallInt: set(65535, 0); break;
    case ColumnType::kUInteger: set(4294967295u, 0); break;
    case ColumnType::kUBigInt: set(std::numeric_limits<uint64_t>::max(), 0); break;
    case ColumnType::kDecimal: {
      if (c->text_decimal) break;  // ParseDecimalText checks the digits
      const unsigned __int128 m = PowerOfTen(c->width) - 1;
      set(m, m);
      break;
    }
    default: break;
  }
}

}  // namespace jd

Status JsonRecordDecoder::Impl::BuildColumn(const ColumnSpec& spec, int depth, Column* c) {
  c->name = spec.name;
  c->lowered = LowerAscii(spec.name);
  c->type = spec.type;
  c->width = spec.decimal_width;
  c->scale = spec.decimal_scale;
  c->text_decimal = IsTextDecimal(spec);
  c->unconstrained = spec.type == ColumnType::kDecimal && spec.decimal_unconstrained;
  c->max_length = spec.max_length;
  c->not_null = spec.not_null;
  c->rejects_nul = spec.rejects_nul;
  c->rejects_nul_escape = spec.rejects_nul_escape;
  c->metadata = spec.metadata;
  c->nested = IsNestedType(spec.type);
  c->type_name = TypeNameOf(spec);
  if (c->type == ColumnType::kDecimal && !c->unconstrained &&
      (c->width < 1 || c->width > kMaxNumericPrecision || c->scale > c->width)) {
    return InvalidArgument("table '" + table_ + "' column '" + c->name + "': invalid DECIMAL(" +
                           std::to_string(c->width) + "," + std::to_string(c->scale) + ")");
  }
  if (c->type == ColumnType::kList && spec.children.size() != 1) {
    return InvalidArgument("table '" + table_ + "' column '" + c->name + "' (" + c->type_name +
                           "): a LIST needs exactly one element type");
  }
  if (c->type == ColumnType::kStruct && spec.children.empty()) {
    return InvalidArgument("table '" + table_ + "' column '" + c->name + "' (" + c->type_name +
                           "): a STRUCT needs at least one field");
  }
  SetRange(c);
  if (c->nested) {
    if (depth > kMaxNestingDepth) {
      return InvalidArgument("table '" + table_ + "' column '" + c->name +
                             "': type nested too deeply");
    }
    if (c->type == ColumnType::kStruct && struct_scratch_.size() <= static_cast<size_t>(depth)) {
      struct_scratch_.resize(static_cast<size_t>(depth) + 1);
    }
    const int child_depth = depth + (c->type == ColumnType::kStruct ? 1 : 0);
    c->children.resize(spec.children.size());
    for (size_t i = 0; i < spec.children.size(); ++i) {
      KI_RETURN_IF_ERROR(BuildColumn(spec.children[i], child_depth, &c->children[i]));
      c->children[i].not_null = false;
      c->children[i].metadata = MetadataColumn::kNone;
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::Init(const TableSchema& schema, const DecoderOptions& options) {
  mapping_ = options.mapping;
  strict_keys_ = options.strict_keys;
  switch (options.epoch_unit) {
    case EpochUnit::kSeconds: epoch_scale_ = 6; break;
    case EpochUnit::kMilliseconds: epoch_scale_ = 3; break;
    case EpochUnit::kMicroseconds: epoch_scale_ = 0; break;
  }
  table_ = schema.QualifiedName();
  if (mapping_ == ColumnMapping::kByPosition && !options.column_paths.empty()) {
    return InvalidArgument("--map paths need by-name mapping; table '" + table_ +
                           "' is mapped by position");
  }
  if (mapping_ == ColumnMapping::kByPosition && strict_keys_) {
    return InvalidArgument("--strict-keys needs by-name mapping (by position, extra values are "
                           "already bad records)");
  }
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    Column c;
    KI_RETURN_IF_ERROR(BuildColumn(schema.columns[i], 0, &c));
    const auto index = static_cast<uint32_t>(i);
    if (c.metadata == MetadataColumn::kNone) {
      data_columns_.push_back(index);
      if (c.not_null) not_null_columns_.push_back(index);
    }
    columns_.push_back(std::move(c));
  }
  KI_RETURN_IF_ERROR(metadata_.Init(schema));
  if (data_columns_.empty()) {
    return InvalidArgument("table '" + table_ + "' has no data columns (only Kinesis metadata)");
  }
  KI_RETURN_IF_ERROR(BuildPaths(options));
  for (uint32_t index : data_columns_) {
    const bool mapped = std::any_of(paths_.begin(), paths_.end(),
                                    [index](const PathNode& n) { return n.column == int(index); });
    if (mapped) continue;  // takes its value from its path only
    KeyEntry key{columns_[index].name, columns_[index].lowered, index};
    for (const KeyEntry& other : keys_) case_collisions_ |= other.lowered == key.lowered;
    keys_.push_back(std::move(key));
  }
  return Status::Ok();
}

}  // namespace ki
