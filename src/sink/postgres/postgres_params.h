// Text for the parameters of the PostgreSQL sink's positions and rejects statements (text
// protocol): timestamps, text sanitised for a text column, bytea as hex. Not the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace ki {

// Microseconds since the epoch (UTC) -> "YYYY-MM-DD HH:MM:SS.ffffff[ BC]" (timestamp input).
std::string PgTimestampText(int64_t micros);
// The clock's time in microseconds since the epoch.
int64_t PgNowMicros(const Clock& clock);
// Text that can go into a text parameter: UTF-8 (invalid bytes become '?') without NUL bytes.
std::string PgSanitizeText(std::string_view s);
// bytea input in hex: "\x0a1b...".
std::string PgByteaHex(std::string_view bytes);

}  // namespace ki
