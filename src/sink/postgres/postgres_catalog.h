// The PostgreSQL sink's catalog: how a table's columns map to ColumnSpec, read with ONE catalog
// query (ReadPgColumns) that both DescribeTable and Begin's check that the table still has the
// described columns use, so the two cannot disagree about a type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "sink/postgres/postgres_connection.h"
#include "table/table_schema.h"

namespace ki {

// A column's type as this sink maps it.
struct PgType {
  ColumnType type = ColumnType::kUnsupported;
  uint16_t decimal_width = 0;
  uint16_t decimal_scale = 0;
  bool decimal_unconstrained = false;  // numeric without precision and scale
  int64_t max_length = -1;
  // What PostgreSQL refuses although the type allows it (ColumnSpec::rejects_*): text, varchar
  // and char cannot hold NUL characters; jsonb cannot hold the escape \u0000.
  bool rejects_nul = false;
  bool rejects_nul_escape = false;
  // kList: the element's type (a scalar; never a list).
  ColumnType element_type = ColumnType::kUnsupported;
  uint16_t element_decimal_width = 0;
  uint16_t element_decimal_scale = 0;
  bool element_decimal_unconstrained = false;
  int64_t element_max_length = -1;
  bool element_rejects_nul = false;
};

// A built-in type (pg_catalog's typname and the column's atttypmod) -> ColumnType.
PgType PgTypeFromCatalog(const std::string& typname, int64_t typmod);
// An array column (the element's pg_catalog typname, the column's atttypmod, which applies to the
// element, and attndims, the declared number of dimensions) -> kList or kUnsupported.
PgType PgArrayTypeFromCatalog(const std::string& element_typname, int64_t typmod, int64_t ndims);

// One column of a table as the catalog describes it (generated and dropped columns left out).
struct PgCatalogColumn {
  std::string name;
  std::string type_name;  // format_type: "numeric(10,2)", "character varying(5)", "integer[]"
  std::string typname;    // pg_type.typname: "numeric", "varchar", "_int4"
  PgType type;            // kUnsupported for types outside pg_catalog (domains, enums, ...)
  bool not_null = false;
  // Arrays: the element's format_type (e.g. "numeric(10,2)") and OID (array_recv checks it).
  std::string element_type_name;
  uint32_t element_oid = 0;
};

// The columns of `relation_sql` (a quoted, qualified name) in attnum order; empty when there is no
// such relation. `what` prefixes error messages.
Result<std::vector<PgCatalogColumn>> ReadPgColumns(PostgresConnection& connection,
                                                   const std::string& relation_sql,
                                                   const std::string& what);

// PostgresSink::DescribeTable (see postgres_sink.h for the name rules and the type mapping).
Result<TableSchema> DescribePgTable(PostgresConnection& connection, const std::string& table);

// Begin's check: every column of `schema` is still among `columns` with the described type (binary
// COPY sends each value in exactly its column's format). Fatal naming the first column that
// changed; `table_for_messages` prefixes the message. On success `matched[c]` is the catalog
// column of schema column c.
Status MatchPgColumns(const TableSchema& schema, const std::vector<PgCatalogColumn>& columns,
                      const std::string& table_for_messages,
                      std::vector<const PgCatalogColumn*>* matched);

}  // namespace ki
