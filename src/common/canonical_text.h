// The canonical text of LIST and STRUCT cells: what the JSON decoder writes into such a cell and
// what the sinks read back, with the parsers and formatters for it. Independent of the decoder,
// so a sink includes this header (not decode/json_decoder.h) to read canonical text.
//
// The decoder stores a LIST/STRUCT value as compact JSON text in the cell's string, already
// converted, so a sink builds its typed value from it without checking anything again:
//   LIST       [e0,e1,...]            a NULL element is null
//   STRUCT     {"f0":v0,"f1":v1,...}  every field in schema order under its schema name; null
//                                     when missing or NULL
//   BOOLEAN    true / false
//   TINYINT..UBIGINT, HUGEINT  the integer: -12
//   DECIMAL(p,s)  FormatDecimal's text, exactly s fraction digits: 1.50, -0.05, 7 (IsTextDecimal:
//                 ParseDecimalText's, the same form; unconstrained with the value's own scale)
//   REAL, DOUBLE  the shortest text that reads back to the same float/double: 0.1, 1e+300, -0;
//                 the strings "NaN", "Infinity", "-Infinity" for those values
//   VARCHAR    the string
//   JSON       a string holding the compact JSON text
//   BLOB       a string holding standard base64 with padding
//   DATE       "YYYY-MM-DD"
//   TIMESTAMP  "YYYY-MM-DDTHH:MM:SS[.ffffff]"; TIMESTAMPTZ the same with "Z" (always UTC)
//   TIME       "HH:MM:SS[.ffffff]" ("24:00:00" possible)
//   UUID       "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case
// The parsers the decoder uses for those texts, for sinks reading canonical text (they accept
// every form the decoder accepts, so also the canonical one):
// ParseDateText, ParseTimestampText, ParseTimeText (common/civil_time.h) and
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/civil_time.h"

namespace ki {

bool ParseUuidText(std::string_view text, unsigned __int128* big_endian_value);

// True when JSON text holds the escape \u0000 (a NUL character in a string or key), which
// PostgreSQL's jsonb refuses (ColumnSpec::rejects_nul_escape).
bool JsonTextHasNulEscape(std::string_view json_text);

// Formatters of the canonical forms above the decoder uses (dates and times: civil_time.h).
void AppendUuidText(unsigned __int128 value, std::string* out);
// A REAL (is_float) or DOUBLE as a JSON number or the JSON string "NaN"/"Infinity"/"-Infinity".
void AppendCanonicalDouble(double value, bool is_float, std::string* out);

}  // namespace ki
