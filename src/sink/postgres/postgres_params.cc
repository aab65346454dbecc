#include "sink/postgres/postgres_params.h"

#include "common/civil_time.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "common/utf8.h"

namespace ki {

namespace {

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

// "YYYY-MM-DD"; returns whether the year is BC (year <= 0 is 1 - year BC in PostgreSQL), for the
// caller to append " BC" after the rest of the value.
inline bool AppendDate(std::string& out, int64_t days) {
  int64_t civil_year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &civil_year, &month, &day);  // common/civil_time.h, the one conversion
  const bool bc = civil_year <= 0;
  const int64_t year = bc ? 1 - civil_year : civil_year;
  if (year >= 10000) AppendSigned(out, year);
  else AppendPadded(out, year, 4);
  out.push_back('-');
  AppendPadded(out, month, 2);
  out.push_back('-');
  AppendPadded(out, day, 2);
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

}  // namespace

std::string PgTimestampText(int64_t micros) {
  std::string s;
  AppendTimestamp(s, micros);
  return s;
}

int64_t PgNowMicros(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock.Now().time_since_epoch())
      .count();
}

std::string PgSanitizeText(std::string_view s) {
  std::string out(s);
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  if (IsValidUtf8(out)) return out;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

std::string PgByteaHex(std::string_view bytes) {
  std::string out = "\\x";
  for (unsigned char b : bytes) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

}  // namespace ki
