// ISO-8601 timestamps for command-line options and output. The parsing rules are those of
// common/civil_time.h (the same as a TIMESTAMP column's, docs/conversion.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/civil_time.h"
#include "common/status.h"

namespace ki {

// "2024-02-29", "2024-02-29T10:11:12", "2024-02-29T10:11:12.123456Z", "...+02:00", space instead
// of 'T' accepted. No offset means UTC. Exactly what ParseTimestampText accepts (fractions beyond
// microseconds rounded, no ":60", years 0000..9999 UTC). Returns microseconds since the Unix
// epoch; kInvalidArgument naming the text and the reason otherwise.
Result<int64_t> ParseIso8601Micros(std::string_view text);

// "2024-02-29T10:11:12.123Z"
std::string FormatIso8601Millis(int64_t epoch_ms);

}  // namespace ki
