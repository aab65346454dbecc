// Minimal JSON text building for request bodies (the API's inputs are flat and few).
#pragma once

#include <string>
#include <string_view>

namespace ki {

// Appends `s` as a quoted JSON string with the required escapes.
void AppendJsonString(std::string& out, std::string_view s);
std::string JsonString(std::string_view s);

}  // namespace ki
