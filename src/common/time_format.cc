#include "common/time_format.h"

#include <cstdio>

namespace ki {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
}  // namespace

Result<int64_t> ParseIso8601Micros(std::string_view s) {
  auto bad = [&](const char* why) {
    return InvalidArgument("'" + std::string(s) + "' is not an ISO-8601 timestamp (" + why +
                           "); expected e.g. 2024-05-01T12:00:00Z");
  };
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d))
    return bad("date must be YYYY-MM-DD");
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return bad("month out of range");
  int dim = kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0);
  if (d < 1 || d > dim) return bad("day out of range");
  size_t p = 10;
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return bad("expected 'T' after the date");
    ++p;
    if (!Digits(s, p, 2, h) || p + 2 >= s.size() || s[p + 2] != ':' || !Digits(s, p + 3, 2, mi))
      return bad("time must be HH:MM[:SS[.ffffff]]");
    p += 5;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, se)) return bad("seconds must be two digits");
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        int n = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          if (n < 6) frac_us = frac_us * 10 + (s[p] - '0');
          ++n;
          ++p;
        }
        if (n == 0) return bad("empty fraction");
        for (int k = n; k < 6; ++k) frac_us *= 10;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return bad("time out of range");
    if (p < s.size()) {
      if ((s[p] == 'Z' || s[p] == 'z') && p + 1 == s.size()) {
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        int oh, om = 0;
        int sign = s[p] == '-' ? -1 : 1;
        if (!Digits(s, p + 1, 2, oh)) return bad("offset must be +HH:MM");
        size_t q = p + 3;
        if (q < s.size() && s[q] == ':') ++q;
        if (q < s.size() && !Digits(s, q, 2, om)) return bad("offset must be +HH:MM");
        if (q < s.size()) q += 2;
        if (oh > 23 || om > 59) return bad("offset out of range");
        offset_s = sign * (oh * 3600 + om * 60);
        p = q;
      }
      if (p != s.size()) return bad("unexpected characters at the end");
    }
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000000 + frac_us;
}

std::string FormatIso8601Millis(int64_t epoch_ms) {
  int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
  int ms = static_cast<int>(epoch_ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60), ms);
  return buf;
}

}  // namespace ki
