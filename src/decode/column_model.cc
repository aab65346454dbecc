#include "decode/column_model.h"

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

}  // namespace ki
