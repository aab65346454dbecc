// Reading the text both sinks get back from small catalog and positions queries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ki {

// The whole text as a 64-bit integer; nullopt for NULL or anything else.
std::optional<int64_t> ParseSqlInt64(const std::optional<std::string>& text);

}  // namespace ki
