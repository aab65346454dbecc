// ISO-8601 timestamps for command-line options and output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ki {

// "2024-02-29", "2024-02-29T10:11:12", "2024-02-29T10:11:12.123456Z", "...+02:00", space instead
// of 'T' accepted. No offset means UTC. Returns microseconds since the Unix epoch.
Result<int64_t> ParseIso8601Micros(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date (no validation).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// "2024-02-29T10:11:12.123Z"
std::string FormatIso8601Millis(int64_t epoch_ms);

}  // namespace ki
