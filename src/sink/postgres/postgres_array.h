// The PostgreSQL sink's array encoder: a LIST cell (the decoder's canonical JSON text, see
// common/canonical_text.h) -> PostgreSQL's binary array format (one dimension, lower bound 1; an empty
// array has no dimension), for binary COPY (postgres_copy_writer.h). Also the text rules that
// PostgreSQL applies to text values and text elements (no NUL, UTF-8, varchar(n)/char(n) length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "table/table_schema.h"

namespace ki {

// The element of a LIST column, as Begin found it in the catalog.
struct PgListElement {
  ColumnType type = ColumnType::kUnsupported;
  uint32_t oid = 0;  // the element type's OID, which array_recv checks
  uint8_t decimal_scale = 0;
  bool text_decimal = false;  // numeric(p > 38)[] or numeric[]: canonical text elements
  int64_t max_length = -1;    // varchar(n)[]: n
};

// PostgreSQL's rule for varchar(n)/char(n): too long is an error unless the excess characters
// are all spaces (they are then cut off). `*characters`: the length of `s` in characters (`s` is
// valid UTF-8).
bool PgFitsLength(std::string_view s, int64_t max_length, size_t* characters);
// Why `s` cannot go into a text value of `type_name` with `max_length` characters (-1:
// unbounded); empty (no allocation) when it can.
std::string PgTextProblem(std::string_view s, int64_t max_length, const std::string& type_name);

class PgArrayEncoder {
 public:
  PgArrayEncoder();
  ~PgArrayEncoder();
  PgArrayEncoder(const PgArrayEncoder&) = delete;
  PgArrayEncoder& operator=(const PgArrayEncoder&) = delete;

  // Appends the binary array of one LIST cell's canonical `text` to `out` (without the field's
  // length). On failure returns the reason: a bad element (`*bad_record` set) or text that is not
  // the decoder's canonical form; `out` may then hold part of the array.
  std::string Encode(const PgListElement& element, std::string_view text, std::string& out,
                     bool* bad_record);

 private:
  struct Parser;  // simdjson parser and padded buffer
  std::unique_ptr<Parser> parser_;
};

}  // namespace ki
