// Civil (proleptic Gregorian, UTC) dates, times of day and timestamps: the one place that converts
// between days since the epoch and year/month/day, parses ISO-8601 text and formats it. Used by
// the JSON decoder (DATE, TIME, TIMESTAMP(TZ) columns and their canonical text in LIST/STRUCT
// cells), by ParseIso8601Micros (--start-position at_timestamp:...), and by the sinks reading
// canonical text. The rules (docs/conversion.md):
//   date       "YYYY-MM-DD", a day that exists (leap years included), years 0000..9999
//   time       "HH:MM[:SS[.f...]]", '.' or ',' before 1..9 fraction digits; digits beyond
//              microseconds rounded half away from zero (a carry into the seconds is fine);
//              hours 00..23, minutes and seconds 00..59 (no leap second ":60")
//   timestamp  a date, optionally followed by 'T', 't' or ' ' and a time, optionally followed by
//              'Z'/'z' or an offset "+HH", "+HHMM", "+HH:MM" (or '-'; hours <= 23, minutes <= 59);
//              no offset means UTC; the UTC result must lie in years 0000..9999 (also after
//              rounding or applying the offset)
// Allocation-free except the Append* functions, which append to the caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ki {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// TIMESTAMP values (ISO text after its offset, epoch numbers) must lie in years 0000..9999: what
// the text form can spell, and a check that catches epoch values in the wrong unit (milliseconds
// read as seconds are ~55,000 years from now).
inline constexpr int64_t kMinTimestampMicros = -62'167'219'200LL * kMicrosPerSecond;   // 0000-01-01
inline constexpr int64_t kMaxTimestampMicros = 253'402'300'800LL * kMicrosPerSecond - 1;  // 9999-12-31

bool IsLeapYear(int64_t year);
int DaysInMonth(int64_t year, int month);  // month 1..12

// Days since 1970-01-01 for a proleptic Gregorian date (no validation; Howard Hinnant's
// days_from_civil) and its inverse (civil_from_days).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

// Parsers. On false the output is left unchanged.
// "YYYY-MM-DD" exactly.
bool ParseDateText(std::string_view text, int64_t* days_since_epoch);
// A timestamp as above, microseconds since the epoch (UTC). `*out_of_range` (when given) is set
// when the text is well-formed but outside years 0000..9999 UTC.
bool ParseTimestampText(std::string_view text, int64_t* micros_since_epoch,
                        bool* out_of_range = nullptr);
// A time of day as above, or "24:00:00"/"24:00" (the end of the day, as DuckDB and PostgreSQL
// allow), microseconds since midnight.
bool ParseTimeText(std::string_view text, int64_t* micros_since_midnight);

// Building blocks of the parsers: "YYYY-MM-DD" at the start of `text` (a valid day), and a time
// of day starting at *pos (advanced past it; "24:00" not included).
bool ParseDatePrefix(std::string_view text, int64_t* days_since_epoch);
bool ParseTimeOfDay(std::string_view text, size_t* pos, int64_t* micros_since_midnight);

// Formatters (the canonical text; inputs within years 0000..9999):
//   "YYYY-MM-DD"; "HH:MM:SS[.ffffff]" (fraction only when not zero);
//   "YYYY-MM-DDTHH:MM:SS[.ffffff]" followed by "Z" when utc_marker.
void AppendDateText(int64_t days_since_epoch, std::string* out);
void AppendTimeOfDayText(int64_t micros_since_midnight, std::string* out);
void AppendTimestampText(int64_t micros_since_epoch, bool utc_marker, std::string* out);

}  // namespace ki
