// Diagnostics on stderr. Messages must never contain secrets (secret keys, session tokens,
// Authorization headers, passwords): callers log names and sizes, not credentials or headers.
#pragma once

#include <string_view>

namespace ki {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message);

}  // namespace ki
