// Private to src/decode: what the files of the JSON decoder share: the per-column model (Column),
// the --map path tree (PathStep/PathNode), where a converted value goes (CellTarget,
// CanonicalTarget), small inline helpers of the hot path, and JsonRecordDecoder::Impl itself,
// whose members are defined by responsibility in
//   column_model.cc      building the column model from a TableSchema (Init, BuildColumn)
//   json_path.cc         --map paths: parsing, the path tree, descending into a record
//   value_conversion.cc  the conversion rules per column type (ConvertValue and its Store*),
//                        LIST/STRUCT canonical text
//   json_validation.cc   malformed JSON, not UTF-8, not an object: messages; WalkJson
//   json_text.cc         small text helpers (JSON string escaping, shown values, code points)
//   json_decoder.cc      the mapping loops (by name with its fast path, by position, with paths)
// Not a public header: nothing outside src/decode includes it. The helpers live in namespace
// ki::jd (made visible in ki for the files that include this header only).
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/canonical_text.h"
#include "common/civil_time.h"
#include "common/json_tokens.h"
#include "decode/column_model.h"
#include "decode/decimal.h"
#include "decode/json_decoder.h"
#include "decode/metadata_columns.h"

namespace ki {
namespace jd {

namespace od = simdjson::ondemand;

// json_text.cc, json_validation.cc, value_conversion.cc
const char* JsonTypeName(od::json_type type);
std::string Shown(std::string_view text);
std::string LowerAscii(std::string_view s);
size_t CountCodePoints(std::string_view s);
void AppendJsonString(std::string_view s, std::string* out);
// The offset of the first byte that makes `s` invalid UTF-8 (or s.size() when it is valid).
// Only for the message of a record that stage 1 rejected; simdjson's validator says only "no".
size_t FirstInvalidUtf8(std::string_view s);
// The top-level key whose value contains byte `offset` of `json` (raw, escapes as written), for
// messages; empty when the byte is not inside a top-level value. A tolerant scan of possibly
// malformed input, cold path only.
std::string_view TopLevelKeyAt(std::string_view json, size_t offset);
// Base64 of either alphabet, not mixed; padding optional but right when present. `translated`
// is scratch space for the URL-safe alphabet (common/base64 knows only the standard one).
bool DecodeBase64Value(std::string_view text, std::string* translated, std::string* bytes);

// Deeper nesting inside a value going to a VARCHAR/JSON column (or skipped) is a bad record; it
// bounds the recursion of WalkJson.
constexpr int kMaxNestingDepth = 256;
constexpr size_t kMaxShownValue = 64;
constexpr unsigned __int128 kMaxU128 = ~static_cast<unsigned __int128>(0);

constexpr char kNulMessage[] =
    "value contains a NUL character (U+0000), which this column cannot store";
constexpr char kNulEscapeMessage[] =
    "value contains the escape \\u0000 (a NUL character), which this column cannot store";

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Lower-cases the ASCII letters among 8 bytes at once (bytes >= 0x80 are left alone).
inline uint64_t LowerAscii8(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  const uint64_t heptets = x & (0x7F * kOnes);
  const uint64_t above_z = heptets + (0x7F - 'Z') * kOnes;  // high bit set where byte > 'Z'
  const uint64_t from_a = heptets + (0x80 - 'A') * kOnes;   // high bit set where byte >= 'A'
  const uint64_t upper = from_a & ~above_z & ~x & (0x80 * kOnes);
  return x | (upper >> 2);
}

inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// `lowered` is already lower case; sizes are equal. Eight bytes per step: the key lookup was
// 13% of the sensor benchmark with a byte loop.
inline bool EqualsIgnoreCase(std::string_view key, std::string_view lowered) {
  const size_t n = key.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (LowerAscii(key[i]) != lowered[i]) return false;
    }
    return true;
  }
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (LowerAscii8(Load8(key.data() + i)) != Load8(lowered.data() + i)) return false;
  }
  // The last (overlapping) word.
  return i == n || LowerAscii8(Load8(key.data() + n - 8)) == Load8(lowered.data() + n - 8);
}

// ---- Paths (--map) ---------------------------------------------------------------------------

struct PathStep {
  enum class Kind { kKey, kIndex, kKeyOrIndex };  // kKeyOrIndex: a numeric JSON Pointer token
  Kind kind = Kind::kKey;
  std::string key;
  int64_t index = -1;
};

// One node of the tree of all --map paths. Node 0 is the record itself.
struct PathNode {
  PathStep step;              // how the parent reaches this node
  int column = -1;            // the column that takes this node's value, if any
  std::vector<uint32_t> children;
  std::vector<uint32_t> columns_below;  // every column at or under this node
  std::string path;           // for messages: the first path that created the node
};

// ---- Columns ---------------------------------------------------------------------------------

struct Column {
  std::string name;
  std::string lowered;    // STRUCT fields: for the case-insensitive field lookup
  std::string type_name;  // for messages, as the database spells it
  ColumnType type = ColumnType::kUnsupported;
  uint16_t width = 0;
  uint16_t scale = 0;
  bool text_decimal = false;   // IsTextDecimal: canonical text instead of a scaled integer
  bool unconstrained = false;  // ColumnSpec::decimal_unconstrained
  int64_t max_length = -1;
  bool not_null = false;
  bool rejects_nul = false;         // ColumnSpec::rejects_nul
  bool rejects_nul_escape = false;  // ColumnSpec::rejects_nul_escape
  bool nested = false;  // LIST or STRUCT
  MetadataColumn metadata = MetadataColumn::kNone;
  // Integer and DECIMAL columns: the largest magnitude allowed for each sign.
  unsigned __int128 max_positive = 0;
  unsigned __int128 max_negative = 0;
  std::vector<Column> children;  // LIST: the element; STRUCT: the fields
};

struct KeyEntry {
  std::string exact;
  std::string lowered;
  uint32_t column = 0;
};

// ---- Where a converted value goes ------------------------------------------------------------
// The conversion rules are written once (Impl::ConvertValue) against a target: a cell of the
// batch for a top-level column, or canonical JSON text for an element of a LIST/STRUCT column.

struct CellTarget {
  RowBatch& batch;
  size_t row;
  uint32_t col;
  void I64(int64_t v) { batch.Set(row, col).i64 = v; }
  void I128(__int128 v) { batch.Set(row, col).i128 = v; }
  void F64(double v) { batch.Set(row, col).f64 = v; }
  void Text(std::string_view s) { batch.SetString(row, col, s); }  // VARCHAR, JSON, BLOB bytes
  void DecimalText(std::string_view s) { batch.SetString(row, col, s); }  // IsTextDecimal
};

struct CanonicalTarget {
  const Column& c;
  std::string* out;

  void I64(int64_t v) {
    switch (c.type) {
      case ColumnType::kBoolean: out->append(v ? "true" : "false"); return;
      case ColumnType::kDecimal: AppendDecimal(v, c.scale, out); return;
      case ColumnType::kDate:
        out->push_back('"');
        AppendDateText(v, out);
        out->push_back('"');
        return;
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz:
        out->push_back('"');
        AppendTimestampText(v, c.type == ColumnType::kTimestampTz, out);
        out->push_back('"');
        return;
      case ColumnType::kTime:
        out->push_back('"');
        AppendTimeOfDayText(v, out);
        out->push_back('"');
        return;
      default: {
        char digits[24];
        const auto end = c.type == ColumnType::kUBigInt
                             ? std::to_chars(digits, digits + sizeof(digits),
                                             static_cast<uint64_t>(v)).ptr
                             : std::to_chars(digits, digits + sizeof(digits), v).ptr;
        out->append(digits, static_cast<size_t>(end - digits));
        return;
      }
    }
  }
  void I128(__int128 v) {
    if (c.type == ColumnType::kUuid) {
      out->push_back('"');
      AppendUuidText(static_cast<unsigned __int128>(v), out);
      out->push_back('"');
    } else {
      AppendDecimal(v, c.type == ColumnType::kDecimal ? c.scale : 0, out);
    }
  }
  void F64(double v) { AppendCanonicalDouble(v, c.type == ColumnType::kReal, out); }
  void DecimalText(std::string_view s) { out->append(s); }  // a JSON number as it is
  void Text(std::string_view s) {
    if (c.type == ColumnType::kBlob) {
      out->push_back('"');
      Base64Encode(s, *out);
      out->push_back('"');
    } else {
      AppendJsonString(s, out);
    }
  }
};

// json_path.cc
bool ParseIndex(std::string_view digits, int64_t* index);
// "$.a.b", "$.a[0]", "$['k.x']", "$[\"k\"]" or "/a/b" (JSON Pointer). Empty `why` on success.
std::vector<PathStep> ParsePath(std::string_view path, std::string* why);
bool StepMatchesKey(const PathStep& s, std::string_view key);
bool StepMatchesIndex(const PathStep& s, int64_t index);
// Two different steps that one JSON member could match.
bool StepsCollide(const PathStep& a, const PathStep& b);
bool SameStep(const PathStep& a, const PathStep& b);

// column_model.cc
void SetRange(Column* c);

}  // namespace jd

using namespace jd;  // NOLINT: a private header of src/decode

class JsonRecordDecoder::Impl {
 public:
  Status Init(const TableSchema& schema, const DecoderOptions& options);
  Status Decode(std::string_view payload, const RecordMetadata& meta, RowBatch& batch);

 private:
  // A parser for the value of a key that feeds a column and deeper --map paths at once
  // (On-Demand reads forward only, so the value's text is parsed a second time).
  struct TeeParser {
    od::parser parser;
    od::document doc;
    std::unique_ptr<char[]> buffer;
    size_t capacity = 0;
  };
  // The canonical text of a STRUCT's fields while its object is read (fields come in any order).
  struct StructScratch {
    std::string text;
    std::vector<std::pair<uint32_t, uint32_t>> spans;  // offset/length in text; length kMissing
  };
  static constexpr uint32_t kMissing = ~uint32_t{0};
  // One step into a LIST/STRUCT value, for messages.
  struct ElementStep {
    const std::string* field = nullptr;  // STRUCT field, or
    int64_t index = -1;                  // LIST element
  };

  Status BuildColumn(const ColumnSpec& spec, int depth, Column* c);
  Status BuildPaths(const DecoderOptions& options);
  Status DecodeRow(size_t size, const RecordMetadata& meta, size_t row, RowBatch& batch);
  Status DecodeByName(od::object& object, size_t row, RowBatch& batch);
  Status DecodeByNameWithPaths(od::object& object, size_t row, RowBatch& batch);
  Status DecodeByPosition(od::object& object, size_t row, RowBatch& batch);
  Status DecodeValue(od::value& value, uint32_t col, size_t row, RowBatch& batch);
  Status DecodeNested(od::value& value, od::json_type type, const Column& c, uint32_t col,
                      size_t row, RowBatch& batch);
  // Converts a non-null value of JSON type `type` by the rules of scalar column `c`.
  // Inlined into its two callers: DecodeValue -> ConvertValue -> StoreNumber as two calls was
  // +2% instructions on the sensor benchmark.
  template <typename Target>
  [[gnu::always_inline]] inline Status ConvertValue(od::value& value, od::json_type type,
                                                    const Column& c, int depth, Target& out);
  // Appends the canonical text of a LIST/STRUCT value (not null) to `out`. `struct_depth`
  // selects the StructScratch (STRUCTs enclosing this value).
  Status AppendNested(od::value& value, od::json_type type, const Column& c, int depth,
                      size_t struct_depth, std::string* out);
  Status AppendElement(od::value& value, const Column& c, int depth, size_t struct_depth,
                       std::string* out);
  // Stores numeric text (a JSON number token in the payload buffer, kJson, or the content of a
  // string or metadata field, kLenient) into an integer, HUGEINT or DECIMAL column.
  template <typename Target>
  Status StoreNumber(const Column& c, std::string_view text, DecimalSyntax syntax, Target& out);
  // StoreNumber for an IsTextDecimal column: canonical text (ParseDecimalText).
  template <typename Target>
  Status StoreTextDecimal(const Column& c, std::string_view text, DecimalSyntax syntax,
                          Target& out);
  template <typename Target>
  Status StoreFloat(const Column& c, od::value& value, od::json_type type, Target& out);
  template <typename Target>
  Status StoreString(const Column& c, std::string_view text, Target& out);
  // Epoch text (a JSON number token, kJson, or a string's content, kLenient) into a TIMESTAMP.
  // Sets *is_number = false (and returns OK) when lenient text is not a number at all.
  template <typename Target>
  Status StoreEpoch(const Column& c, std::string_view text, DecimalSyntax syntax, Target& out,
                    bool* is_number);
  Status TypeMismatch(od::value& value, od::json_type type, const Column& c, int depth);
  // --map paths: `value` is what path node `node` addresses.
  Status DescendPath(od::value& value, uint32_t node, int depth, size_t row, RowBatch& batch);
  Status DescendChildren(od::value& value, const PathNode& node, int depth, size_t row,
                         RowBatch& batch);
  // `value` goes to column `col` and then to path node `node` (whole_node: its own column too,
  // else only its children), parsing the value's text a second time.
  Status Tee(od::value& value, int col, uint32_t node, bool whole_node, int depth, size_t row,
             RowBatch& batch);
  int FindPathChild(const PathNode& node, std::string_view key) const;
  // Validates a value and, with `out`, appends its compact JSON text (strings re-escaped
  // minimally, numbers as in the source).
  Status WalkJson(od::value& value, int depth, std::string* out);
  // A JSON number token (trailing whitespace removed), syntax-checked.
  Status NumberToken(od::value& value, std::string_view* token);
  int Lookup(std::string_view key) const;
  Status NotUtf8(size_t size) const;
  // The payload (of `size` bytes in buffer_) does not start with a JSON value.
  Status NotJson(size_t size);
  bool StartsWithBom(size_t size) const;
  static Status Bom();
  // The top-level object is not closed where the payload ends: truncated, or followed by more.
  Status Incomplete(size_t size, simdjson::error_code error);
  // The top level is a `type` value, not an object (or not valid JSON at all).
  Status NotAnObject(od::json_type type, size_t size);

  // Only called on errors. Inside a LIST/STRUCT value the message names the top-level column
  // and the element.
  Status ColumnError(const Column& c, const std::string& what) const {
    if (nested_root_ != nullptr) return ElementError(what);
    return BadRecord("column '" + c.name + "' (" + c.type_name + "): " + what);
  }
  Status ElementError(const std::string& what) const;
  Status Malformed(simdjson::error_code error);
  Status MalformedAt(const char* what, const char* where) const {
    // `where` is in the payload copy, or in a Tee copy of a part of it (then no offset).
    if (where < buffer_.get() || where >= buffer_.get() + buffer_capacity_) {
      return BadRecord(std::string("malformed JSON: ") + what);
    }
    return BadRecord(std::string("malformed JSON: ") + what + " at byte " +
                     std::to_string(where - buffer_.get()));
  }

  std::vector<Column> columns_;
  std::vector<uint32_t> data_columns_;      // table order
  MetadataColumns metadata_;  // the metadata columns, filled by their own rule
  std::vector<uint32_t> not_null_columns_;  // data columns only (metadata_ checks its own)
  std::vector<KeyEntry> keys_;  // data columns taken by name
  bool case_collisions_ = false;
  ColumnMapping mapping_ = ColumnMapping::kByName;
  bool strict_keys_ = false;
  uint8_t epoch_scale_ = 6;  // microseconds = epoch value * 10^epoch_scale_
  std::vector<PathNode> paths_;  // empty without --map; else paths_[0] is the record
  std::string table_;

  od::parser parser_;
  od::document doc_;
  bool doc_valid_ = false;  // doc_ belongs to the current payload (for error locations)
  std::unique_ptr<char[]> buffer_;  // payload copy followed by SIMDJSON_PADDING zero bytes
  size_t buffer_capacity_ = 0;
  std::string scratch_;  // compact JSON text being built
  std::string decimal_text_;  // canonical text of a decimal wider than 38 digits
  std::string blob_;     // decoded BLOB bytes
  std::string blob_translated_;
  std::string nested_text_;  // canonical text of the LIST/STRUCT column being decoded
  std::vector<StructScratch> struct_scratch_;  // one per STRUCT nesting level of the schema
  std::vector<std::unique_ptr<TeeParser>> tees_;  // one per level of overlapping paths
  size_t tee_depth_ = 0;
  const Column* nested_root_ = nullptr;  // the LIST/STRUCT column being decoded, for messages
  std::vector<ElementStep> element_path_;
};

}  // namespace ki
