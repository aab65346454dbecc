#include "decode/json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "decode/decimal.h"

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
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

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
    case ColumnType::kUnsupported: return "unsupported type";
  }
  return "unknown type";
}

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

inline std::string_view TrimTrailingSpace(std::string_view token) {
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

// ---- Dates and times -------------------------------------------------------------------------

bool ParseFixedDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  *out = v;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + doe - 719468;
}

// "YYYY-MM-DD" at the start of s.
bool ParseDatePrefix(std::string_view s, int64_t* days) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !ParseFixedDigits(s, 0, 4, &y) ||
      !ParseFixedDigits(s, 5, 2, &m) || !ParseFixedDigits(s, 8, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

bool ParseDate(std::string_view s, int64_t* days) {
  return s.size() == 10 && ParseDatePrefix(s, days);
}

// "HH:MM[:SS[.fffffffff]]" starting at *pos; advances *pos. Fractions beyond microseconds are
// rounded half up.
bool ParseTimeOfDay(std::string_view s, size_t* pos, int64_t* micros) {
  size_t p = *pos;
  int h, mi, sec = 0;
  if (!ParseFixedDigits(s, p, 2, &h) || p + 2 >= s.size() || s[p + 2] != ':' ||
      !ParseFixedDigits(s, p + 3, 2, &mi)) {
    return false;
  }
  p += 5;
  int64_t fraction = 0;
  if (p < s.size() && s[p] == ':') {
    if (!ParseFixedDigits(s, p + 1, 2, &sec)) return false;
    p += 3;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      const size_t begin = p;
      int digits = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (digits < 6) {
          fraction = fraction * 10 + (s[p] - '0');
        } else if (digits == 6 && s[p] >= '5') {
          fraction += 1;  // fraction has 6 digits now; a carry into seconds is fine below
        }
        ++digits;
        ++p;
      }
      if (p == begin || digits > 9) return false;
      for (int i = std::min(digits, 6); i < 6; ++i) fraction *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  *micros = (static_cast<int64_t>(h) * 3600 + mi * 60 + sec) * kMicrosPerSecond + fraction;
  *pos = p;
  return true;
}

bool ParseTimestamp(std::string_view s, int64_t* micros) {
  int64_t days;
  if (!ParseDatePrefix(s, &days)) return false;
  int64_t time_of_day = 0;
  int64_t offset_seconds = 0;
  size_t p = 10;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return false;
    ++p;
    if (!ParseTimeOfDay(s, &p, &time_of_day)) return false;
    if (p < s.size()) {
      if (s[p] == 'Z' || s[p] == 'z') {
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        const int sign = s[p] == '-' ? -1 : 1;
        int oh, om = 0;
        if (!ParseFixedDigits(s, p + 1, 2, &oh)) return false;
        p += 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size()) {
          if (!ParseFixedDigits(s, p, 2, &om)) return false;
          p += 2;
        }
        if (oh > 23 || om > 59) return false;
        offset_seconds = sign * (oh * 3600 + om * 60);
      }
    }
    if (p != s.size()) return false;
  }
  *micros = days * kMicrosPerDay + time_of_day - offset_seconds * kMicrosPerSecond;
  return true;
}

bool ParseTime(std::string_view s, int64_t* micros) {
  size_t p = 0;
  return ParseTimeOfDay(s, &p, micros) && p == s.size();
}

bool ParseUuid(std::string_view s, unsigned __int128* out) {
  const bool hyphenated = s.size() == 36;
  if (!hyphenated && s.size() != 32) return false;
  unsigned __int128 v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-') return false;
      continue;
    }
    const char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

// ---- Columns ---------------------------------------------------------------------------------

struct Column {
  std::string name;
  std::string type_name;  // for messages, as the database spells it
  ColumnType type = ColumnType::kUnsupported;
  uint8_t width = 0;
  uint8_t scale = 0;
  int64_t max_length = -1;
  bool not_null = false;
  MetadataColumn metadata = MetadataColumn::kNone;
  // Integer and DECIMAL columns: the largest magnitude allowed for each sign.
  unsigned __int128 max_positive = 0;
  unsigned __int128 max_negative = 0;
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
      const unsigned __int128 m = PowerOfTen(c->width) - 1;
      set(m, m);
      break;
    }
    default: break;
  }
}

bool MetadataTypeAllowed(MetadataColumn m, ColumnType t) {
  switch (m) {
    case MetadataColumn::kShardId:
    case MetadataColumn::kPartitionKey:
      return t == ColumnType::kVarchar;
    case MetadataColumn::kSequenceNumber:
      return t == ColumnType::kVarchar || t == ColumnType::kDecimal || IsIntegerType(t);
    case MetadataColumn::kArrivalTime:
      return t == ColumnType::kTimestamp || t == ColumnType::kTimestampTz;
    case MetadataColumn::kSubsequenceNumber:
      return t == ColumnType::kDecimal || IsIntegerType(t);
    case MetadataColumn::kNone:
      return true;
  }
  return false;
}

}  // namespace

class JsonRecordDecoder::Impl {
 public:
  Status Init(const TableSchema& schema, const DecoderOptions& options);
  Status Decode(std::string_view payload, const RecordMetadata& meta, RowBatch& batch);

 private:
  Status DecodeRow(size_t size, const RecordMetadata& meta, size_t row, RowBatch& batch);
  Status DecodeByName(od::object& object, size_t row, RowBatch& batch);
  Status DecodeByPosition(od::object& object, size_t row, RowBatch& batch);
  Status FillMetadata(const RecordMetadata& meta, size_t row, RowBatch& batch);
  Status DecodeValue(od::value& value, uint32_t col, size_t row, RowBatch& batch);
  // Stores numeric text (a JSON number token in the payload buffer, kJson, or the content of a
  // string or metadata field, kLenient) into an integer, HUGEINT or DECIMAL column.
  Status StoreNumber(const Column& c, uint32_t col, std::string_view text, DecimalSyntax syntax,
                     size_t row, RowBatch& batch);
  Status StoreFloat(const Column& c, uint32_t col, od::value& value, od::json_type type, size_t row,
                    RowBatch& batch);
  Status StoreString(const Column& c, uint32_t col, std::string_view text, size_t row,
                     RowBatch& batch);
  // Validates a value and, with `out`, appends its compact JSON text (strings re-escaped
  // minimally, numbers as in the source).
  Status WalkJson(od::value& value, int depth, std::string* out);
  // A JSON number token (trailing whitespace removed), syntax-checked.
  Status NumberToken(od::value& value, std::string_view* token);
  int Lookup(std::string_view key) const;

  Status ColumnError(const Column& c, const std::string& what) const {
    return BadRecord("column '" + c.name + "' (" + c.type_name + "): " + what);
  }
  Status Malformed(simdjson::error_code error);
  Status MalformedAt(const char* what, const char* where) const {
    return BadRecord(std::string("malformed JSON: ") + what + " at byte " +
                     std::to_string(where - buffer_.get()));
  }

  std::vector<Column> columns_;
  std::vector<uint32_t> data_columns_;      // table order
  std::vector<uint32_t> metadata_columns_;  // table order
  std::vector<uint32_t> not_null_columns_;
  std::vector<KeyEntry> keys_;  // data columns only
  bool case_collisions_ = false;
  ColumnMapping mapping_ = ColumnMapping::kByName;
  std::string table_;

  od::parser parser_;
  od::document doc_;
  bool doc_valid_ = false;  // doc_ belongs to the current payload (for error locations)
  std::unique_ptr<char[]> buffer_;  // payload copy followed by SIMDJSON_PADDING zero bytes
  size_t buffer_capacity_ = 0;
  std::string scratch_;  // compact JSON text being built
};

Status JsonRecordDecoder::Impl::Init(const TableSchema& schema, const DecoderOptions& options) {
  mapping_ = options.mapping;
  table_ = schema.QualifiedName();
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSpec& spec = schema.columns[i];
    Column c;
    c.name = spec.name;
    c.type = spec.type;
    c.width = spec.decimal_width;
    c.scale = spec.decimal_scale;
    c.max_length = spec.max_length;
    c.not_null = spec.not_null;
    c.metadata = spec.metadata;
    if (!spec.type_name.empty()) {
      c.type_name = spec.type_name;
    } else if (spec.type == ColumnType::kDecimal) {
      c.type_name = "DECIMAL(" + std::to_string(c.width) + "," + std::to_string(c.scale) + ")";
    } else {
      c.type_name = TypeName(spec.type);
    }
    if (c.type == ColumnType::kDecimal &&
        (c.width < 1 || c.width > kMaxDecimalWidth || c.scale > c.width)) {
      return InvalidArgument("table '" + table_ + "' column '" + c.name + "': invalid DECIMAL(" +
                             std::to_string(c.width) + "," + std::to_string(c.scale) + ")");
    }
    if (!MetadataTypeAllowed(c.metadata, c.type)) {
      return InvalidArgument("table '" + table_ + "' metadata column '" + c.name +
                             "' cannot hold its metadata in type " + c.type_name);
    }
    SetRange(&c);
    const auto index = static_cast<uint32_t>(i);
    if (c.metadata == MetadataColumn::kNone) {
      data_columns_.push_back(index);
      KeyEntry key{c.name, LowerAscii(c.name), index};
      for (const KeyEntry& other : keys_) case_collisions_ |= other.lowered == key.lowered;
      keys_.push_back(std::move(key));
    } else {
      metadata_columns_.push_back(index);
    }
    if (c.not_null) not_null_columns_.push_back(index);
    columns_.push_back(std::move(c));
  }
  if (data_columns_.empty()) {
    return InvalidArgument("table '" + table_ + "' has no data columns (only Kinesis metadata)");
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
  if (!status.ok()) batch.PopRow();
  return status;
}

Status JsonRecordDecoder::Impl::DecodeRow(size_t size, const RecordMetadata& meta, size_t row,
                                          RowBatch& batch) {
  doc_valid_ = false;
  if (auto error = parser_.iterate(buffer_.get(), size, buffer_capacity_).get(doc_)) {
    return Malformed(error);
  }
  doc_valid_ = true;
  od::json_type type;
  if (auto error = doc_.type().get(type)) return Malformed(error);
  if (type != od::json_type::object) {
    return BadRecord(std::string("record is not a JSON object but ") + JsonTypeName(type));
  }
  od::object object;
  if (auto error = doc_.get_object().get(object)) return Malformed(error);
  KI_RETURN_IF_ERROR(mapping_ == ColumnMapping::kByName ? DecodeByName(object, row, batch)
                                                        : DecodeByPosition(object, row, batch));
  // simdjson 3.0.1's document has no at_end(); current_location() is OUT_OF_BOUNDS exactly when
  // every token has been consumed.
  const char* trailing = nullptr;
  if (doc_.current_location().get(trailing) == simdjson::SUCCESS) {
    return MalformedAt("content after the top-level object", trailing);
  }
  KI_RETURN_IF_ERROR(FillMetadata(meta, row, batch));
  for (uint32_t col : not_null_columns_) {
    if (batch.IsNull(row, col)) {
      const Column& c = columns_[col];
      return ColumnError(c, c.metadata == MetadataColumn::kNone
                                ? "NULL or missing value for a NOT NULL column"
                                : "NULL metadata for a NOT NULL column");
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
    if (col < 0) {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // ignored, but must be valid
    } else {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), static_cast<uint32_t>(col), row, batch));
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

Status JsonRecordDecoder::Impl::FillMetadata(const RecordMetadata& meta, size_t row,
                                             RowBatch& batch) {
  for (uint32_t col : metadata_columns_) {
    const Column& c = columns_[col];
    switch (c.metadata) {
      case MetadataColumn::kShardId:
        KI_RETURN_IF_ERROR(StoreString(c, col, meta.shard_id, row, batch));
        break;
      case MetadataColumn::kPartitionKey:
        KI_RETURN_IF_ERROR(StoreString(c, col, meta.partition_key, row, batch));
        break;
      case MetadataColumn::kSequenceNumber:
        if (c.type == ColumnType::kVarchar) {
          KI_RETURN_IF_ERROR(StoreString(c, col, meta.sequence_number, row, batch));
        } else if (!meta.sequence_number.empty()) {
          KI_RETURN_IF_ERROR(
              StoreNumber(c, col, meta.sequence_number, DecimalSyntax::kLenient, row, batch));
        }
        break;
      case MetadataColumn::kArrivalTime:
        batch.Set(row, col).i64 = meta.arrival_time_us;
        break;
      case MetadataColumn::kSubsequenceNumber:
        if (meta.subsequence_number >= 0) {
          char digits[24];
          const auto end =
              std::to_chars(digits, digits + sizeof(digits), meta.subsequence_number).ptr;
          KI_RETURN_IF_ERROR(StoreNumber(c, col, std::string_view(digits, end - digits),
                                         DecimalSyntax::kJson, row, batch));
        }
        break;
      case MetadataColumn::kNone:
        break;
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::NumberToken(od::value& value, std::string_view* token) {
  *token = TrimTrailingSpace(value.raw_json_token());
  ScaledDecimal ignored;
  if (ParseScaledDecimal(*token, 0, kMaxU128, DecimalSyntax::kJson, &ignored) ==
      DecimalParseError::kSyntax) {
    return MalformedAt(("invalid number '" + Shown(*token) + "'").c_str(), token->data());
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::StoreNumber(const Column& c, uint32_t col, std::string_view text,
                                            DecimalSyntax syntax, size_t row, RowBatch& batch) {
  const bool decimal = c.type == ColumnType::kDecimal;
  ScaledDecimal d;
  const DecimalParseError error = ParseScaledDecimal(
      text, decimal ? c.scale : 0, std::max(c.max_positive, c.max_negative), syntax, &d);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson && text.data() >= buffer_.get() &&
        text.data() < buffer_.get() + buffer_capacity_) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    return ColumnError(c, "'" + Shown(text) + "' is not a number");
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
    batch.Set(row, col).i128 = static_cast<__int128>(bits);
  } else {
    batch.Set(row, col).i64 = static_cast<int64_t>(static_cast<uint64_t>(bits));
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::StoreFloat(const Column& c, uint32_t col, od::value& value,
                                           od::json_type type, size_t row, RowBatch& batch) {
  double d;
  if (type == od::json_type::number) {
    std::string_view token;
    KI_RETURN_IF_ERROR(NumberToken(value, &token));
    // The token is valid JSON, so simdjson fails only when the value is beyond double's range.
    if (value.get_double().get(d) != simdjson::SUCCESS) {
      return ColumnError(c, "value " + Shown(token) + " is out of range");
    }
  } else {
    std::string_view text;
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
      return ColumnError(c, "value " + std::to_string(d) + " is out of range");
    }
    d = f;
  }
  batch.Set(row, col).f64 = d;
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::StoreString(const Column& c, uint32_t col, std::string_view text,
                                            size_t row, RowBatch& batch) {
  if (c.max_length >= 0 && text.size() > static_cast<uint64_t>(c.max_length)) {
    const size_t length = CountCodePoints(text);
    if (length > static_cast<uint64_t>(c.max_length)) {
      return ColumnError(c, "value of " + std::to_string(length) + " characters is too long");
    }
  }
  batch.SetString(row, col, text);
  return Status::Ok();
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
  auto type_mismatch = [&]() {
    // Malformed JSON (`tru`, `[1 2]`) is reported as such, not as a type mismatch.
    KI_RETURN_IF_ERROR(WalkJson(value, 0, nullptr));
    return ColumnError(c, std::string("cannot store ") + JsonTypeName(type));
  };

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
        return type_mismatch();
      }
      batch.Set(row, col).i64 = b;
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
        return StoreNumber(c, col, TrimTrailingSpace(value.raw_json_token()), DecimalSyntax::kJson,
                           row, batch);
      }
      if (type == od::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) return Malformed(error);
        return StoreNumber(c, col, text, DecimalSyntax::kLenient, row, batch);
      }
      return type_mismatch();
    }

    case ColumnType::kReal:
    case ColumnType::kDouble:
      if (type != od::json_type::number && type != od::json_type::string) return type_mismatch();
      return StoreFloat(c, col, value, type, row, batch);

    case ColumnType::kVarchar:
      switch (type) {
        case od::json_type::string: {
          std::string_view text;
          if (auto error = value.get_string().get(text)) return Malformed(error);
          return StoreString(c, col, text, row, batch);
        }
        case od::json_type::number: {
          std::string_view token;
          KI_RETURN_IF_ERROR(NumberToken(value, &token));
          return StoreString(c, col, token, row, batch);
        }
        case od::json_type::boolean: {
          bool b;
          if (auto error = value.get_bool().get(b)) return Malformed(error);
          return StoreString(c, col, b ? "true" : "false", row, batch);
        }
        default:
          scratch_.clear();
          KI_RETURN_IF_ERROR(WalkJson(value, 0, &scratch_));
          return StoreString(c, col, scratch_, row, batch);
      }

    case ColumnType::kJson:
      scratch_.clear();
      KI_RETURN_IF_ERROR(WalkJson(value, 0, &scratch_));
      batch.SetString(row, col, scratch_);
      return Status::Ok();

    case ColumnType::kDate:
    case ColumnType::kTimestamp:
    case ColumnType::kTimestampTz:
    case ColumnType::kTime:
    case ColumnType::kUuid: {
      if (type != od::json_type::string) return type_mismatch();
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      int64_t v = 0;
      unsigned __int128 uuid = 0;
      bool ok = false;
      const char* expected = "";
      switch (c.type) {
        case ColumnType::kDate:
          ok = ParseDate(text, &v);
          expected = "a date YYYY-MM-DD";
          break;
        case ColumnType::kTime:
          ok = ParseTime(text, &v);
          expected = "a time HH:MM:SS[.ffffff]";
          break;
        case ColumnType::kUuid:
          ok = ParseUuid(text, &uuid);
          expected = "a UUID";
          break;
        default:
          ok = ParseTimestamp(text, &v);
          expected = "an ISO-8601 timestamp";
          break;
      }
      if (!ok) return ColumnError(c, "'" + Shown(text) + "' is not " + expected);
      if (c.type == ColumnType::kUuid) {
        batch.Set(row, col).i128 = static_cast<__int128>(uuid);
      } else {
        batch.Set(row, col).i64 = v;
      }
      return Status::Ok();
    }

    case ColumnType::kBlob:
    case ColumnType::kUnsupported:
      return ColumnError(c, std::string("type ") + c.type_name + " is not supported yet");
  }
  return ColumnError(c, "unknown column type");
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

}  // namespace ki
