#include "sink/sql_text.h"

#include <charconv>

namespace ki {

std::optional<int64_t> ParseSqlInt64(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int64_t v = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace ki
