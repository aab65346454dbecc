#include "sink/postgres/postgres_sink.h"

#include "sink/positions_schema.h"
#include "sink/sql_identifier.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "common/utf8.h"
#include "decode/decimal.h"
#include "decode/json_decoder.h"
#include "sink/postgres/connection_string.h"

namespace ki {

// Reads the canonical text of LIST cells (see json_decoder.h) with simdjson On-Demand, as the
// DuckDB sink does: On-Demand gives a number's source token, so DECIMAL elements keep every digit.
struct PgListParser {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::vector<char> padded;
};

namespace {

// COPY data is handed to libpq in pieces of about this size: large enough that the per-call cost
// vanishes, small enough to stay in cache.
constexpr size_t kCopyBufferBytes = 256 * 1024;

std::string QualifiedSql(const std::string& schema, const std::string& name) {
  return schema.empty() ? QuoteIdentifier(name) : QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<std::string> Value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return std::string(PQgetvalue(result, row, column),
                     static_cast<size_t>(PQgetlength(result, row, column)));
}

std::optional<int64_t> ParseInt64(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string OneLine(std::string s) {
  s = TrimTrailingNewlines(std::move(s));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

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

// --- Timestamps as text, for the parameters of the positions and rejects statements ---

inline void AppendSigned(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(end - buf));
}

// Writes `n` as exactly `width` digits (zero-padded).
inline void AppendPadded(std::string& out, int64_t n, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's algorithm).
inline CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint64_t doe = static_cast<uint64_t>(z - era * 146097);
  const uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint64_t mp = (5 * doy + 2) / 153;
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {y + (m <= 2 ? 1 : 0), m, d};
}

// "YYYY-MM-DD"; returns whether the year is BC (year <= 0 is 1 - year BC in PostgreSQL), for the
// caller to append " BC" after the rest of the value.
inline bool AppendDate(std::string& out, int64_t days) {
  const CivilDate date = CivilFromDays(days);
  const bool bc = date.year <= 0;
  const int64_t year = bc ? 1 - date.year : date.year;
  if (year >= 10000) AppendSigned(out, year);
  else AppendPadded(out, year, 4);
  out.push_back('-');
  AppendPadded(out, date.month, 2);
  out.push_back('-');
  AppendPadded(out, date.day, 2);
  return bc;
}

// "HH:MM:SS.ffffff" for microseconds since midnight (24:00:00 allowed, as in PostgreSQL).
inline void AppendTimeOfDay(std::string& out, int64_t micros) {
  const int64_t seconds = micros / 1000000;
  AppendPadded(out, seconds / 3600, 2);
  out.push_back(':');
  AppendPadded(out, (seconds / 60) % 60, 2);
  out.push_back(':');
  AppendPadded(out, seconds % 60, 2);
  out.push_back('.');
  AppendPadded(out, micros % 1000000, 6);
}

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;

// Microseconds since the epoch (UTC) -> "YYYY-MM-DD HH:MM:SS.ffffff[ BC]".
inline void AppendTimestamp(std::string& out, int64_t micros) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  const bool bc = AppendDate(out, days);
  out.push_back(' ');
  AppendTimeOfDay(out, rest);
  if (bc) out.append(" BC");
}

constexpr char kHexDigits[] = "0123456789abcdef";

// --- COPY binary format (hot path) ---
// Each field is a big-endian int32 length (-1: NULL) and the type's binary "send" form:
// integers and floats big-endian, date as int32 days and timestamps/time as int64 microseconds
// since 2000-01-01, uuid as 16 bytes, text/json/bytea as their bytes, jsonb as version 1 + text,
// numeric as base-10000 digits.

constexpr char kBinaryCopyHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";  // signature, flags, ext
constexpr size_t kBinaryCopyHeaderSize = 19;
constexpr int64_t kPostgresEpochDays = 10957;                // 2000-01-01 - 1970-01-01
constexpr int64_t kPostgresEpochMicros = 946684800000000LL;  // the same in microseconds

inline void PutUInt16(std::string& out, uint16_t v) {
  const char bytes[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 2);
}
inline void PutUInt32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}
inline void PutUInt64(std::string& out, uint64_t v) {
  PutUInt32(out, static_cast<uint32_t>(v >> 32));
  PutUInt32(out, static_cast<uint32_t>(v));
}
// A fixed-size field: its length, then the value.
inline void PutField16(std::string& out, uint16_t v) {
  PutUInt32(out, 2);
  PutUInt16(out, v);
}
inline void PutField32(std::string& out, uint32_t v) {
  PutUInt32(out, 4);
  PutUInt32(out, v);
}
inline void PutField64(std::string& out, uint64_t v) {
  PutUInt32(out, 8);
  PutUInt64(out, v);
}
inline void PutBoolField(std::string& out, bool v) {
  PutUInt32(out, 1);
  out.push_back(v ? 1 : 0);
}
inline void PutFloat4Field(std::string& out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  PutField32(out, bits);
}
inline void PutFloat8Field(std::string& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  PutField64(out, bits);
}
// Days since 1970-01-01.
inline void PutDateField(std::string& out, int64_t days) {
  PutField32(out, static_cast<uint32_t>(days - kPostgresEpochDays));
}
// Microseconds since 1970-01-01 (timestamp and timestamptz). Unsigned arithmetic: no overflow
// for any input; the server checks the range.
inline void PutTimestampField(std::string& out, int64_t micros) {
  PutField64(out, static_cast<uint64_t>(micros) - static_cast<uint64_t>(kPostgresEpochMicros));
}
inline void PutBytesField(std::string& out, std::string_view bytes) {
  PutUInt32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes.data(), bytes.size());
}

// numeric: ndigits, weight (of the first base-10000 digit), sign, dscale, then the digits.
// `digits` is the magnitude's decimal text without leading zeros ("0" for zero).
void PutNumericField(std::string& out, std::string_view digits, bool negative, uint8_t scale) {
  // Decimal digits aligned so that the point falls on a group boundary: pad the integer part on
  // the left and the fraction on the right to multiples of 4.
  char aligned[3 * kMaxDecimalWidth + 16];
  size_t n = 0;
  const size_t fraction_pad_left = digits.size() < scale ? scale - digits.size() : 0;
  const size_t integer_digits = digits.size() + fraction_pad_left - scale;
  for (size_t i = 0; i < (4 - integer_digits % 4) % 4; ++i) aligned[n++] = '0';
  const size_t integer_groups = (n + integer_digits) / 4;
  for (size_t i = 0; i < fraction_pad_left; ++i) aligned[n++] = '0';
  for (char c : digits) aligned[n++] = c;
  while (n % 4 != 0) aligned[n++] = '0';
  uint16_t groups[kMaxDecimalWidth + 4];
  size_t count = 0;
  for (size_t i = 0; i < n; i += 4) {
    groups[count++] = static_cast<uint16_t>((aligned[i] - '0') * 1000 + (aligned[i + 1] - '0') * 100 +
                                            (aligned[i + 2] - '0') * 10 + (aligned[i + 3] - '0'));
  }
  int weight = static_cast<int>(integer_groups) - 1;
  size_t first = 0;
  while (first < count && groups[first] == 0) {
    ++first;
    --weight;
  }
  while (count > first && groups[count - 1] == 0) --count;
  if (first == count) weight = 0;  // zero
  const size_t ndigits = count - first;
  PutUInt32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  PutUInt16(out, static_cast<uint16_t>(ndigits));
  PutUInt16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  PutUInt16(out, negative && ndigits != 0 ? 0x4000 : 0x0000);
  PutUInt16(out, scale);
  for (size_t i = first; i < count; ++i) PutUInt16(out, groups[i]);
}

inline void PutNumeric64Field(std::string& out, int64_t value, uint8_t scale) {
  const bool negative = value < 0;
  const uint64_t magnitude =
      negative ? ~static_cast<uint64_t>(value) + 1 : static_cast<uint64_t>(value);
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), magnitude);
  PutNumericField(out, std::string_view(digits, static_cast<size_t>(end - digits)), negative, scale);
}

inline void PutNumeric128Field(std::string& out, __int128 value, uint8_t scale) {
  const std::string text = FormatDecimal(value, 0);  // the magnitude's digits, after a '-'
  const bool negative = !text.empty() && text[0] == '-';
  PutNumericField(out, std::string_view(text).substr(negative ? 1 : 0), negative, scale);
}

// numeric from a magnitude and sign (the magnitude below 10^38).
inline void PutNumericMagnitudeField(std::string& out, unsigned __int128 magnitude, bool negative,
                                     uint8_t scale) {
  char buf[48];
  size_t n = sizeof(buf);
  do {
    buf[--n] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  PutNumericField(out, std::string_view(buf + n, sizeof(buf) - n), negative, scale);
}

// numeric from the canonical text of a decimal of any width ("[-]digits[.digits]", as the
// decoder's ParseDecimalText writes it): dscale is the number of fraction digits, and the
// base-10000 digits are read straight from the text, grouped around the point (no text round
// trip through the server, no intermediate number).
void PutNumericTextField(std::string& out, std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  const size_t point = text.find('.');
  std::string_view integer = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  while (!integer.empty() && integer.front() == '0') integer.remove_prefix(1);
  const size_t integer_groups = (integer.size() + 3) / 4;
  const size_t groups = integer_groups + (fraction.size() + 3) / 4;
  const size_t pad = integer_groups * 4 - integer.size();  // zeros before the first digit
  auto group = [&](size_t k) {
    unsigned v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const size_t at = k * 4 + j;  // in the digits aligned on the point
      char digit = '0';
      if (k < integer_groups) {
        if (at >= pad) digit = integer[at - pad];
      } else if (at - integer_groups * 4 < fraction.size()) {
        digit = fraction[at - integer_groups * 4];
      }
      v = v * 10 + static_cast<unsigned>(digit - '0');
    }
    return static_cast<uint16_t>(v);
  };
  size_t first = 0;
  while (first < groups && group(first) == 0) ++first;
  size_t last = groups;
  while (last > first && group(last - 1) == 0) --last;
  const size_t ndigits = last - first;
  const int weight = ndigits == 0 ? 0 : static_cast<int>(integer_groups) - 1 - static_cast<int>(first);
  PutUInt32(out, static_cast<uint32_t>(8 + 2 * ndigits));
  PutUInt16(out, static_cast<uint16_t>(ndigits));
  PutUInt16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
  PutUInt16(out, negative && ndigits != 0 ? 0x4000 : 0x0000);
  PutUInt16(out, static_cast<uint16_t>(fraction.size()));
  for (size_t k = first; k < last; ++k) PutUInt16(out, group(k));
}

inline void PutUuidField(std::string& out, __int128 value) {
  const auto bits = static_cast<unsigned __int128>(value);
  PutUInt32(out, 16);
  PutUInt64(out, static_cast<uint64_t>(bits >> 64));
  PutUInt64(out, static_cast<uint64_t>(bits));
}

std::string MicrosAsTimestampText(int64_t micros) {
  std::string s;
  AppendTimestamp(s, micros);
  return s;
}

int64_t NowMicros(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock.Now().time_since_epoch())
      .count();
}

// Text that can go into a text parameter: UTF-8 (invalid bytes become '?') without NUL bytes.
std::string SanitizeText(std::string_view s) {
  std::string out(s);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  if (IsValidUtf8(out)) return out;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

std::string ByteaHex(std::string_view bytes) {
  std::string out = "\\x";
  for (unsigned char b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

// Number of characters of UTF-8 text (the text is valid UTF-8).
size_t CountCharacters(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// PostgreSQL's rule for varchar(n)/char(n): too long is an error unless the excess characters
// are all spaces (they are then cut off).
bool FitsLength(std::string_view s, int64_t max_length, size_t* characters) {
  *characters = CountCharacters(s);
  if (static_cast<int64_t>(*characters) <= max_length) return true;
  int64_t seen = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == max_length) break;
      ++seen;
    }
  }
  for (; i < s.size(); ++i) {
    if (s[i] != ' ') return false;
  }
  return true;
}

constexpr char kLockKeySql[] = "('x' || substr(md5($1), 1, 16))::bit(64)::bigint";

}  // namespace

// --- Open / lifetime ---

Result<std::unique_ptr<PostgresSink>> PostgresSink::Open(const std::string& conninfo,
                                                        Clock& clock,
                                                        PostgresSinkOptions options) {
  const std::string redacted = RedactConnectionString(conninfo);
  const std::vector<std::string> secrets = ConnectionStringSecrets(conninfo);
  // expand_dbname: `conninfo` may be a URI or key=value settings. Settings are processed in
  // order, later ones winning, so the defaults before "dbname" apply only where the connection
  // string does not say otherwise: a connect timeout and TCP keepalives/user timeout, so that a
  // silently dead network fails the run instead of hanging it. fallback_application_name only
  // applies when application_name is not set.
  const char* keywords[] = {"connect_timeout",    "keepalives",       "keepalives_idle",
                            "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                            "dbname",             "fallback_application_name", nullptr};
  const char* values[] = {"15", "1", "30", "10", "3", "120000",
                          conninfo.c_str(), "kinesis-import", nullptr};
  PgConnection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!connection) {
    return IoError("cannot connect to PostgreSQL '" + redacted + "': out of memory");
  }
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return IoError(ScrubSecrets("cannot connect to PostgreSQL '" + redacted +
                                    "': " + OneLine(PQerrorMessage(connection.get())),
                                secrets));
  }
  // NOTICEs ("relation ... already exists, skipping") are not for the user of a CLI.
  PQsetNoticeProcessor(connection.get(), [](void*, const char*) {}, nullptr);
  if (PQsetClientEncoding(connection.get(), "UTF8") != 0) {
    return IoError(ScrubSecrets("PostgreSQL '" + redacted + "': cannot set client_encoding to "
                                    "UTF8: " + OneLine(PQerrorMessage(connection.get())),
                                secrets));
  }
  auto sink = std::unique_ptr<PostgresSink>(
      new PostgresSink(redacted, std::move(connection), clock, options));
  sink->secrets_ = secrets;
  return sink;
}

PostgresSink::PostgresSink(std::string conninfo_redacted, PgConnection connection, Clock& clock,
                           PostgresSinkOptions options)
    : conninfo_redacted_(std::move(conninfo_redacted)),
      clock_(&clock),
      options_(options),
      connection_(std::move(connection)) {}

PostgresSink::~PostgresSink() { Rollback(); }

std::string PostgresSink::Describe() const { return "PostgreSQL '" + conninfo_redacted_ + "'"; }

int PostgresSink::BackendPid() const { return PQbackendPID(connection_.get()); }

std::string PostgresSink::TableForMessages() const {
  return "table '" + schema_.QualifiedName() + "' in " + Describe();
}

std::string PostgresSink::Scrub(std::string message) const {
  return ScrubSecrets(std::move(message), secrets_);
}

Result<PgResult> PostgresSink::Exec(const std::string& sql, const std::vector<const char*>& params,
                                    const std::string& what) {
  PgResult result(PQexecParams(connection_.get(), sql.c_str(), static_cast<int>(params.size()),
                               nullptr, params.data(), nullptr, nullptr, 0));
  const ExecStatusType status =
      result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return ErrorFrom(result.get(), what);
}

Status PostgresSink::ErrorFrom(const PGresult* result, const std::string& what) {
  // Any error inside a transaction aborts it: from here on only ROLLBACK works.
  if (in_transaction_) broken_ = true;
  std::string state;
  std::string message;
  if (result != nullptr) {
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    if (sqlstate != nullptr) state = sqlstate;
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    if (primary != nullptr) {
      message = primary;
      if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
        message += " (" + OneLine(detail) + ")";
      }
      if (const char* context = PQresultErrorField(result, PG_DIAG_CONTEXT)) {
        message += " [" + OneLine(context) + "]";
      }
    } else {
      message = OneLine(PQresultErrorMessage(result));
    }
  }
  if (message.empty()) message = OneLine(PQerrorMessage(connection_.get()));
  if (message.empty()) message = "unknown error";

  const bool connection_lost = PQstatus(connection_.get()) == CONNECTION_BAD;
  ErrorDetail detail;
  detail.sqlstate = state;
  // Inside a transaction every error aborts it (PostgreSQL accepts only ROLLBACK afterwards), so
  // nothing is retriable there: the run rolls back and starts again from committed positions.
  detail.abort_transaction = in_transaction_ || connection_lost;
  ErrorKind kind = ErrorKind::kIo;
  const std::string cls = state.substr(0, 2);
  if (connection_lost || cls == "08" || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    kind = in_transaction_ ? ErrorKind::kIo : ErrorKind::kRetriable;
    message = "the connection to the server was lost: " + message;
  } else if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
    // serialization failure, deadlock, lock or statement timeout: a new transaction may succeed
    kind = in_transaction_ ? ErrorKind::kIo : ErrorKind::kRetriable;
  } else if (cls == "22" || cls == "23") {
    kind = ErrorKind::kBadRecord;
  } else if (cls == "42" || cls == "28") {
    kind = ErrorKind::kFatal;  // missing table/column, permissions: the user must act
    detail.fatal = true;
  }
  detail.retriable = kind == ErrorKind::kRetriable;
  if (!state.empty()) message += " (SQLSTATE " + state + ")";
  return Status::Error(kind, Scrub(what + ": " + message)).WithDetail(std::move(detail));
}

// --- Catalog ---

Result<TableSchema> PostgresSink::DescribeTable(const std::string& table) {
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(table, UnquotedCase::kFoldToLower, "database.schema.table"));
  const std::string where = Describe() + ": looking up table '" + table + "'";
  if (parts.size() == 3) {
    const char* db = PQdb(connection_.get());
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
      "SELECT n.nspname, c.relname, c.relkind::text, c.oid::text "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS s(name, ord) "
      "  ON s.name = n.nspname "
      "WHERE c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
      "  AND CASE WHEN $1::text IS NULL THEN s.ord IS NOT NULL ELSE n.nspname = $1 END "
      "ORDER BY s.ord NULLS LAST LIMIT 1";
  KI_ASSIGN_OR_RETURN(PgResult found,
                      Exec(kFindTable, {nspname ? nspname->c_str() : nullptr, relname.c_str()},
                           where));
  if (PQntuples(found.get()) == 0) {
    std::string searched;
    if (!nspname) {
      auto path = Exec("SELECT array_to_string(pg_catalog.current_schemas(false), ', ')", {},
                       where);
      if (path.ok() && PQntuples(path->get()) == 1) {
        searched = " (searched the schemas of search_path: " +
                   Value(path->get(), 0, 0).value_or("") + ")";
      }
    }
    return NotFound("table '" + table + "' does not exist in " + Describe() + searched +
                    "; create it first, for example:\n  CREATE TABLE " + table +
                    " (<your columns>, kinesis_shard_id text, shard_sequence_number text);");
  }
  const std::string relkind = Value(found.get(), 0, 2).value_or("");
  if (relkind == "v" || relkind == "m") {
    return InvalidArgument("'" + table + "' in " + Describe() +
                           " is a view; kinesis-import appends to a table");
  }
  TableSchema schema;
  schema.schema = Value(found.get(), 0, 0).value_or("");
  schema.table = Value(found.get(), 0, 1).value_or("");
  const std::string oid = Value(found.get(), 0, 3).value_or("0");

  // Columns 6..9 are for arrays (e is the element type when t is its array type; atttypmod
  // then applies to the element).
  static const std::string kColumns =
      "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, "
      "a.atttypmod::text, a.attnotnull::text, "
      "(t.typnamespace = 'pg_catalog'::regnamespace)::text, e.typname, "
      "(e.typnamespace = 'pg_catalog'::regnamespace)::text, a.attndims::text, "
      "pg_catalog.format_type(e.oid, a.atttypmod) "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid "
      "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
      "AND a.attgenerated = '' ORDER BY a.attnum";
  KI_ASSIGN_OR_RETURN(PgResult columns, Exec(kColumns, {oid.c_str()}, where));
  for (int r = 0; r < PQntuples(columns.get()); ++r) {
    ColumnSpec spec;
    spec.name = Value(columns.get(), r, 0).value_or("");
    spec.type_name = Value(columns.get(), r, 1).value_or("");
    const bool builtin = Value(columns.get(), r, 5).value_or("false") == "true";
    const int64_t typmod = ParseInt64(Value(columns.get(), r, 3)).value_or(-1);
    const std::optional<std::string> element = Value(columns.get(), r, 6);
    PgType type;
    if (builtin && element) {
      if (Value(columns.get(), r, 7).value_or("false") == "true") {
        type = PgArrayTypeFromCatalog(*element, typmod,
                                      ParseInt64(Value(columns.get(), r, 8)).value_or(0));
      }
    } else if (builtin) {
      type = PgTypeFromCatalog(Value(columns.get(), r, 2).value_or(""), typmod);
    }
    if (type.type == ColumnType::kList) {
      ColumnSpec child;
      child.name = "element";
      child.type_name = Value(columns.get(), r, 9).value_or(*element);
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
    spec.not_null = Value(columns.get(), r, 4).value_or("false") == "true";
    spec.metadata = MetadataColumnFromName(spec.name);
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

// --- Run ---

Status PostgresSink::CreatePositionsTable() {
  const std::string what = Describe() + ": preparing " + positions_table_sql_;
  const std::string version_sql = QualifiedSql(schema_.schema, kSchemaVersionTable);
  const std::string version_query = "SELECT max(version)::text FROM " + version_sql +
                                    " WHERE component = '" + kPositionsComponent + "'";
  auto current_version = [&]() -> Result<int64_t> {
    KI_ASSIGN_OR_RETURN(PgResult exists,
                        Exec("SELECT (pg_catalog.to_regclass($1) IS NOT NULL "
                             "AND pg_catalog.to_regclass($2) IS NOT NULL)::text",
                             {positions_table_sql_.c_str(), version_sql.c_str()}, what));
    if (Value(exists.get(), 0, 0).value_or("false") != "true") return 1;
    KI_ASSIGN_OR_RETURN(PgResult version, Exec(version_query, {}, what));
    return ParseInt64(Value(version.get(), 0, 0)).value_or(1);
  };
  KI_ASSIGN_OR_RETURN(int64_t version, current_version());
  if (version == kPositionsSchemaVersion) return Status::Ok();
  if (version > kPositionsSchemaVersion) {
    return FatalError(Describe() + ": " + positions_table_sql_ + " has schema version " +
                      std::to_string(version) + ", written by a newer kinesis-import; this one "
                      "knows version " + std::to_string(kPositionsSchemaVersion) + ": upgrade it");
  }
  // Two first runs into one schema would race in CREATE TABLE IF NOT EXISTS (one of them fails
  // on the catalog's unique index), and two older versions' tables would be migrated twice. So
  // creation and migration run in a short transaction of their own, serialised by an advisory
  // lock; the table is then there for every later run (an empty positions table left by a run
  // that rolls back is harmless). Version 1 -> 2 adds nullable columns only.
  KI_RETURN_IF_ERROR(ExecCommand("BEGIN", what));
  Status status = [&]() -> Status {
    const std::string key = "kinesis-import create " + positions_table_sql_;
    KI_RETURN_IF_ERROR(Exec(std::string("SELECT pg_catalog.pg_advisory_xact_lock(") + kLockKeySql +
                                ")",
                            {key.c_str()}, what)
                           .status());
    KI_RETURN_IF_ERROR(ExecCommand(
        "CREATE TABLE IF NOT EXISTS " + positions_table_sql_ +
            " (stream_name text NOT NULL, table_name text NOT NULL, shard_id text NOT NULL,"
            " sequence_number text NOT NULL, subsequence_number bigint NOT NULL DEFAULT -1,"
            " updated_at timestamp NOT NULL, resume_at timestamp, stream_arn text,"
            " stream_created_at timestamp,"
            " PRIMARY KEY (stream_name, table_name, shard_id))",
        what));
    KI_RETURN_IF_ERROR(ExecCommand("ALTER TABLE " + positions_table_sql_ +
                                       " ADD COLUMN IF NOT EXISTS resume_at timestamp,"
                                       " ADD COLUMN IF NOT EXISTS stream_arn text,"
                                       " ADD COLUMN IF NOT EXISTS stream_created_at timestamp",
                                   what + " (migrating to schema version 2)"));
    KI_RETURN_IF_ERROR(ExecCommand("CREATE TABLE IF NOT EXISTS " + version_sql +
                                       " (component text PRIMARY KEY, version integer NOT NULL)",
                                   what));
    KI_RETURN_IF_ERROR(ExecCommand("INSERT INTO " + version_sql + " VALUES ('" +
                                       kPositionsComponent + "', " +
                                       std::to_string(kPositionsSchemaVersion) +
                                       ") ON CONFLICT (component) DO UPDATE SET version = "
                                       "EXCLUDED.version",
                                   what));
    return ExecCommand("COMMIT", what);
  }();
  if (!status.ok()) (void)ExecCommand("ROLLBACK", what);
  return status;
}

Status PostgresSink::Begin(const TableSchema& schema) {
  if (in_transaction_) {
    return InternalError(Describe() + ": Begin called while a run is already open");
  }
  schema_ = schema;
  broken_ = false;
  locked_streams_.clear();
  rejects_table_sql_.clear();
  table_sql_ = QualifiedSql(schema_.schema, schema_.table);
  positions_table_sql_ = QualifiedSql(schema_.schema, kPositionsTable);
  KI_RETURN_IF_ERROR(CreatePositionsTable());
  KI_RETURN_IF_ERROR(ExecCommand("BEGIN", Describe() + ": BEGIN"));
  in_transaction_ = true;

  Status status = [&]() -> Status {
    // The columns to fill must still be there with the described types: binary COPY sends each
    // value in exactly its column's format.
    const std::string what = TableForMessages() + ": checking its columns";
    KI_ASSIGN_OR_RETURN(
        PgResult columns,
        Exec("SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, "
             "a.atttypmod::text, (t.typnamespace = 'pg_catalog'::regnamespace)::text, "
             "e.typname, (e.typnamespace = 'pg_catalog'::regnamespace)::text, "
             "a.attndims::text, e.oid::text "
             "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
             "LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid "
             "WHERE a.attrelid = pg_catalog.to_regclass($1) "
             "AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''",
             {table_sql_.c_str()}, what));
    struct CatalogColumn {
      std::string type_name;
      std::string typname;
      PgType type;
      uint32_t element_oid = 0;
    };
    std::map<std::string, CatalogColumn> actual;
    for (int r = 0; r < PQntuples(columns.get()); ++r) {
      CatalogColumn column;
      column.type_name = Value(columns.get(), r, 1).value_or("");
      column.typname = Value(columns.get(), r, 2).value_or("");
      const int64_t typmod = ParseInt64(Value(columns.get(), r, 3)).value_or(-1);
      const std::optional<std::string> element = Value(columns.get(), r, 5);
      if (Value(columns.get(), r, 4).value_or("false") == "true") {
        if (!element) {
          column.type = PgTypeFromCatalog(column.typname, typmod);
        } else if (Value(columns.get(), r, 6).value_or("false") == "true") {
          column.type = PgArrayTypeFromCatalog(
              *element, typmod, ParseInt64(Value(columns.get(), r, 7)).value_or(0));
          column.element_oid =
              static_cast<uint32_t>(ParseInt64(Value(columns.get(), r, 8)).value_or(0));
        }
      }
      actual[Value(columns.get(), r, 0).value_or("")] = std::move(column);
    }
    if (actual.empty()) {
      return FatalError(TableForMessages() + " no longer exists (dropped since it was described?)");
    }
    copy_sql_ = "COPY " + table_sql_ + " (";
    writers_.clear();
    list_elements_.assign(schema_.columns.size(), ListElement{});
    list_index_.assign(schema_.columns.size(), -1);
    list_columns_ = 0;
    for (size_t c = 0; c < schema_.columns.size(); ++c) {
      const ColumnSpec& spec = schema_.columns[c];
      auto it = actual.find(spec.name);
      const PgType* found = it != actual.end() ? &it->second.type : nullptr;
      const bool list_matches =
          spec.type != ColumnType::kList ||
          (found != nullptr && spec.children.size() == 1 &&
           found->element_type == spec.children[0].type &&
           (spec.children[0].type != ColumnType::kDecimal ||
            (found->element_decimal_scale == spec.children[0].decimal_scale &&
             found->element_decimal_unconstrained == spec.children[0].decimal_unconstrained &&
             found->element_decimal_width >= spec.children[0].decimal_width)));
      const bool matches =
          it != actual.end() && it->second.type_name == spec.type_name &&
          (spec.type == ColumnType::kUnsupported || it->second.type.type == spec.type) &&
          (spec.type != ColumnType::kDecimal ||
           (it->second.type.decimal_scale == spec.decimal_scale &&
            it->second.type.decimal_unconstrained == spec.decimal_unconstrained &&
            it->second.type.decimal_width >= spec.decimal_width)) &&
          list_matches;
      if (!matches) {
        return FatalError(TableForMessages() + ": column '" + spec.name +
                          "' no longer has type " + spec.type_name +
                          " (did the table change since it was described?)");
      }
      copy_sql_ += (c == 0 ? "" : ", ") + QuoteIdentifier(spec.name);
      ColumnWriter writer = ColumnWriter::kNullOnly;
      switch (spec.type) {
        case ColumnType::kBoolean: writer = ColumnWriter::kBool; break;
        case ColumnType::kSmallInt: writer = ColumnWriter::kInt16; break;
        case ColumnType::kInteger: writer = ColumnWriter::kInt32; break;
        case ColumnType::kBigInt: writer = ColumnWriter::kInt64; break;
        case ColumnType::kDecimal:
          writer = IsTextDecimal(spec)         ? ColumnWriter::kNumericText
                   : spec.decimal_width <= 18 ? ColumnWriter::kNumeric64
                                              : ColumnWriter::kNumeric128;
          break;
        case ColumnType::kReal: writer = ColumnWriter::kFloat4; break;
        case ColumnType::kDouble: writer = ColumnWriter::kFloat8; break;
        case ColumnType::kVarchar: writer = ColumnWriter::kText; break;
        case ColumnType::kJson:
          writer = it->second.typname == "jsonb" ? ColumnWriter::kJsonb : ColumnWriter::kText;
          break;
        case ColumnType::kBlob: writer = ColumnWriter::kBytes; break;
        case ColumnType::kDate: writer = ColumnWriter::kDate; break;
        case ColumnType::kTimestamp:
        case ColumnType::kTimestampTz: writer = ColumnWriter::kTimestamp; break;
        case ColumnType::kTime: writer = ColumnWriter::kTime; break;
        case ColumnType::kUuid: writer = ColumnWriter::kUuid; break;
        case ColumnType::kList: {
          writer = ColumnWriter::kList;
          ListElement& element = list_elements_[c];
          element.type = spec.children[0].type;
          element.oid = it->second.element_oid;
          element.decimal_scale = static_cast<uint8_t>(spec.children[0].decimal_scale);
          element.text_decimal = IsTextDecimal(spec.children[0]);
          element.max_length = it->second.type.element_max_length;
          list_index_[c] = static_cast<int>(list_columns_++);
          break;
        }
        // kUnsupported (and the types PostgreSQL has no column for, which DescribeTable never
        // reports, and types added to ColumnType later until this sink learns them): only NULL.
        default: writer = ColumnWriter::kNullOnly; break;
      }
      writers_.push_back(writer);
    }
    copy_sql_ += ") FROM STDIN (FORMAT binary)";
    if (schema_.columns.empty()) copy_sql_.clear();
    return Status::Ok();
  }();
  if (!status.ok()) Rollback();
  return status;
}

Status PostgresSink::LockStream(const std::string& stream) {
  if (locked_streams_.count(stream) != 0) return Status::Ok();
  const std::string key = "kinesis-import run\x1f" + positions_table_sql_ + "\x1f" +
                          schema_.QualifiedName() + "\x1f" + stream;
  const std::string what = Describe() + ": locking stream '" + stream + "' for table '" +
                           schema_.QualifiedName() + "'";
  if (options_.wait_for_lock) {
    KI_RETURN_IF_ERROR(
        Exec(std::string("SELECT pg_catalog.pg_advisory_xact_lock(") + kLockKeySql + ")",
             {key.c_str()}, what)
            .status());
  } else {
    KI_ASSIGN_OR_RETURN(
        PgResult locked,
        Exec(std::string("SELECT pg_catalog.pg_try_advisory_xact_lock(") + kLockKeySql + ")",
             {key.c_str()}, what));
    if (Value(locked.get(), 0, 0).value_or("f") != "t") {
      return FatalError(Describe() + ": another kinesis-import run holds the lock for stream '" +
                        stream + "' and table '" + schema_.QualifiedName() +
                        "'; try again when it has finished");
    }
  }
  locked_streams_.insert(stream);
  return Status::Ok();
}

Result<std::vector<StoredPosition>> PostgresSink::ListPositions(const std::string& stream) {
  if (!in_transaction_) return InternalError(Describe() + ": ListPositions called before Begin");
  if (broken_) return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  KI_RETURN_IF_ERROR(LockStream(stream));
  const std::string table_key = schema_.QualifiedName();
  KI_ASSIGN_OR_RETURN(
      PgResult rows,
      Exec("SELECT shard_id, sequence_number, subsequence_number::text, "
           "(extract(epoch FROM resume_at) * 1000)::bigint::text, stream_arn, "
           "(extract(epoch FROM stream_created_at) * 1000)::bigint::text, "
           "(extract(epoch FROM updated_at) * 1000000)::bigint::text FROM " +
               positions_table_sql_ +
               " WHERE stream_name = $1 AND table_name = $2 ORDER BY shard_id COLLATE \"C\"",
           {stream.c_str(), table_key.c_str()},
           Describe() + ": loading positions of stream '" + stream + "' for table '" +
               table_key + "'"));
  std::vector<StoredPosition> stored;
  for (int r = 0; r < PQntuples(rows.get()); ++r) {
    auto shard = Value(rows.get(), r, 0);
    auto sequence = Value(rows.get(), r, 1);
    if (!shard || !sequence) continue;
    StoredPosition p;
    p.shard_id = *shard;
    p.position.sequence_number = *sequence;
    p.position.subsequence_number = ParseInt64(Value(rows.get(), r, 2)).value_or(-1);
    p.position.resume_timestamp_ms = ParseInt64(Value(rows.get(), r, 3)).value_or(-1);
    p.position.stream_arn = Value(rows.get(), r, 4).value_or("");
    p.position.stream_created_ms = ParseInt64(Value(rows.get(), r, 5)).value_or(-1);
    p.updated_at_us = ParseInt64(Value(rows.get(), r, 6)).value_or(0);
    stored.push_back(std::move(p));
  }
  return stored;
}

Result<ShardPositions> PostgresSink::LoadPositions(const std::string& stream) {
  KI_ASSIGN_OR_RETURN(std::vector<StoredPosition> stored, ListPositions(stream));
  ShardPositions positions;
  for (StoredPosition& p : stored) positions[p.shard_id] = std::move(p.position);
  if (!positions.empty()) return positions;

  const ColumnSpec* shard_column = schema_.FindMetadata(MetadataColumn::kShardId);
  const ColumnSpec* sequence_column = schema_.FindMetadata(MetadataColumn::kSequenceNumber);
  if (shard_column == nullptr || sequence_column == nullptr) return positions;
  const std::string table_key = schema_.QualifiedName();
  const std::string what =
      Describe() + ": loading positions of stream '" + stream + "' for table '" + table_key + "'";
  // Rows for the table under another stream: the metadata columns may hold that stream's
  // sequence numbers, so nothing is derived and the stream starts at --start-position.
  KI_ASSIGN_OR_RETURN(PgResult others,
                      Exec("SELECT 1 FROM " + positions_table_sql_ +
                               " WHERE table_name = $1 LIMIT 1",
                           {table_key.c_str()}, what));
  if (PQntuples(others.get()) > 0) return positions;

  // No checkpoint for the table at all: the rows say where each shard got to. Sequence numbers
  // are compared as digit strings (longer after leading zeros is larger, then lexicographically
  // in the "C" collation); within one KPL aggregate the highest subsequence number wins, and
  // without a subsequence column the rows holding that sequence number are counted instead.
  // Text that is not a BIGINT in the subsequence column counts as -1.
  const ColumnSpec* sub_column = schema_.FindMetadata(MetadataColumn::kSubsequenceNumber);
  std::string sub_expr = "CAST(-1 AS bigint)";
  if (sub_column != nullptr) {
    const std::string sub_text = "CAST(" + QuoteIdentifier(sub_column->name) + " AS text)";
    sub_expr = "CASE WHEN " + sub_text +
               " ~ '^[[:space:]]*[-+]?[0-9]{1,18}[[:space:]]*$' THEN CAST(btrim(" + sub_text +
               ") AS bigint) ELSE -1 END";
  }
  const std::string shard = QuoteIdentifier(shard_column->name);
  const std::string sequence = QuoteIdentifier(sequence_column->name);
  const std::string derive =
      "SELECT DISTINCT ON (shard) shard, seq, sub::text, n::text FROM (SELECT shard, seq, sub, "
      "digits, count(*) OVER (PARTITION BY shard, digits) AS n FROM (SELECT CAST(" + shard +
      " AS text) AS shard, CAST(" + sequence + " AS text) AS seq, " + sub_expr +
      " AS sub, ltrim(btrim(CAST(" + sequence + " AS text)), '0') AS digits FROM " + table_sql_ +
      " WHERE " + shard + " IS NOT NULL AND " + sequence +
      " IS NOT NULL) r) m ORDER BY shard, length(digits) DESC, digits COLLATE \"C\" DESC, "
      "sub DESC";
  KI_ASSIGN_OR_RETURN(PgResult rows, Exec(derive, {},
                                          what + " from columns '" + shard_column->name +
                                              "' and '" + sequence_column->name + "'"));
  for (int r = 0; r < PQntuples(rows.get()); ++r) {
    auto shard_id = Value(rows.get(), r, 0);
    auto seq = Value(rows.get(), r, 1);
    if (!shard_id || !seq) continue;
    ShardPosition position(*seq, sub_column != nullptr
                                     ? ParseInt64(Value(rows.get(), r, 2)).value_or(-1)
                                     : ParseInt64(Value(rows.get(), r, 3)).value_or(1) - 1);
    position.derived = true;
    positions[*shard_id] = std::move(position);
  }
  return positions;
}

Result<bool> PostgresSink::TableHasRows() {
  if (!in_transaction_) return InternalError(Describe() + ": TableHasRows called before Begin");
  KI_ASSIGN_OR_RETURN(PgResult rows, Exec("SELECT 1 FROM " + table_sql_ + " LIMIT 1", {},
                                          TableForMessages() + ": looking for rows"));
  return PQntuples(rows.get()) > 0;
}

Result<int64_t> PostgresSink::DeletePositions(const std::string& stream,
                                              const std::string& shard_id) {
  if (!in_transaction_) return InternalError(Describe() + ": DeletePositions called before Begin");
  KI_RETURN_IF_ERROR(LockStream(stream));
  const std::string table_key = schema_.QualifiedName();
  std::string sql =
      "DELETE FROM " + positions_table_sql_ + " WHERE stream_name = $1 AND table_name = $2";
  std::vector<const char*> params{stream.c_str(), table_key.c_str()};
  if (!shard_id.empty()) {
    sql += " AND shard_id = $3";
    params.push_back(shard_id.c_str());
  }
  KI_ASSIGN_OR_RETURN(PgResult result,
                      Exec(sql, params,
                           Describe() + ": deleting positions of stream '" + stream +
                               "' for table '" + table_key + "'"));
  return ParseInt64(std::string(PQcmdTuples(result.get()))).value_or(0);
}

namespace {

// Why `s` cannot go into a text element of `max_length` characters (-1: unbounded); empty when
// it can.
std::string TextProblem(std::string_view s, int64_t max_length, const std::string& type_name) {
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    return "text contains a NUL character, which PostgreSQL cannot store in " + type_name;
  }
  if (!IsValidUtf8(s)) return "text is not valid UTF-8";
  size_t characters = 0;
  if (max_length >= 0 && !FitsLength(s, max_length, &characters)) {
    return "text of " + std::to_string(characters) + " characters does not fit " + type_name;
  }
  return {};
}

template <typename T>
bool ParseToken(std::string_view token, T* v) {
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *v);
  return ec == std::errc() && end == token.data() + token.size();
}

std::string_view TrimToken(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string PostgresSink::EncodeList(const ListElement& element, std::string_view text,
                                     bool* bad_record) {
  namespace od = simdjson::ondemand;
  *bad_record = false;
  if (!list_parser_) list_parser_ = std::make_unique<PgListParser>();
  PgListParser& p = *list_parser_;
  const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (p.padded.size() < needed) p.padded.resize(std::max(needed, p.padded.size() * 2));
  std::memcpy(p.padded.data(), text.data(), text.size());
  std::memset(p.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  if (auto error = p.parser.iterate(p.padded.data(), text.size(), p.padded.size()).get(p.doc)) {
    return simdjson::error_message(error);
  }
  od::array array;
  if (p.doc.get_array().get(array)) return "not an array";

  std::string& out = list_bytes_;
  const size_t start = out.size();
  PutUInt32(out, 1);  // ndim (0 if it turns out empty)
  PutUInt32(out, 0);  // has_null, patched below
  PutUInt32(out, element.oid);
  PutUInt32(out, 0);  // the length, patched below
  PutUInt32(out, 1);  // lower bound
  uint32_t length = 0;
  bool has_null = false;
  for (auto element_result : array) {
    od::value value;
    if (element_result.get(value)) return "bad element";
    ++length;
    auto fail = [&](const std::string& what) {
      return "element [" + std::to_string(length - 1) + "]: " + what;
    };
    od::json_type type;
    if (value.type().get(type)) return fail("bad JSON");
    if (type == od::json_type::null) {
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) return fail("bad null");
      PutUInt32(out, 0xffffffffu);
      has_null = true;
      continue;
    }
    const bool is_string = type == od::json_type::string;
    std::string_view s;
    if (is_string && value.get_string().get(s)) return fail("bad string");
    switch (element.type) {
      case ColumnType::kBoolean: {
        bool b;
        if (value.get_bool().get(b)) return fail("bad boolean");
        PutBoolField(out, b);
        break;
      }
      case ColumnType::kSmallInt: {
        int16_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int2");
        PutField16(out, static_cast<uint16_t>(v));
        break;
      }
      case ColumnType::kInteger: {
        int32_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int4");
        PutField32(out, static_cast<uint32_t>(v));
        break;
      }
      case ColumnType::kBigInt: {
        int64_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int8");
        PutField64(out, static_cast<uint64_t>(v));
        break;
      }
      case ColumnType::kDecimal: {
        if (element.text_decimal) {  // the decoder's canonical text, a JSON number
          if (type != od::json_type::number) return fail("bad numeric");
          PutNumericTextField(out, TrimToken(value.raw_json_token()));
          break;
        }
        ScaledDecimal d;
        if (type != od::json_type::number ||
            ParseScaledDecimal(TrimToken(value.raw_json_token()), element.decimal_scale,
                               PowerOfTen(kMaxDecimalWidth) - 1, DecimalSyntax::kJson,
                               &d) != DecimalParseError::kOk ||
            !d.exact) {
          return fail("bad numeric");
        }
        PutNumericMagnitudeField(out, d.magnitude, d.negative, element.decimal_scale);
        break;
      }
      case ColumnType::kReal:
      case ColumnType::kDouble: {
        double d;
        if (is_string) {
          if (s == "NaN") {
            d = std::numeric_limits<double>::quiet_NaN();
          } else if (s == "Infinity") {
            d = std::numeric_limits<double>::infinity();
          } else if (s == "-Infinity") {
            d = -std::numeric_limits<double>::infinity();
          } else {
            return fail("bad floating-point string");
          }
          if (element.type == ColumnType::kReal) {
            PutFloat4Field(out, static_cast<float>(d));
          } else {
            PutFloat8Field(out, d);
          }
          break;
        }
        const std::string_view token = TrimToken(value.raw_json_token());
        if (element.type == ColumnType::kReal) {
          // The shortest text of the float reads back to the same float (not so via double).
          float f;
          if (!ParseToken(token, &f)) return fail("bad float4");
          PutFloat4Field(out, f);
        } else {
          if (!ParseToken(token, &d)) return fail("bad float8");
          PutFloat8Field(out, d);
        }
        break;
      }
      case ColumnType::kVarchar: {
        if (!is_string) return fail("text without a string");
        const std::string problem =
            TextProblem(s, element.max_length,
                        element.max_length >= 0
                            ? "character varying(" + std::to_string(element.max_length) + ")"
                            : std::string("text"));
        if (!problem.empty()) {
          *bad_record = true;
          return fail(problem);
        }
        PutBytesField(out, s);
        break;
      }
      case ColumnType::kDate: {
        int64_t days;
        if (!is_string || !ParseDateText(s, &days)) return fail("bad date");
        PutDateField(out, days);
        break;
      }
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz: {
        int64_t micros;
        if (!is_string || !ParseTimestampText(s, &micros)) return fail("bad timestamp");
        PutTimestampField(out, micros);
        break;
      }
      case ColumnType::kUuid: {
        unsigned __int128 uuid;
        if (!is_string || !ParseUuidText(s, &uuid)) return fail("bad uuid");
        PutUuidField(out, static_cast<__int128>(uuid));
        break;
      }
      default: return fail("an element type this version cannot write");
    }
  }
  const char* trailing = nullptr;
  if (p.doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return "content after the array";
  }
  if (length == 0) {
    out.resize(start);
    PutUInt32(out, 0);  // ndim
    PutUInt32(out, 0);  // has_null
    PutUInt32(out, element.oid);
    return {};
  }
  auto patch = [&](size_t at, uint32_t v) {
    out[at] = static_cast<char>(v >> 24);
    out[at + 1] = static_cast<char>(v >> 16);
    out[at + 2] = static_cast<char>(v >> 8);
    out[at + 3] = static_cast<char>(v);
  };
  patch(start + 4, has_null ? 1 : 0);
  patch(start + 12, length);
  return {};
}

Status PostgresSink::CheckBatch(const RowBatch& batch) {
  const size_t rows = batch.num_rows();
  list_bytes_.clear();
  if (list_bytes_.capacity() > 4 * kCopyBufferBytes) list_bytes_.shrink_to_fit();
  list_cells_.assign(rows * list_columns_, {0, 0});
  for (size_t c = 0; c < writers_.size(); ++c) {
    const ColumnWriter w = writers_[c];
    if (w != ColumnWriter::kText && w != ColumnWriter::kJsonb && w != ColumnWriter::kNullOnly &&
        w != ColumnWriter::kList) {
      continue;
    }
    const ColumnSpec& spec = schema_.columns[c];
    for (size_t r = 0; r < rows; ++r) {
      if (batch.IsNull(r, c)) continue;
      auto bad = [&](const std::string& why) {
        return BadRecord(TableForMessages() + ": column '" + spec.name + "', row " +
                         std::to_string(r) + " of the batch: " + why);
      };
      if (w == ColumnWriter::kList) {
        const size_t offset = list_bytes_.size();
        bool bad_record = false;
        const std::string problem =
            EncodeList(list_elements_[c], batch.GetString(r, c), &bad_record);
        if (!problem.empty()) {
          if (bad_record) return bad(problem);
          return InternalError(TableForMessages() + ": column '" + spec.name + "', row " +
                               std::to_string(r) + " of the batch: the cell is not the "
                               "decoder's canonical LIST text (" + problem + ")");
        }
        list_cells_[r * list_columns_ + static_cast<size_t>(list_index_[c])] = {
            offset, list_bytes_.size() - offset};
        continue;
      }
      if (w == ColumnWriter::kNullOnly) {
        return InternalError(TableForMessages() + ": column '" + spec.name + "' has type " +
                             spec.type_name + " which this version cannot fill, but row " +
                             std::to_string(r) + " of the batch has a value for it");
      }
      const std::string_view s = batch.GetString(r, c);
      if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
        return bad("text contains a NUL character, which PostgreSQL cannot store in " +
                   spec.type_name);
      }
      if (!IsValidUtf8(s)) return bad("text is not valid UTF-8");
      size_t characters = 0;
      if (spec.max_length >= 0 && !FitsLength(s, spec.max_length, &characters)) {
        return bad("text of " + std::to_string(characters) + " characters does not fit " +
                   spec.type_name);
      }
    }
  }
  return Status::Ok();
}

void PostgresSink::EncodeRow(const RowBatch& batch, size_t row, std::string& out) const {
  const size_t columns = writers_.size();
  PutUInt16(out, static_cast<uint16_t>(columns));
  for (size_t c = 0; c < columns; ++c) {
    if (batch.IsNull(row, c)) {
      PutUInt32(out, 0xffffffffu);  // -1: NULL
      continue;
    }
    const Cell& cell = batch.Get(row, c);
    switch (writers_[c]) {
      case ColumnWriter::kBool: PutBoolField(out, cell.i64 != 0); break;
      case ColumnWriter::kInt16: PutField16(out, static_cast<uint16_t>(cell.i64)); break;
      case ColumnWriter::kInt32: PutField32(out, static_cast<uint32_t>(cell.i64)); break;
      case ColumnWriter::kInt64: PutField64(out, static_cast<uint64_t>(cell.i64)); break;
      case ColumnWriter::kNumeric64:
        PutNumeric64Field(out, cell.i64, schema_.columns[c].decimal_scale);
        break;
      case ColumnWriter::kNumeric128:
        PutNumeric128Field(out, cell.i128, schema_.columns[c].decimal_scale);
        break;
      case ColumnWriter::kNumericText: PutNumericTextField(out, batch.GetString(row, c)); break;
      case ColumnWriter::kFloat4: PutFloat4Field(out, static_cast<float>(cell.f64)); break;
      case ColumnWriter::kFloat8: PutFloat8Field(out, cell.f64); break;
      case ColumnWriter::kText:
      case ColumnWriter::kBytes: PutBytesField(out, batch.GetString(row, c)); break;
      case ColumnWriter::kJsonb: {
        const std::string_view s = batch.GetString(row, c);
        PutUInt32(out, static_cast<uint32_t>(s.size() + 1));
        out.push_back(1);  // jsonb's binary format version
        out.append(s.data(), s.size());
        break;
      }
      case ColumnWriter::kDate: PutDateField(out, cell.i64); break;
      case ColumnWriter::kTimestamp: PutTimestampField(out, cell.i64); break;
      case ColumnWriter::kTime: PutField64(out, static_cast<uint64_t>(cell.i64)); break;
      case ColumnWriter::kUuid: PutUuidField(out, cell.i128); break;
      case ColumnWriter::kList: {
        const auto& [offset, size] =
            list_cells_[row * list_columns_ + static_cast<size_t>(list_index_[c])];
        PutUInt32(out, static_cast<uint32_t>(size));
        out.append(list_bytes_, offset, size);
        break;
      }
      case ColumnWriter::kNullOnly: PutUInt32(out, 0xffffffffu); break;  // CheckBatch: only NULL
    }
  }
}

// One COPY per call, so that a line number in the server's error is the batch's row + 1. COPY's
// start and end cost one round trip per batch, small next to a batch of thousands of rows.
// Binary rather than text format: the server then parses no numbers, dates or escapes. Seed
// table (2 x numeric(18,0), 3 x varchar), 100k rows in 10k-row batches, server on the same
// 2-core machine, medians of 4 runs of 6 (BM_PostgresBareCopy* in bench/sink_benchmark.cc): bare
// COPY 0.83-0.90M rows/s binary vs 0.63-0.73M rows/s text; this sink 0.66-0.79M rows/s, its
// own CPU ~0.2 us/row (UTF-8 and length checks, encoding), the rest is the server.
Status PostgresSink::Append(const RowBatch& batch) {
  if (!in_transaction_) return InternalError(Describe() + ": Append called before Begin");
  if (broken_) return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  const size_t columns = writers_.size();
  if (batch.num_columns() != columns) {
    return InvalidArgument(TableForMessages() + ": batch has " +
                           std::to_string(batch.num_columns()) + " columns, table has " +
                           std::to_string(columns));
  }
  const size_t rows = batch.num_rows();
  if (rows == 0 || columns == 0) return Status::Ok();
  // Check the whole batch before sending any of it: a bad cell then leaves the run untouched and
  // the error names the record, where the server would abort the whole transaction.
  KI_RETURN_IF_ERROR(CheckBatch(batch));

  const std::string what = TableForMessages() + ": COPY";
  PgResult start(PQexec(connection_.get(), copy_sql_.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return ErrorFrom(start.get(), what);

  PGconn* conn = connection_.get();
  buffer_.clear();
  if (buffer_.capacity() < kCopyBufferBytes + 4096) buffer_.reserve(kCopyBufferBytes + 4096);
  buffer_.append(kBinaryCopyHeader, kBinaryCopyHeaderSize);
  bool send_failed = false;
  for (size_t r = 0; r < rows && !send_failed; ++r) {
    EncodeRow(batch, r, buffer_);
    if (buffer_.size() >= kCopyBufferBytes) {
      send_failed = PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1;
      buffer_.clear();
    }
  }
  PutUInt16(buffer_, 0xffff);  // the file trailer: a field count of -1
  if (!send_failed && !buffer_.empty()) {
    send_failed = PQputCopyData(conn, buffer_.data(), static_cast<int>(buffer_.size())) != 1;
  }
  buffer_.clear();
  if (buffer_.capacity() > 4 * kCopyBufferBytes) buffer_.shrink_to_fit();
  (void)PQputCopyEnd(conn, send_failed ? "kinesis-import could not send the rows" : nullptr);

  // The COPY's outcome, then whatever else libpq has (it must be drained to nullptr).
  Status status = Status::Ok();
  bool first = true;
  while (true) {
    PgResult result(PQgetResult(conn));
    if (!result) break;
    const ExecStatusType st = PQresultStatus(result.get());
    if (st == PGRES_COPY_IN) {
      // Still in COPY (PQputCopyEnd could not be sent): give up on the connection's COPY state.
      (void)PQputCopyEnd(conn, "aborted");
      continue;
    }
    if (first && st != PGRES_COMMAND_OK) status = ErrorFrom(result.get(), what);
    first = false;
    if (PQstatus(conn) == CONNECTION_BAD) break;
  }
  if (first && status.ok() && (send_failed || PQstatus(conn) == CONNECTION_BAD)) {
    status = ErrorFrom(nullptr, what);
  }
  return status;
}

Status PostgresSink::SavePositions(const std::string& stream, const ShardPositions& positions) {
  if (!in_transaction_) return InternalError(Describe() + ": SavePositions called before Begin");
  if (broken_) return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  KI_RETURN_IF_ERROR(LockStream(stream));
  const std::string table_key = schema_.QualifiedName();
  const std::string now = MicrosAsTimestampText(NowMicros(*clock_));
  const std::string upsert =
      "INSERT INTO " + positions_table_sql_ +
      " (stream_name, table_name, shard_id, sequence_number, subsequence_number, updated_at,"
      " resume_at, stream_arn, stream_created_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (stream_name, table_name, shard_id)"
      " DO UPDATE SET sequence_number = EXCLUDED.sequence_number,"
      " subsequence_number = EXCLUDED.subsequence_number, updated_at = EXCLUDED.updated_at,"
      " resume_at = EXCLUDED.resume_at, stream_arn = EXCLUDED.stream_arn,"
      " stream_created_at = EXCLUDED.stream_created_at";
  auto optional_timestamp = [](int64_t epoch_ms) {
    return epoch_ms < 0 ? std::optional<std::string>()
                        : std::optional<std::string>(MicrosAsTimestampText(epoch_ms * 1000));
  };
  for (const auto& [shard_id, position] : positions) {
    const std::string subsequence = std::to_string(position.subsequence_number);
    const auto resume_at = optional_timestamp(position.resume_timestamp_ms);
    const auto created_at = optional_timestamp(position.stream_created_ms);
    KI_RETURN_IF_ERROR(Exec(upsert,
                            {stream.c_str(), table_key.c_str(), shard_id.c_str(),
                             position.sequence_number.c_str(), subsequence.c_str(), now.c_str(),
                             resume_at ? resume_at->c_str() : nullptr,
                             position.stream_arn.empty() ? nullptr : position.stream_arn.c_str(),
                             created_at ? created_at->c_str() : nullptr},
                            Describe() + ": saving position of stream '" + stream + "' shard '" +
                                shard_id + "' for table '" + table_key + "'")
                           .status());
  }
  return Status::Ok();
}

Status PostgresSink::PrepareRejects(const std::string& rejects_table) {
  if (!in_transaction_) return InternalError(Describe() + ": PrepareRejects called before Begin");
  if (broken_) return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  KI_ASSIGN_OR_RETURN(std::vector<std::string> parts,
      SplitQualifiedName(rejects_table, UnquotedCase::kFoldToLower, "database.schema.table"));
  if (parts.size() == 3) parts.erase(parts.begin());  // the database: the connected one
  if (parts.size() == 1 && !schema_.schema.empty()) parts.insert(parts.begin(), schema_.schema);
  const std::string quoted =
      parts.size() == 2 ? QualifiedSql(parts[0], parts[1]) : QuoteIdentifier(parts[0]);
  const std::string what = Describe() + ": rejects table '" + rejects_table + "'";
  const std::string create =
      "CREATE TABLE IF NOT EXISTS " + quoted +
      " (stream_name text, shard_id text, sequence_number text, subsequence_number bigint,"
      " partition_key text, arrival_time timestamp, payload bytea, error text,"
      " rejected_at timestamp)";
  // Inside the run's transaction, so a rolled-back run leaves no rejects table behind. Another
  // run creating it at the same time makes ours fail on the catalog's unique index once it
  // commits; the savepoint lets us try again, and then the table exists.
  for (int attempt = 0;; ++attempt) {
    KI_RETURN_IF_ERROR(ExecCommand("SAVEPOINT kinesis_import_rejects", what));
    auto created = Exec(create, {}, what + ": creating it");
    if (created.ok()) {
      KI_RETURN_IF_ERROR(ExecCommand("RELEASE SAVEPOINT kinesis_import_rejects", what));
      break;
    }
    const std::string sqlstate = created.status().detail().sqlstate;
    const bool raced = sqlstate == "23505" || sqlstate == "42P07";  // unique index, duplicate table
    if (!raced || attempt > 0) return created.status();
    broken_ = false;
    KI_RETURN_IF_ERROR(ExecCommand("ROLLBACK TO SAVEPOINT kinesis_import_rejects", what));
    broken_ = false;
  }
  KI_ASSIGN_OR_RETURN(
      PgResult columns,
      Exec("SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
           "pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
           {quoted.c_str()}, what));
  std::set<std::string> present;
  for (int r = 0; r < PQntuples(columns.get()); ++r) present.insert(PQgetvalue(columns.get(), r, 0));
  std::string missing;
  for (const char* name : {"stream_name", "shard_id", "sequence_number", "subsequence_number",
                           "partition_key", "arrival_time", "payload", "error", "rejected_at"}) {
    if (present.count(name) == 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty()) {
    return FatalError(what + " exists but lacks the columns " + missing);
  }
  rejects_table_sql_ = quoted;
  return Status::Ok();
}

Status PostgresSink::AppendRejects(const std::vector<RejectedRecord>& rejects) {
  if (!in_transaction_ || rejects_table_sql_.empty()) {
    return InvalidArgument(Describe() + ": AppendRejects called before PrepareRejects");
  }
  if (broken_) return IoError(TableForMessages() + ": an earlier statement failed; roll back");
  const std::string insert =
      "INSERT INTO " + rejects_table_sql_ +
      " (stream_name, shard_id, sequence_number, subsequence_number, partition_key,"
      " arrival_time, payload, error, rejected_at)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  const std::string now = MicrosAsTimestampText(NowMicros(*clock_));
  for (const RejectedRecord& r : rejects) {
    const std::string stream = SanitizeText(r.stream);
    const std::string shard = SanitizeText(r.shard_id);
    const std::string sequence = SanitizeText(r.sequence_number);
    const std::string subsequence = std::to_string(r.subsequence_number);
    const std::string partition_key = SanitizeText(r.partition_key);
    const std::string arrival = MicrosAsTimestampText(r.arrival_time_us);
    const std::string payload = ByteaHex(r.payload);
    const std::string error = SanitizeText(r.error);
    KI_RETURN_IF_ERROR(
        Exec(insert,
             {stream.c_str(), shard.c_str(), sequence.c_str(),
              r.subsequence_number >= 0 ? subsequence.c_str() : nullptr, partition_key.c_str(),
              arrival.c_str(), payload.c_str(), error.c_str(), now.c_str()},
             Describe() + ": writing a rejected record of shard '" + r.shard_id + "'")
            .status());
  }
  return Status::Ok();
}

Status PostgresSink::Commit() {
  if (!in_transaction_) return InternalError(Describe() + ": Commit called before Begin");
  if (broken_) {
    Rollback();
    return IoError(TableForMessages() + ": an earlier statement failed; the run was rolled back");
  }
  PgResult result(PQexec(connection_.get(), "COMMIT"));
  const bool ok = result && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
  Status status = Status::Ok();
  if (!ok) {
    status = ErrorFrom(result.get(), TableForMessages() + ": COMMIT");
    if (PQstatus(connection_.get()) == CONNECTION_BAD) {
      // Lost while committing: the server may or may not have committed. Either way rows and
      // positions went together, so the next run resumes correctly.
      ErrorDetail detail = status.detail();
      detail.commit_outcome_unknown = true;
      status = Status::Error(status.kind(),
                             status.message() +
                                 "; the connection was lost during COMMIT, so the outcome is "
                                 "unknown: rows and positions were committed together or not at "
                                 "all, and the next run resumes correctly either way")
                   .WithDetail(std::move(detail));
    }
  } else if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") != 0) {
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
    status = IoError(TableForMessages() + ": PostgreSQL rolled the run back instead of "
                                          "committing it (an earlier statement failed)");
  }
  in_transaction_ = false;
  broken_ = false;
  locked_streams_.clear();
  rejects_table_sql_.clear();
  if (!status.ok() && PQstatus(connection_.get()) == CONNECTION_OK &&
      PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
    PgResult ignored(PQexec(connection_.get(), "ROLLBACK"));
  }
  return status;
}

void PostgresSink::Rollback() {
  if (!in_transaction_) return;
  if (connection_ && PQstatus(connection_.get()) == CONNECTION_OK) {
    PgResult ignored(PQexec(connection_.get(), "ROLLBACK"));
  }
  in_transaction_ = false;
  broken_ = false;
  locked_streams_.clear();
  rejects_table_sql_.clear();
}

}  // namespace ki
