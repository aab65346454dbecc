#pragma once

#include <string_view>

namespace ki {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace ki
