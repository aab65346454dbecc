#include "decode/json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/canonical_text.h"
#include "common/civil_time.h"
#include "decode/column_model.h"
#include "decode/decimal.h"
#include "decode/metadata_columns.h"

// Why On-Demand and not DOM: DECIMAL columns must be converted exactly from the number's source
// text, which On-Demand exposes (value::raw_json_token) and DOM does not, and On-Demand only
// materialises what the row needs. Stage 1 (the SIMD structural index) is dispatched at run time
// to the CPU's best kernel even though Debian's header-only stage 2 is compiled generically
// (ondemand::parser::allocate asks get_active_implementation()).
// bench/decode_benchmark.cc, seed sensor table, one core of a shared (loaded) 2-vCPU AMD EPYC,
// best CPU-time rate of 8 runs: bare On-Demand parse 17.9M records/s, bare DOM parse 15.2M/s,
// this decoder by name ~6.8M/s, by position ~7.5M/s, records with 6 extra/nested keys ~3.0M/s.
// On-Demand does not validate what it skips, so ignored values are walked (WalkJson) to keep
// "malformed JSON is a bad record" true; that is most of the cost of the wide records.

namespace ki {
namespace {

namespace od = simdjson::ondemand;

// Deeper nesting inside a value going to a VARCHAR/JSON column (or skipped) is a bad record; it
// bounds the recursion of WalkJson.
constexpr int kMaxNestingDepth = 256;
constexpr size_t kMaxShownValue = 64;
constexpr unsigned __int128 kMaxU128 = ~static_cast<unsigned __int128>(0);


const char* JsonTypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

constexpr char kNulMessage[] =
    "value contains a NUL character (U+0000), which this column cannot store";
constexpr char kNulEscapeMessage[] =
    "value contains the escape \\u0000 (a NUL character), which this column cannot store";

std::string Shown(std::string_view text) {
  if (text.size() <= kMaxShownValue) return std::string(text);
  return std::string(text.substr(0, kMaxShownValue)) + "...";
}

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

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

// The key of a field. Keys without escapes (nearly all) are taken from the input as they are,
// which saves the unescaping copy; stage 1 has already checked that they are valid UTF-8 without
// control characters, and the padded buffer guarantees the closing quote.
inline simdjson::error_code FieldKey(od::field& field, std::string_view* key) {
  const char* const begin = field.key().raw();
  const char* end = begin;
  while (*end != '"' && *end != '\\') ++end;
  if (*end == '"') {
    *key = std::string_view(begin, static_cast<size_t>(end - begin));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(*key);
}

[[gnu::always_inline]] inline std::string_view TrimTrailingSpace(std::string_view token) {
  // raw_json_token() includes the whitespace up to the next token.
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

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

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// ---- Messages for bytes that are not UTF-8 ---------------------------------------------------

// The offset of the first byte that makes `s` invalid UTF-8 (or s.size() when it is valid).
// Only for the message of a record that stage 1 rejected; simdjson's validator says only "no".
size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned min_second = 0x80, max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) min_second = 0xA0;  // overlong
      if (c == 0xED) max_second = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) min_second = 0x90;  // overlong
      if (c == 0xF4) max_second = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + length > n) return i;
    if (p[i + 1] < min_second || p[i + 1] > max_second) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return n;
}

// The top-level key whose value contains byte `offset` of `json` (raw, escapes as written), for
// messages; empty when the byte is not inside a top-level value. A tolerant scan of possibly
// malformed input, cold path only.
std::string_view TopLevelKeyAt(std::string_view json, size_t offset) {
  int depth = 0;
  bool in_string = false;
  size_t string_start = 0;
  std::string_view last_string;
  std::string_view key;
  for (size_t i = 0; i < offset && i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        last_string = json.substr(string_start, i - string_start);
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; string_start = i + 1; break;
      case '{': case '[': ++depth; break;
      case '}': case ']': --depth; break;
      case ':': if (depth == 1) key = last_string; break;
      case ',': if (depth == 1) key = {}; break;
      default: break;
    }
  }
  return depth >= 1 ? key : std::string_view();
}

// ---- BLOB ------------------------------------------------------------------------------------

// Base64 of either alphabet, not mixed; padding optional but right when present. `translated`
// is scratch space for the URL-safe alphabet (common/base64 knows only the standard one).
bool DecodeBase64Value(std::string_view text, std::string* translated, std::string* bytes) {
  bytes->clear();
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2 || (padding > 0 && text.size() % 4 != 0)) return false;
  bool url_safe = false, standard = false;
  for (char c : text) {
    url_safe |= c == '-' || c == '_';
    standard |= c == '+' || c == '/';
  }
  if (url_safe && standard) return false;
  if (url_safe) {
    translated->assign(text);
    for (char& c : *translated) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    text = *translated;
  }
  return Base64Decode(text, *bytes);
}

// ---- Paths (--map) ---------------------------------------------------------------------------

struct PathStep {
  enum class Kind { kKey, kIndex, kKeyOrIndex };  // kKeyOrIndex: a numeric JSON Pointer token
  Kind kind = Kind::kKey;
  std::string key;
  int64_t index = -1;
};

bool ParseIndex(std::string_view digits, int64_t* index) {
  if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return false;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *index = v;
  return true;
}

// "$.a.b", "$.a[0]", "$['k.x']", "$[\"k\"]" or "/a/b" (JSON Pointer). Empty `why` on success.
std::vector<PathStep> ParsePath(std::string_view path, std::string* why) {
  std::vector<PathStep> steps;
  why->clear();
  if (!path.empty() && path[0] == '/') {
    size_t i = 0;
    while (i < path.size()) {
      ++i;  // the '/'
      PathStep step;
      while (i < path.size() && path[i] != '/') {
        if (path[i] == '~') {
          if (i + 1 < path.size() && (path[i + 1] == '0' || path[i + 1] == '1')) {
            step.key.push_back(path[i + 1] == '0' ? '~' : '/');
            i += 2;
            continue;
          }
          *why = "'~' must be followed by 0 or 1";
          return {};
        }
        step.key.push_back(path[i++]);
      }
      if (ParseIndex(step.key, &step.index)) step.kind = PathStep::Kind::kKeyOrIndex;
      steps.push_back(std::move(step));
    }
    return steps;
  }
  if (path.empty() || path[0] != '$') {
    *why = "expected a JSONPath starting with '$' or a JSON Pointer starting with '/'";
    return {};
  }
  size_t i = 1;
  while (i < path.size()) {
    PathStep step;
    if (path[i] == '.') {
      ++i;
      const size_t begin = i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      step.key = std::string(path.substr(begin, i - begin));
      if (step.key.empty()) {
        *why = "empty name after '.' (recursive descent '..' is not supported)";
        return {};
      }
      if (step.key == "*") {
        *why = "wildcards are not supported";
        return {};
      }
    } else if (path[i] == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        bool closed = false;
        while (i < path.size()) {
          char c = path[i++];
          if (c == quote) {
            closed = true;
            break;
          }
          if (c == '\\' && i < path.size()) c = path[i++];
          step.key.push_back(c);
        }
        if (!closed) {
          *why = "unterminated quoted name";
          return {};
        }
      } else {
        const size_t begin = i;
        while (i < path.size() && path[i] != ']') ++i;
        if (!ParseIndex(path.substr(begin, i - begin), &step.index)) {
          *why = "expected an array index (0, 1, ...) or a quoted name inside [ ]";
          return {};
        }
        step.kind = PathStep::Kind::kIndex;
      }
      if (i >= path.size() || path[i] != ']') {
        *why = "expected ']'";
        return {};
      }
      ++i;
    } else {
      *why = std::string("unexpected '") + path[i] + "' (expected '.' or '[')";
      return {};
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

// One node of the tree of all --map paths. Node 0 is the record itself.
struct PathNode {
  PathStep step;              // how the parent reaches this node
  int column = -1;            // the column that takes this node's value, if any
  std::vector<uint32_t> children;
  std::vector<uint32_t> columns_below;  // every column at or under this node
  std::string path;           // for messages: the first path that created the node
};

bool StepMatchesKey(const PathStep& s, std::string_view key) {
  return s.kind != PathStep::Kind::kIndex && s.key == key;
}
bool StepMatchesIndex(const PathStep& s, int64_t index) {
  return s.kind != PathStep::Kind::kKey && s.index == index;
}
// Two different steps that one JSON member could match.
bool StepsCollide(const PathStep& a, const PathStep& b) {
  const bool keys = a.kind != PathStep::Kind::kIndex && b.kind != PathStep::Kind::kIndex &&
                    a.key == b.key;
  const bool indexes = a.kind != PathStep::Kind::kKey && b.kind != PathStep::Kind::kKey &&
                       a.index == b.index;
  return keys || indexes;
}
bool SameStep(const PathStep& a, const PathStep& b) {
  return a.kind == b.kind && a.key == b.key && a.index == b.index;
}

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

}  // namespace

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

Status JsonRecordDecoder::Impl::BuildPaths(const DecoderOptions& options) {
  if (options.column_paths.empty()) return Status::Ok();
  paths_.emplace_back();  // the record
  for (const auto& [column_name, path] : options.column_paths) {
    const std::string what = "--map " + column_name + "=" + path + ": ";
    // The column: exact name first, else the only case-insensitive match.
    int col = -1;
    int folded = -1;
    int folded_count = 0;
    const std::string lowered = LowerAscii(column_name);
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == column_name) col = static_cast<int>(i);
      if (columns_[i].lowered == lowered) {
        folded = static_cast<int>(i);
        ++folded_count;
      }
    }
    if (col < 0 && folded_count == 1) col = folded;
    if (col < 0) {
      return InvalidArgument(what + "table '" + table_ + "' has no column '" + column_name + "'" +
                             (folded_count > 1 ? " (several differ only in case)" : ""));
    }
    const Column& c = columns_[static_cast<size_t>(col)];
    if (c.metadata != MetadataColumn::kNone) {
      return InvalidArgument(what + "column '" + c.name + "' is filled from the record's metadata");
    }
    std::string why;
    std::vector<PathStep> steps = ParsePath(path, &why);
    if (!why.empty()) return InvalidArgument(what + "malformed path: " + why);
    if (steps.empty()) return InvalidArgument(what + "the path selects the whole record");
    if (steps[0].kind == PathStep::Kind::kIndex) {
      return InvalidArgument(what + "the record is an object; the path must start with a key");
    }
    steps[0].kind = PathStep::Kind::kKey;  // "/0" at the top is the key "0"
    uint32_t node = 0;
    for (PathStep& step : steps) {
      int next = -1;
      for (uint32_t child : paths_[node].children) {
        if (SameStep(paths_[child].step, step)) {
          next = static_cast<int>(child);
        } else if (StepsCollide(paths_[child].step, step)) {
          return InvalidArgument(what + "addresses the same value as '" + paths_[child].path +
                                 "' with a different step; write both paths alike");
        }
      }
      if (next < 0) {
        next = static_cast<int>(paths_.size());
        PathNode created;
        created.step = std::move(step);
        created.path = path;
        paths_.push_back(std::move(created));
        paths_[node].children.push_back(static_cast<uint32_t>(next));
      }
      node = static_cast<uint32_t>(next);
      paths_[node].columns_below.push_back(static_cast<uint32_t>(col));
    }
    if (paths_[node].column >= 0) {
      return InvalidArgument(what + "column '" + columns_[paths_[node].column].name +
                             "' already takes the value at this path");
    }
    for (const PathNode& other : paths_) {
      if (other.column == col) {
        return InvalidArgument(what + "column '" + c.name + "' is mapped twice");
      }
    }
    paths_[node].column = col;
  }
  return Status::Ok();
}

int JsonRecordDecoder::Impl::Lookup(std::string_view key) const {
  // Linear scan with an inline compare: for the < 64 columns of a typical table this beats
  // hashing the key (and a call to memcmp per candidate).
  if (!case_collisions_) {
    for (const KeyEntry& e : keys_) {
      if (e.lowered.size() == key.size() && EqualsIgnoreCase(key, e.lowered)) {
        return static_cast<int>(e.column);
      }
    }
    return -1;
  }
  int candidate = -1;
  for (const KeyEntry& e : keys_) {
    if (e.exact.size() != key.size()) continue;
    if (key == e.exact) return static_cast<int>(e.column);  // an exact-case match wins
    if (candidate < 0 && EqualsIgnoreCase(key, e.lowered)) candidate = static_cast<int>(e.column);
  }
  return candidate;
}

int JsonRecordDecoder::Impl::FindPathChild(const PathNode& node, std::string_view key) const {
  for (uint32_t child : node.children) {
    if (StepMatchesKey(paths_[child].step, key)) return static_cast<int>(child);
  }
  return -1;
}

Status JsonRecordDecoder::Impl::Malformed(simdjson::error_code error) {
  std::string message = std::string("malformed JSON: ") + simdjson::error_message(error);
  if (doc_valid_) {
    const char* location = nullptr;
    if (doc_.current_location().get(location) == simdjson::SUCCESS) {
      message += " at byte " + std::to_string(location - buffer_.get());
    }
  }
  return BadRecord(std::move(message));
}

Status JsonRecordDecoder::Impl::NotUtf8(size_t size) const {
  const std::string_view payload(buffer_.get(), size);
  const size_t offset = FirstInvalidUtf8(payload);
  // Still "malformed JSON" (JSON text is UTF-8), said plainly and pointing at the culprit.
  if (offset >= size) return BadRecord("malformed JSON: record is not valid UTF-8");
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(payload[offset]));
  std::string message = "malformed JSON: record is not valid UTF-8 at byte " +
                        std::to_string(offset) + " (" + byte + ")";
  const std::string_view key = TopLevelKeyAt(payload, offset);
  if (!key.empty()) {
    const int col = mapping_ == ColumnMapping::kByName ? Lookup(key) : -1;
    if (col >= 0) {
      const Column& c = columns_[static_cast<size_t>(col)];
      message += ", in the value of column '" + c.name + "' (" + c.type_name + ")";
    } else {
      message += ", in the value of key '" + Shown(key) + "'";
    }
  }
  return BadRecord(std::move(message));
}

bool JsonRecordDecoder::Impl::StartsWithBom(size_t size) const {
  return size >= 3 && std::memcmp(buffer_.get(), "\xEF\xBB\xBF", 3) == 0;
}

Status JsonRecordDecoder::Impl::Bom() {
  return BadRecord("malformed JSON: the record starts with a UTF-8 byte order mark (EF BB BF at "
                   "byte 0), which JSON text must not have");
}

Status JsonRecordDecoder::Impl::Incomplete(size_t size, simdjson::error_code error) {
  // Where the top-level value ends, by a scan of brackets outside strings (cold path only).
  const std::string_view json(buffer_.get(), size);
  int depth = 0;
  bool in_string = false;
  size_t end = std::string_view::npos;
  for (size_t i = 0; i < json.size() && end == std::string_view::npos; ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth <= 0) {
      end = i + 1;
    }
  }
  if (end == std::string_view::npos) {
    return BadRecord("malformed JSON: truncated at byte " + std::to_string(size) +
                     (in_string ? " (the record ends inside a string)"
                                : " (the record ends inside an object or array)"));
  }
  while (end < size && (json[end] == ' ' || json[end] == '\t' || json[end] == '\n' ||
                        json[end] == '\r')) {
    ++end;
  }
  if (end < size) {
    return BadRecord("malformed JSON: trailing data after the JSON document at byte " +
                     std::to_string(end));
  }
  return BadRecord(std::string("malformed JSON: ") + simdjson::error_message(error));
}

Status JsonRecordDecoder::Impl::NotJson(size_t size) {
  if (StartsWithBom(size)) return Bom();
  const std::string_view payload(buffer_.get(), size);
  size_t offset = 0;
  while (offset < size && (payload[offset] == ' ' || payload[offset] == '\t' ||
                           payload[offset] == '\n' || payload[offset] == '\r')) {
    ++offset;
  }
  // An excerpt from there: at most 32 bytes, whole characters (stage 1 checked the UTF-8), up
  // to the end of the line.
  size_t end = offset;
  while (end < size && end - offset < 32 && static_cast<unsigned char>(payload[end]) >= 0x20) {
    ++end;
  }
  while (end > offset && end < size && (static_cast<unsigned char>(payload[end]) & 0xC0) == 0x80) {
    --end;
  }
  return BadRecord("malformed JSON: the record is not valid JSON at byte " +
                   std::to_string(offset) + " ('" + std::string(payload.substr(offset, end - offset)) +
                   (end < size && end - offset >= 32 ? "...')" : "')"));
}

Status JsonRecordDecoder::Impl::NotAnObject(od::json_type type, size_t size) {
  // On-Demand types a value by its first character only (`not json` and `nan` look like null,
  // `tru` like a boolean): only a value that parses is "not an object", anything else is not
  // JSON at all.
  bool valid = true;
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      valid = doc_.is_null().get(is_null) == simdjson::SUCCESS && is_null;
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      valid = doc_.get_bool().get(b) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::number: {
      std::string_view token;
      ScaledDecimal ignored;
      valid = doc_.raw_json_token().get(token) == simdjson::SUCCESS &&
              ParseScaledDecimal(TrimTrailingSpace(token), 0, kMaxU128, DecimalSyntax::kJson,
                                 &ignored) != DecimalParseError::kSyntax;
      break;
    }
    case od::json_type::string: {
      std::string_view text;
      valid = doc_.get_string().get(text) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::array:
    case od::json_type::object:
      break;
  }
  if (!valid) return NotJson(size);
  return BadRecord(std::string("record is not a JSON object but ") + JsonTypeName(type));
}

Status JsonRecordDecoder::Impl::ElementError(const std::string& what) const {
  std::string path;
  for (const ElementStep& step : element_path_) {
    if (step.field != nullptr) {
      if (!path.empty()) path.push_back('.');
      path += *step.field;
    } else if (step.index >= 0) {
      path += "[" + std::to_string(step.index) + "]";
    }
  }
  const Column& c = *nested_root_;
  return BadRecord("column '" + c.name + "' (" + c.type_name + ")" +
                   (path.empty() ? std::string() : " element " + path) + ": " + what);
}

Status JsonRecordDecoder::Impl::Decode(std::string_view payload, const RecordMetadata& meta,
                                       RowBatch& batch) {
  if (batch.num_columns() != columns_.size()) {
    return InvalidArgument("row batch has " + std::to_string(batch.num_columns()) +
                           " columns, table '" + table_ + "' has " +
                           std::to_string(columns_.size()));
  }
  const size_t needed = payload.size() + simdjson::SIMDJSON_PADDING;
  if (needed > buffer_capacity_) {
    const size_t capacity = std::max({needed, buffer_capacity_ * 2, size_t{4096}});
    buffer_.reset(new char[capacity]);
    buffer_capacity_ = capacity;
  }
  if (!payload.empty()) std::memcpy(buffer_.get(), payload.data(), payload.size());
  std::memset(buffer_.get() + payload.size(), 0, simdjson::SIMDJSON_PADDING);

  const size_t row = batch.AddRow();
  Status status = DecodeRow(payload.size(), meta, row, batch);
  doc_valid_ = false;
  if (!status.ok()) {
    batch.PopRow();
    return status;
  }
  return Status::Ok();  // not `status`: GCC did not elide that move (1.5% of the benchmark)
}

Status JsonRecordDecoder::Impl::DecodeRow(size_t size, const RecordMetadata& meta, size_t row,
                                          RowBatch& batch) {
  doc_valid_ = false;
  if (auto error = parser_.iterate(buffer_.get(), size, buffer_capacity_).get(doc_)) {
    // Stage 1 checks the whole payload's UTF-8 before anything is converted.
    if (error == simdjson::UTF8_ERROR) return NotUtf8(size);
    if (StartsWithBom(size)) return Bom();
    if (error == simdjson::UNCLOSED_STRING) return Incomplete(size, error);
    return Malformed(error);
  }
  doc_valid_ = true;
  od::json_type type;
  if (doc_.type().get(type) != simdjson::SUCCESS) return NotJson(size);
  if (type != od::json_type::object) return NotAnObject(type, size);
  od::object object;
  if (auto error = doc_.get_object().get(object)) {
    // On-Demand checks only that the last token closes the object: trailing data and a
    // truncated record both end up here.
    if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return Incomplete(size, error);
    return Malformed(error);
  }
  KI_RETURN_IF_ERROR(mapping_ == ColumnMapping::kByPosition ? DecodeByPosition(object, row, batch)
                     : paths_.empty() ? DecodeByName(object, row, batch)
                                      : DecodeByNameWithPaths(object, row, batch));
  // simdjson 3.0.1's document has no at_end(); current_location() is OUT_OF_BOUNDS exactly when
  // every token has been consumed.
  const char* trailing = nullptr;
  if (doc_.current_location().get(trailing) == simdjson::SUCCESS) {
    return MalformedAt("trailing data after the JSON document", trailing);
  }
  KI_RETURN_IF_ERROR(metadata_.Fill(meta, row, batch));
  for (uint32_t col : not_null_columns_) {
    if (batch.IsNull(row, col)) {
      return ColumnError(columns_[col], "NULL or missing value for a NOT NULL column");
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::DecodeByName(od::object& object, size_t row, RowBatch& batch) {
  for (auto field_result : object) {
    // value_unsafe() after the error check: no copy of the field (a measurable cost per key).
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    const int col = Lookup(key);
    if (col >= 0) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), static_cast<uint32_t>(col), row, batch));
    } else if (strict_keys_) {
      return BadRecord("unknown key '" + Shown(key) + "'");
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // ignored, but must be valid
    }
  }
  return Status::Ok();
}

// DecodeByName with --map paths: a separate loop so that the plain one stays as lean as it was
// (the path lookup per key cost ~1% of the sensor benchmark when it was folded in).
Status JsonRecordDecoder::Impl::DecodeByNameWithPaths(od::object& object, size_t row,
                                                      RowBatch& batch) {
  for (auto field_result : object) {
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    const int col = Lookup(key);
    const int node = FindPathChild(paths_[0], key);
    if (node >= 0) {
      if (col >= 0) {
        // The key feeds a column by name and --map paths below it.
        KI_RETURN_IF_ERROR(Tee(field.value(), col, static_cast<uint32_t>(node), true, 1, row,
                               batch));
      } else {
        KI_RETURN_IF_ERROR(DescendPath(field.value(), static_cast<uint32_t>(node), 1, row, batch));
      }
    } else if (col >= 0) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), static_cast<uint32_t>(col), row, batch));
    } else if (strict_keys_) {
      return BadRecord("unknown key '" + Shown(key) + "'");
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // ignored, but must be valid
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::DecodeByPosition(od::object& object, size_t row,
                                                 RowBatch& batch) {
  size_t count = 0;
  for (auto field_result : object) {
    // value_unsafe() after the error check: no copy of the field (a measurable cost per key).
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    // The key is not used, but an invalid escape in it is still malformed JSON.
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    if (count < data_columns_.size()) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), data_columns_[count], row, batch));
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // count on; report all values
    }
    ++count;
  }
  if (count > data_columns_.size()) {
    return BadRecord("record has " + std::to_string(count) + " values, table has " +
                     std::to_string(data_columns_.size()) + " data columns");
  }
  return Status::Ok();
}

// ---- --map paths ------------------------------------------------------------------------------

Status JsonRecordDecoder::Impl::DescendPath(od::value& value, uint32_t index, int depth,
                                            size_t row, RowBatch& batch) {
  const PathNode& node = paths_[index];
  // A repeated key replaces whatever an earlier occurrence set below it (last one wins).
  for (uint32_t col : node.columns_below) batch.SetNull(row, col);
  if (node.children.empty()) {
    return DecodeValue(value, static_cast<uint32_t>(node.column), row, batch);
  }
  if (node.column >= 0) return Tee(value, node.column, index, false, depth, row, batch);
  return DescendChildren(value, node, depth, row, batch);
}

Status JsonRecordDecoder::Impl::DescendChildren(od::value& value, const PathNode& node, int depth,
                                                size_t row, RowBatch& batch) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return Malformed(error);
    for (auto field_result : object) {
      if (auto error = field_result.error()) return Malformed(error);
      od::field& field = field_result.value_unsafe();
      std::string_view key;
      if (auto error = FieldKey(field, &key)) return Malformed(error);
      const int child = FindPathChild(node, key);
      if (child >= 0) {
        KI_RETURN_IF_ERROR(
            DescendPath(field.value(), static_cast<uint32_t>(child), depth + 1, row, batch));
      } else {
        KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, nullptr));
      }
    }
    return Status::Ok();
  }
  if (type == od::json_type::array) {
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    int64_t index = 0;
    for (auto element_result : array) {
      if (auto error = element_result.error()) return Malformed(error);
      od::value& element = element_result.value_unsafe();
      int child = -1;
      for (uint32_t c : node.children) {
        if (StepMatchesIndex(paths_[c].step, index)) child = static_cast<int>(c);
      }
      if (child >= 0) {
        KI_RETURN_IF_ERROR(
            DescendPath(element, static_cast<uint32_t>(child), depth + 1, row, batch));
      } else {
        KI_RETURN_IF_ERROR(WalkJson(element, depth + 1, nullptr));
      }
      ++index;
    }
    return Status::Ok();
  }
  // A scalar (or null) where the paths go deeper: they do not exist in this record.
  return WalkJson(value, depth, nullptr);
}

Status JsonRecordDecoder::Impl::Tee(od::value& value, int col, uint32_t node, bool whole_node,
                                    int depth, size_t row, RowBatch& batch) {
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  std::string_view raw;
  if (type == od::json_type::object) {
    od::object object;
    if (auto error = value.get_object().get(object)) return Malformed(error);
    if (auto error = object.raw_json().get(raw)) return Malformed(error);
  } else if (type == od::json_type::array) {
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    if (auto error = array.raw_json().get(raw)) return Malformed(error);
  } else {
    raw = value.raw_json_token();
  }
  // raw_json() skips without validating; both passes below walk (and so validate) the copy.
  // It is wrapped in [ ] because On-Demand does not hand out a scalar document as a value.
  if (tee_depth_ == tees_.size()) tees_.push_back(std::make_unique<TeeParser>());
  TeeParser& tee = *tees_[tee_depth_];
  const size_t size = raw.size() + 2;
  if (size + simdjson::SIMDJSON_PADDING > tee.capacity) {
    tee.capacity = std::max(size + simdjson::SIMDJSON_PADDING, tee.capacity * 2);
    tee.buffer.reset(new char[tee.capacity]);
  }
  tee.buffer[0] = '[';
  std::memcpy(tee.buffer.get() + 1, raw.data(), raw.size());
  tee.buffer[size - 1] = ']';
  std::memset(tee.buffer.get() + size, 0, simdjson::SIMDJSON_PADDING);
  if (auto error = tee.parser.iterate(tee.buffer.get(), size, tee.capacity).get(tee.doc)) {
    return Malformed(error);
  }
  ++tee_depth_;
  Status status;
  for (int pass = 0; pass < 2 && status.ok(); ++pass) {
    if (pass == 1) tee.doc.rewind();
    od::array wrapper;
    if (auto error = tee.doc.get_array().get(wrapper)) {
      status = Malformed(error);
      break;
    }
    for (auto element_result : wrapper) {
      if (auto error = element_result.error()) {
        status = Malformed(error);
        break;
      }
      od::value& element = element_result.value_unsafe();
      if (pass == 0) {
        status = DecodeValue(element, static_cast<uint32_t>(col), row, batch);
      } else if (whole_node) {
        status = DescendPath(element, node, depth, row, batch);
      } else {
        status = DescendChildren(element, paths_[node], depth, row, batch);
      }
      break;  // the one element
    }
  }
  --tee_depth_;
  return status;
}

// ---- Conversion --------------------------------------------------------------------------------

Status JsonRecordDecoder::Impl::NumberToken(od::value& value, std::string_view* token) {
  *token = TrimTrailingSpace(value.raw_json_token());
  ScaledDecimal ignored;
  if (ParseScaledDecimal(*token, 0, kMaxU128, DecimalSyntax::kJson, &ignored) ==
      DecimalParseError::kSyntax) {
    return MalformedAt(("invalid number '" + Shown(*token) + "'").c_str(), token->data());
  }
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreNumber(const Column& c, std::string_view text,
                                            DecimalSyntax syntax, Target& out) {
  const bool decimal = c.type == ColumnType::kDecimal;
  if (decimal && c.text_decimal) [[unlikely]] {
    return StoreTextDecimal(c, text, syntax, out);
  }
  ScaledDecimal d;
  const DecimalParseError error = ParseScaledDecimal(
      text, decimal ? c.scale : 0, std::max(c.max_positive, c.max_negative), syntax, &d);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson && text.data() >= buffer_.get() &&
        text.data() < buffer_.get() + buffer_capacity_) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    return ColumnError(c, "'" + Shown(text) + "' is not a number");  // or Tee'd JSON: still bad
  }
  if (error == DecimalParseError::kOverflow ||
      d.magnitude > (d.negative ? c.max_negative : c.max_positive)) {
    if (decimal) {
      return ColumnError(c, "value " + Shown(text) + " does not fit DECIMAL(" +
                                std::to_string(c.width) + "," + std::to_string(c.scale) + ")");
    }
    return ColumnError(c, "value " + Shown(text) + " is out of range");
  }
  if (!decimal && !d.exact) return ColumnError(c, "value " + Shown(text) + " is not an integer");
  // Two's complement through unsigned arithmetic: also right for the minimum values and for
  // UBIGINT's bit pattern in i64.
  const unsigned __int128 bits = d.negative ? ~d.magnitude + 1 : d.magnitude;
  if (c.type == ColumnType::kHugeInt || (decimal && c.width > 18)) {
    out.I128(static_cast<__int128>(bits));
  } else {
    out.I64(static_cast<int64_t>(static_cast<uint64_t>(bits)));
  }
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreTextDecimal(const Column& c, std::string_view text,
                                                 DecimalSyntax syntax, Target& out) {
  bool exact = true;
  const DecimalParseError error = ParseDecimalText(
      text, c.unconstrained ? -1 : c.scale,
      c.unconstrained ? kMaxNumericIntegerDigits : int64_t{c.width} - c.scale, syntax,
      &decimal_text_, &exact);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson && text.data() >= buffer_.get() &&
        text.data() < buffer_.get() + buffer_capacity_) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    return ColumnError(c, "'" + Shown(text) + "' is not a number");
  }
  if (error == DecimalParseError::kOverflow) {
    return ColumnError(c, "value " + Shown(text) + " does not fit " + c.type_name +
                              (c.unconstrained ? " (at most " +
                                                     std::to_string(kMaxNumericIntegerDigits) +
                                                     " digits before the point and " +
                                                     std::to_string(kMaxNumericScale) + " after it)"
                                               : std::string()));
  }
  out.DecimalText(decimal_text_);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreEpoch(const Column& c, std::string_view text,
                                           DecimalSyntax syntax, Target& out, bool* is_number) {
  ScaledDecimal d;
  // Into microseconds: exact from the text, finer digits rounded half away from zero.
  const DecimalParseError error = ParseScaledDecimal(text, epoch_scale_, kMaxU128, syntax, &d);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    *is_number = false;
    return Status::Ok();
  }
  const auto limit = static_cast<unsigned __int128>(d.negative ? -kMinTimestampMicros
                                                               : kMaxTimestampMicros);
  if (error == DecimalParseError::kOverflow || d.magnitude > limit) {
    const char* unit = epoch_scale_ == 6 ? "seconds" : epoch_scale_ == 3 ? "milliseconds"
                                                                          : "microseconds";
    return ColumnError(c, "epoch value " + Shown(text) + " (" + unit +
                              ") is out of range (years 0000..9999)");
  }
  const auto magnitude = static_cast<int64_t>(d.magnitude);
  out.I64(d.negative ? -magnitude : magnitude);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreFloat(const Column& c, od::value& value, od::json_type type,
                                           Target& out) {
  double d;
  std::string_view text;  // the number's source text, for messages
  if (type == od::json_type::number) {
    KI_RETURN_IF_ERROR(NumberToken(value, &text));
    // The token is valid JSON, so simdjson fails only when the value is beyond double's range.
    if (value.get_double().get(d) != simdjson::SUCCESS) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
  } else {
    if (auto error = value.get_string().get(text)) return Malformed(error);
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (digits.empty() || end != digits.data() + digits.size()) {
      return ColumnError(c, "'" + Shown(text) + "' is not a number");
    }
    if (ec == std::errc::result_out_of_range) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
  }
  if (c.type == ColumnType::kReal) {
    const auto f = static_cast<float>(d);
    if (std::isinf(f) && !std::isinf(d)) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
    d = f;
  }
  out.F64(d);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreString(const Column& c, std::string_view text, Target& out) {
  if (c.rejects_nul && std::memchr(text.data(), '\0', text.size()) != nullptr) {
    return ColumnError(c, kNulMessage);
  }
  if (c.max_length >= 0 && text.size() > static_cast<uint64_t>(c.max_length)) {
    const size_t length = CountCodePoints(text);
    if (length > static_cast<uint64_t>(c.max_length)) {
      return ColumnError(c, "value of " + std::to_string(length) + " characters is too long");
    }
  }
  out.Text(text);
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::TypeMismatch(od::value& value, od::json_type type,
                                             const Column& c, int depth) {
  // Malformed JSON (`tru`, `[1 2]`) is reported as such, not as a type mismatch.
  KI_RETURN_IF_ERROR(WalkJson(value, depth, nullptr));
  return ColumnError(c, std::string("cannot store ") + JsonTypeName(type));
}

template <typename Target>
Status JsonRecordDecoder::Impl::ConvertValue(od::value& value, od::json_type type,
                                             const Column& c, int depth, Target& out) {
  switch (c.type) {
    case ColumnType::kBoolean: {
      bool b;
      if (type == od::json_type::boolean) {
        if (auto error = value.get_bool().get(b)) return Malformed(error);
      } else if (type == od::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) return Malformed(error);
        if (text.size() == 4 && EqualsIgnoreCase(text, "true")) {
          b = true;
        } else if (text.size() == 5 && EqualsIgnoreCase(text, "false")) {
          b = false;
        } else {
          return ColumnError(c, "'" + Shown(text) + "' is not a boolean");
        }
      } else {
        return TypeMismatch(value, type, c, depth);
      }
      out.I64(b);
      return Status::Ok();
    }

    case ColumnType::kTinyInt:
    case ColumnType::kSmallInt:
    case ColumnType::kInteger:
    case ColumnType::kBigInt:
    case ColumnType::kHugeInt:
    case ColumnType::kUTinyInt:
    case ColumnType::kUSmallInt:
    case ColumnType::kUInteger:
    case ColumnType::kUBigInt:
    case ColumnType::kDecimal: {
      if (type == od::json_type::number) {
        // StoreNumber checks the JSON number syntax while it converts: one pass over the token.
        return StoreNumber(c, TrimTrailingSpace(value.raw_json_token()), DecimalSyntax::kJson,
                           out);
      }
      if (type == od::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) return Malformed(error);
        return StoreNumber(c, text, DecimalSyntax::kLenient, out);
      }
      return TypeMismatch(value, type, c, depth);
    }

    case ColumnType::kReal:
    case ColumnType::kDouble:
      if (type != od::json_type::number && type != od::json_type::string) {
        return TypeMismatch(value, type, c, depth);
      }
      return StoreFloat(c, value, type, out);

    case ColumnType::kVarchar:
      switch (type) {
        case od::json_type::string: {
          std::string_view text;
          if (auto error = value.get_string().get(text)) return Malformed(error);
          return StoreString(c, text, out);
        }
        case od::json_type::number: {
          std::string_view token;
          KI_RETURN_IF_ERROR(NumberToken(value, &token));
          return StoreString(c, token, out);
        }
        case od::json_type::boolean: {
          bool b;
          if (auto error = value.get_bool().get(b)) return Malformed(error);
          return StoreString(c, b ? "true" : "false", out);
        }
        default:
          scratch_.clear();
          KI_RETURN_IF_ERROR(WalkJson(value, depth, &scratch_));
          return StoreString(c, scratch_, out);
      }

    case ColumnType::kJson:
      scratch_.clear();
      KI_RETURN_IF_ERROR(WalkJson(value, depth, &scratch_));
      if (c.rejects_nul_escape && JsonTextHasNulEscape(scratch_)) {
        return ColumnError(c, kNulEscapeMessage);
      }
      out.Text(scratch_);
      return Status::Ok();

    case ColumnType::kTimestamp:
    case ColumnType::kTimestampTz: {
      bool is_number = true;
      if (type == od::json_type::number) {
        return StoreEpoch(c, TrimTrailingSpace(value.raw_json_token()), DecimalSyntax::kJson, out,
                          &is_number);
      }
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      int64_t micros;
      bool out_of_range = false;
      if (ParseTimestampText(text, &micros, &out_of_range)) {
        out.I64(micros);
        return Status::Ok();
      }
      if (out_of_range) {
        return ColumnError(c, "timestamp '" + Shown(text) +
                                  "' is out of range (years 0000..9999 UTC)");
      }
      KI_RETURN_IF_ERROR(StoreEpoch(c, text, DecimalSyntax::kLenient, out, &is_number));
      if (is_number) return Status::Ok();
      return ColumnError(c, "'" + Shown(text) +
                                "' is not an ISO-8601 timestamp or an epoch number");
    }

    case ColumnType::kDate:
    case ColumnType::kTime:
    case ColumnType::kUuid: {
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      int64_t v = 0;
      unsigned __int128 uuid = 0;
      bool ok = false;
      const char* expected = "";
      switch (c.type) {
        case ColumnType::kDate:
          ok = ParseDateText(text, &v);
          expected = "a date YYYY-MM-DD";
          break;
        case ColumnType::kTime:
          ok = ParseTimeText(text, &v);
          expected = "a time HH:MM:SS[.ffffff]";
          break;
        default:
          ok = ParseUuidText(text, &uuid);
          expected = "a UUID";
          break;
      }
      if (!ok) return ColumnError(c, "'" + Shown(text) + "' is not " + expected);
      if (c.type == ColumnType::kUuid) {
        out.I128(static_cast<__int128>(uuid));
      } else {
        out.I64(v);
      }
      return Status::Ok();
    }

    case ColumnType::kBlob: {
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      if (!DecodeBase64Value(text, &blob_translated_, &blob_)) {
        return ColumnError(c, "'" + Shown(text) + "' is not base64");
      }
      out.Text(blob_);
      return Status::Ok();
    }

    case ColumnType::kList:
    case ColumnType::kStruct:  // AppendNested/DecodeNested, never here
    case ColumnType::kUnsupported:
      return ColumnError(c, std::string("type ") + c.type_name + " is not supported yet");
  }
  return ColumnError(c, "unknown column type");
}

Status JsonRecordDecoder::Impl::DecodeValue(od::value& value, uint32_t col, size_t row,
                                            RowBatch& batch) {
  const Column& c = columns_[col];
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null)) return Malformed(error);
    if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
    batch.SetNull(row, col);  // a duplicate key may have set it before
    return Status::Ok();
  }
  if (c.nested) return DecodeNested(value, type, c, col, row, batch);
  CellTarget target{batch, row, col};
  return ConvertValue(value, type, c, 0, target);
}

Status JsonRecordDecoder::Impl::DecodeNested(od::value& value, od::json_type type,
                                             const Column& c, uint32_t col, size_t row,
                                             RowBatch& batch) {
  nested_text_.clear();
  element_path_.clear();
  nested_root_ = &c;
  Status status = AppendNested(value, type, c, 0, 0, &nested_text_);
  nested_root_ = nullptr;
  if (!status.ok()) return status;
  batch.SetString(row, col, nested_text_);
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::AppendNested(od::value& value, od::json_type type,
                                             const Column& c, int depth, size_t struct_depth,
                                             std::string* out) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  if (c.type == ColumnType::kList) {
    if (type != od::json_type::array) return TypeMismatch(value, type, c, depth);
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    const Column& element_type = c.children[0];
    const size_t step = element_path_.size();
    element_path_.emplace_back();
    out->push_back('[');
    int64_t index = 0;
    for (auto element_result : array) {
      if (auto error = element_result.error()) return Malformed(error);
      element_path_[step].index = index;
      if (index != 0) out->push_back(',');
      KI_RETURN_IF_ERROR(
          AppendElement(element_result.value_unsafe(), element_type, depth + 1, struct_depth, out));
      ++index;
    }
    out->push_back(']');
    element_path_.pop_back();
    return Status::Ok();
  }

  // STRUCT: the fields come in any order (and maybe twice); their canonical text is collected
  // in this level's scratch and written in schema order at the end.
  if (type != od::json_type::object) return TypeMismatch(value, type, c, depth);
  od::object object;
  if (auto error = value.get_object().get(object)) return Malformed(error);
  StructScratch& scratch = struct_scratch_[struct_depth];
  scratch.text.clear();
  scratch.spans.assign(c.children.size(), {0, kMissing});
  const size_t step = element_path_.size();
  element_path_.emplace_back();
  for (auto field_result : object) {
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    int found = -1;
    for (size_t i = 0; i < c.children.size(); ++i) {
      const Column& f = c.children[i];
      if (f.name.size() != key.size()) continue;
      if (key == f.name) {  // an exact-case match wins
        found = static_cast<int>(i);
        break;
      }
      if (found < 0 && EqualsIgnoreCase(key, f.lowered)) found = static_cast<int>(i);
    }
    if (found < 0) {
      element_path_[step].field = nullptr;
      KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, nullptr));  // ignored, validated
      continue;
    }
    const Column& f = c.children[static_cast<size_t>(found)];
    element_path_[step].field = &f.name;
    const size_t begin = scratch.text.size();
    KI_RETURN_IF_ERROR(
        AppendElement(field.value(), f, depth + 1, struct_depth + 1, &scratch.text));
    const size_t length = scratch.text.size() - begin;
    scratch.spans[static_cast<size_t>(found)] = {static_cast<uint32_t>(begin),
                                                 static_cast<uint32_t>(length)};
  }
  element_path_.pop_back();
  out->push_back('{');
  for (size_t i = 0; i < c.children.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonString(c.children[i].name, out);
    out->push_back(':');
    const auto [offset, length] = scratch.spans[i];
    if (length == kMissing) {
      out->append("null");
    } else {
      out->append(scratch.text, offset, length);
    }
  }
  out->push_back('}');
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::AppendElement(od::value& value, const Column& c, int depth,
                                              size_t struct_depth, std::string* out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null)) return Malformed(error);
    if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
    out->append("null");
    return Status::Ok();
  }
  if (c.nested) return AppendNested(value, type, c, depth, struct_depth, out);
  CanonicalTarget target{c, out};
  return ConvertValue(value, type, c, depth, target);
}

Status JsonRecordDecoder::Impl::WalkJson(od::value& value, int depth, std::string* out) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return Malformed(error);
      if (out) out->push_back('{');
      bool first = true;
      for (auto field_result : object) {
        if (auto error = field_result.error()) return Malformed(error);
        od::field& field = field_result.value_unsafe();
        std::string_view key;
        if (auto error = FieldKey(field, &key)) return Malformed(error);
        if (out) {
          if (!first) out->push_back(',');
          AppendJsonString(key, out);
          out->push_back(':');
        }
        first = false;
        KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, out));
      }
      if (out) out->push_back('}');
      return Status::Ok();
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return Malformed(error);
      if (out) out->push_back('[');
      bool first = true;
      for (auto element_result : array) {
        if (auto error = element_result.error()) return Malformed(error);
        od::value& element = element_result.value_unsafe();
        if (out && !first) out->push_back(',');
        first = false;
        KI_RETURN_IF_ERROR(WalkJson(element, depth + 1, out));
      }
      if (out) out->push_back(']');
      return Status::Ok();
    }
    case od::json_type::number: {
      std::string_view token;
      KI_RETURN_IF_ERROR(NumberToken(value, &token));
      if (out) out->append(token);
      return Status::Ok();
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      if (out) AppendJsonString(text, out);
      return Status::Ok();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto error = value.get_bool().get(b)) return Malformed(error);
      if (out) out->append(b ? "true" : "false");
      return Status::Ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return Malformed(error);
      if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
      if (out) out->append("null");
      return Status::Ok();
    }
  }
  return Malformed(simdjson::INCORRECT_TYPE);
}

// ---- JsonRecordDecoder -----------------------------------------------------------------------

Result<JsonRecordDecoder> JsonRecordDecoder::Create(const TableSchema& schema,
                                                    const DecoderOptions& options) {
  auto impl = std::make_unique<Impl>();
  KI_RETURN_IF_ERROR(impl->Init(schema, options));
  return JsonRecordDecoder(std::move(impl));
}

JsonRecordDecoder::JsonRecordDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonRecordDecoder::JsonRecordDecoder(JsonRecordDecoder&&) noexcept = default;
JsonRecordDecoder& JsonRecordDecoder::operator=(JsonRecordDecoder&&) noexcept = default;
JsonRecordDecoder::~JsonRecordDecoder() = default;

Status JsonRecordDecoder::Decode(std::string_view payload, const RecordMetadata& meta,
                                 RowBatch& batch) {
  return impl_->Decode(payload, meta, batch);
}


// ---- Free functions ----------------------------------------------------------------------------

Result<std::pair<std::string, std::string>> ParseColumnPathArgument(std::string_view argument) {
  for (size_t i = 0; i + 1 < argument.size(); ++i) {
    if (argument[i] == '=' && (argument[i + 1] == '$' || argument[i + 1] == '/')) {
      if (i == 0) break;
      return std::make_pair(std::string(argument.substr(0, i)),
                            std::string(argument.substr(i + 1)));
    }
  }
  return InvalidArgument("--map '" + std::string(argument) +
                         "': expected column=path, the path starting with '$' (JSONPath) or '/' "
                         "(JSON Pointer), e.g. device_id=$.device.id");
}

}  // namespace ki
