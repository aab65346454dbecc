#include "sink/postgres/postgres_catalog.h"

#include <map>
#include <utility>

#include "decode/decimal.h"
#include "sink/sql_identifier.h"

namespace ki {

// A built-in type (pg_catalog's typname and the column's atttypmod) -> ColumnType.
PgType PgTypeFromCatalog(const std::string& typname, int64_t typmod) {
  PgType t;
  if (typname == "int2") t.type = ColumnType::kSmallInt;
  else if (typname == "int4") t.type = ColumnType::kInteger;
  else if (typname == "int8") t.type = ColumnType::kBigInt;
  else if (typname == "float4") t.type = ColumnType::kReal;
  else if (typname == "float8") t.type = ColumnType::kDouble;
  else if (typname == "bool") t.type = ColumnType::kBoolean;
  else if (typname == "text") {
    t.type = ColumnType::kVarchar;
    t.rejects_nul = true;
  } else if (typname == "varchar" || typname == "bpchar") {
    t.type = ColumnType::kVarchar;
    t.rejects_nul = true;
    // The typmod of varchar(n)/char(n) is n + 4 (VARHDRSZ); -1 when unbounded.
    if (typmod >= 4) t.max_length = typmod - 4;
  } else if (typname == "date") t.type = ColumnType::kDate;
  else if (typname == "timestamp") t.type = ColumnType::kTimestamp;
  else if (typname == "timestamptz") t.type = ColumnType::kTimestampTz;
  else if (typname == "time") t.type = ColumnType::kTime;
  else if (typname == "uuid") t.type = ColumnType::kUuid;
  else if (typname == "json" || typname == "jsonb") {
    t.type = ColumnType::kJson;
    t.rejects_nul_escape = typname == "jsonb";
  }
  else if (typname == "bytea") t.type = ColumnType::kBlob;
  else if (typname == "numeric") {
    if (typmod < 4) {
      t.type = ColumnType::kDecimal;  // any precision, each value's own scale
      t.decimal_unconstrained = true;
    } else {
      // typmod - 4 = precision << 16 | scale (11 bits, signed since PostgreSQL 15).
      const int64_t packed = typmod - 4;
      const int64_t precision = (packed >> 16) & 0xffff;
      const int64_t scale = ((packed & 0x7ff) ^ 1024) - 1024;
      // Full precision: p > 38 goes through the decoder as canonical text (IsTextDecimal).
      if (precision >= 1 && precision <= kMaxNumericPrecision && scale >= 0 &&
          scale <= precision) {
        t.type = ColumnType::kDecimal;
        t.decimal_width = static_cast<uint16_t>(precision);
        t.decimal_scale = static_cast<uint16_t>(scale);
      }
    }
  }
  return t;
}

// An array column (the element's pg_catalog typname, the column's atttypmod, which applies to the
// element, and attndims, the declared number of dimensions) -> kList or kUnsupported.
PgType PgArrayTypeFromCatalog(const std::string& element_typname, int64_t typmod, int64_t ndims) {
  PgType t;
  if (ndims > 1 || element_typname == "bpchar") return t;
  const PgType e = PgTypeFromCatalog(element_typname, typmod);
  switch (e.type) {
    case ColumnType::kSmallInt:
    case ColumnType::kInteger:
    case ColumnType::kBigInt:
    case ColumnType::kReal:
    case ColumnType::kDouble:
    case ColumnType::kBoolean:
    case ColumnType::kVarchar:
    case ColumnType::kDecimal:
    case ColumnType::kDate:
    case ColumnType::kTimestamp:
    case ColumnType::kTimestampTz:
    case ColumnType::kUuid: break;
    default: return t;
  }
  t.type = ColumnType::kList;
  t.element_type = e.type;
  t.element_decimal_width = e.decimal_width;
  t.element_decimal_scale = e.decimal_scale;
  t.element_decimal_unconstrained = e.decimal_unconstrained;
  t.element_max_length = e.max_length;
  t.element_rejects_nul = e.rejects_nul;
  return t;
}

Result<std::vector<PgCatalogColumn>> ReadPgColumns(PostgresConnection& connection,
                                                   const std::string& relation_sql,
                                                   const std::string& what) {
  // Columns 6..10 are for arrays (e is the element type when t is its array type; atttypmod
  // then applies to the element).
  static const std::string kColumns =
      "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, "
      "a.atttypmod::text, a.attnotnull::text, "
      "(t.typnamespace = 'pg_catalog'::regnamespace)::text, e.typname, "
      "(e.typnamespace = 'pg_catalog'::regnamespace)::text, a.attndims::text, "
      "pg_catalog.format_type(e.oid, a.atttypmod), e.oid::text "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid "
      "WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
      "AND a.attgenerated = '' ORDER BY a.attnum";
  KI_ASSIGN_OR_RETURN(PgResult rows, connection.Exec(kColumns, {relation_sql.c_str()}, what));
  std::vector<PgCatalogColumn> columns;
  const PGresult* res = rows.get();
  for (int r = 0; r < PQntuples(res); ++r) {
    PgCatalogColumn column;
    column.name = PgValue(res, r, 0).value_or("");
    column.type_name = PgValue(res, r, 1).value_or("");
    column.typname = PgValue(res, r, 2).value_or("");
    const int64_t typmod = ParseSqlInt64(PgValue(res, r, 3)).value_or(-1);
    column.not_null = PgValue(res, r, 4).value_or("false") == "true";
    const bool builtin = PgValue(res, r, 5).value_or("false") == "true";
    const std::optional<std::string> element = PgValue(res, r, 6);
    if (builtin && element) {
      if (PgValue(res, r, 7).value_or("false") == "true") {
        column.type =
            PgArrayTypeFromCatalog(*element, typmod, ParseSqlInt64(PgValue(res, r, 8)).value_or(0));
      }
      column.element_type_name = PgValue(res, r, 9).value_or(*element);
      column.element_oid = static_cast<uint32_t>(ParseSqlInt64(PgValue(res, r, 10)).value_or(0));
    } else if (builtin) {
      column.type = PgTypeFromCatalog(column.typname, typmod);
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

Result<TableSchema> DescribePgTable(PostgresConnection& connection, const std::string& table) {
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(table, UnquotedCase::kFoldToLower, "database.schema.table"));
  const std::string where = connection.Describe() + ": looking up table '" + table + "'";
  if (parts.size() == 3) {
    const char* db = PQdb(connection.get());
    if (db == nullptr || parts[0] != db) {
      return InvalidArgument(where + ": it names database '" + parts[0] +
                             "', but the connection is to database '" + (db ? db : "") + "'");
    }
  }
  const std::string& relname = parts.back();
  const std::optional<std::string> nspname =
      parts.size() >= 2 ? std::optional<std::string>(parts[parts.size() - 2]) : std::nullopt;

  // Like PostgreSQL's own resolution: a qualified name in its schema, an unqualified one in the
  // first schema of the search path (pg_temp and pg_catalog included) that has it.
  static const std::string kFindTable =
      "SELECT n.nspname, c.relname, c.relkind::text "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS s(name, ord) "
      "  ON s.name = n.nspname "
      "WHERE c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
      "  AND CASE WHEN $1::text IS NULL THEN s.ord IS NOT NULL ELSE n.nspname = $1 END "
      "ORDER BY s.ord NULLS LAST LIMIT 1";
  KI_ASSIGN_OR_RETURN(
      PgResult found,
      connection.Exec(kFindTable, {nspname ? nspname->c_str() : nullptr, relname.c_str()}, where));
  if (PQntuples(found.get()) == 0) {
    std::string searched;
    if (!nspname) {
      auto path = connection.Exec(
          "SELECT array_to_string(pg_catalog.current_schemas(false), ', ')", {}, where);
      if (path.ok() && PQntuples(path->get()) == 1) {
        searched = " (searched the schemas of search_path: " +
                   PgValue(path->get(), 0, 0).value_or("") + ")";
      }
    }
    return NotFound("table '" + table + "' does not exist in " + connection.Describe() + searched +
                    "; create it first, for example:\n  CREATE TABLE " + table +
                    " (<your columns>, kinesis_shard_id text, shard_sequence_number text);");
  }
  const std::string relkind = PgValue(found.get(), 0, 2).value_or("");
  if (relkind == "v" || relkind == "m") {
    return InvalidArgument("'" + table + "' in " + connection.Describe() +
                           " is a view; kinesis-import appends to a table");
  }
  TableSchema schema;
  schema.schema = PgValue(found.get(), 0, 0).value_or("");
  schema.table = PgValue(found.get(), 0, 1).value_or("");

  KI_ASSIGN_OR_RETURN(std::vector<PgCatalogColumn> columns,
                      ReadPgColumns(connection, PgQualifiedSql(schema.schema, schema.table),
                                    where));
  for (PgCatalogColumn& column : columns) {
    const PgType& type = column.type;
    ColumnSpec spec;
    spec.name = std::move(column.name);
    spec.type_name = std::move(column.type_name);
    if (type.type == ColumnType::kList) {
      ColumnSpec child;
      child.name = "element";
      child.type_name = column.element_type_name;
      child.type = type.element_type;
      child.decimal_width = type.element_decimal_width;
      child.decimal_scale = type.element_decimal_scale;
      child.decimal_unconstrained = type.element_decimal_unconstrained;
      child.rejects_nul = type.element_rejects_nul;
      // varchar(n)[]: children carry no max_length (table_schema.h); Append checks n itself.
      spec.children.push_back(std::move(child));
    }
    spec.type = type.type;
    spec.decimal_width = type.decimal_width;
    spec.decimal_scale = type.decimal_scale;
    spec.decimal_unconstrained = type.decimal_unconstrained;
    spec.max_length = type.max_length;
    spec.rejects_nul = type.rejects_nul;
    spec.rejects_nul_escape = type.rejects_nul_escape;
    spec.not_null = column.not_null;
    spec.metadata = MetadataColumnFromName(spec.name);
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

Status MatchPgColumns(const TableSchema& schema, const std::vector<PgCatalogColumn>& columns,
                      const std::string& table_for_messages,
                      std::vector<const PgCatalogColumn*>* matched) {
  std::map<std::string, const PgCatalogColumn*> actual;
  for (const PgCatalogColumn& column : columns) actual[column.name] = &column;
  matched->clear();
  for (const ColumnSpec& spec : schema.columns) {
    auto it = actual.find(spec.name);
    const PgType* found = it != actual.end() ? &it->second->type : nullptr;
    const bool list_matches =
        spec.type != ColumnType::kList ||
        (found != nullptr && spec.children.size() == 1 &&
         found->element_type == spec.children[0].type &&
         (spec.children[0].type != ColumnType::kDecimal ||
          (found->element_decimal_scale == spec.children[0].decimal_scale &&
           found->element_decimal_unconstrained == spec.children[0].decimal_unconstrained &&
           found->element_decimal_width >= spec.children[0].decimal_width)));
    const bool matches =
        found != nullptr && it->second->type_name == spec.type_name &&
        (spec.type == ColumnType::kUnsupported || found->type == spec.type) &&
        (spec.type != ColumnType::kDecimal ||
         (found->decimal_scale == spec.decimal_scale &&
          found->decimal_unconstrained == spec.decimal_unconstrained &&
          found->decimal_width >= spec.decimal_width)) &&
        list_matches;
    if (!matches) {
      return FatalError(table_for_messages + ": column '" + spec.name + "' no longer has type " +
                        spec.type_name + " (did the table change since it was described?)");
    }
    matched->push_back(it->second);
  }
  return Status::Ok();
}

}  // namespace ki
