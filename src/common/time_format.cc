#include "common/time_format.h"

#include <cstdio>

namespace ki {
namespace {

bool DateShaped(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// Why ParseTimestampText refused `s` (only called after it did).
const char* Reason(std::string_view s, bool out_of_range) {
  if (!DateShaped(s)) return "date must be YYYY-MM-DD";
  int64_t days;
  if (!ParseDatePrefix(s, &days)) {
    const int month = (s[5] - '0') * 10 + (s[6] - '0');
    return month < 1 || month > 12 ? "month out of range" : "day out of range";
  }
  if (out_of_range) return "outside years 0000..9999 UTC";
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return "expected 'T' after the date";
  size_t p = 11;
  int64_t time_of_day;
  if (!ParseTimeOfDay(s, &p, &time_of_day)) {
    return "time must be HH:MM[:SS[.fffffffff]], hours 00..23, minutes and seconds 00..59";
  }
  return "expected Z or an offset +HH[:MM] after the time, and nothing else";
}

}  // namespace

Result<int64_t> ParseIso8601Micros(std::string_view s) {
  int64_t micros;
  bool out_of_range = false;
  if (ParseTimestampText(s, &micros, &out_of_range)) return micros;
  return InvalidArgument("'" + std::string(s) + "' is not an ISO-8601 timestamp (" +
                         Reason(s, out_of_range) + "); expected e.g. 2024-05-01T12:00:00Z");
}

std::string FormatIso8601Millis(int64_t epoch_ms) {
  int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
  int ms = static_cast<int>(epoch_ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60), ms);
  return buf;
}

}  // namespace ki
