#include "common/civil_time.h"

#include <algorithm>

namespace ki {
namespace {

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

void AppendDigits(int64_t v, int width, std::string* out) {
  char digits[24];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

}  // namespace

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

bool ParseDatePrefix(std::string_view s, int64_t* days) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !ParseFixedDigits(s, 0, 4, &y) ||
      !ParseFixedDigits(s, 5, 2, &m) || !ParseFixedDigits(s, 8, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool ParseDateText(std::string_view s, int64_t* days) {
  return s.size() == 10 && ParseDatePrefix(s, days);
}

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

bool ParseTimestampText(std::string_view s, int64_t* micros, bool* out_of_range) {
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
  const int64_t v = days * kMicrosPerDay + time_of_day - offset_seconds * kMicrosPerSecond;
  if (v < kMinTimestampMicros || v > kMaxTimestampMicros) {
    if (out_of_range != nullptr) *out_of_range = true;
    return false;
  }
  *micros = v;
  return true;
}

bool ParseTimeText(std::string_view s, int64_t* micros) {
  if (s == "24:00:00" || s == "24:00") {  // the end of the day, as DuckDB and PostgreSQL allow
    *micros = kMicrosPerDay;
    return true;
  }
  size_t p = 0;
  return ParseTimeOfDay(s, &p, micros) && p == s.size();
}

void AppendDateText(int64_t days, std::string* out) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  AppendDigits(y, 4, out);
  out->push_back('-');
  AppendDigits(m, 2, out);
  out->push_back('-');
  AppendDigits(d, 2, out);
}

void AppendTimeOfDayText(int64_t micros, std::string* out) {
  const int64_t seconds = micros / kMicrosPerSecond;
  const int64_t fraction = micros % kMicrosPerSecond;
  AppendDigits(seconds / 3600, 2, out);
  out->push_back(':');
  AppendDigits(seconds / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(seconds % 60, 2, out);
  if (fraction != 0) {
    out->push_back('.');
    AppendDigits(fraction, 6, out);
  }
}

void AppendTimestampText(int64_t micros, bool utc_marker, std::string* out) {
  int64_t days = micros / kMicrosPerDay;
  int64_t time_of_day = micros % kMicrosPerDay;
  if (time_of_day < 0) {
    time_of_day += kMicrosPerDay;
    --days;
  }
  AppendDateText(days, out);
  out->push_back('T');
  AppendTimeOfDayText(time_of_day, out);
  if (utc_marker) out->push_back('Z');
}

}  // namespace ki
