// SQL identifiers from users (table, schema, column names): quoting and qualified-name parsing,
// shared by the sinks. Identifiers go into SQL only quoted; values are always bound parameters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ki {

// "name" with inner double quotes doubled.
std::string QuoteIdentifier(std::string_view name);

// How a database reads the unquoted parts of a name.
enum class UnquotedCase {
  kKeep,         // DuckDB: taken as written (it matches names case-insensitively later)
  kFoldToLower,  // PostgreSQL: ASCII letters folded to lower case
};

// Splits "a", "s.a", "c.s.a" into parts; double-quoted parts are taken literally ("x.y" is one
// part, "a""b" is a"b). `three_parts` names the parts for the error message
// ("catalog.schema.table"). InvalidArgument for a malformed name.
Result<std::vector<std::string>> SplitQualifiedName(const std::string& name, UnquotedCase unquoted,
                                                    std::string_view three_parts);

}  // namespace ki
