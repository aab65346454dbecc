// Diagnostics on stderr. Messages must never contain secrets (secret keys, session tokens,
// Authorization headers, passwords): callers log names and sizes, not credentials or headers.
// Two formats: text (the default, "HH:MM:SS kinesis-import level: message") and JSON lines for
// log shippers. A live status line (the progress display) may sit below the log: every log line
// clears it first and redraws it after, under one lock, so the two never interleave.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ki {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class LogFormat { kText, kJson };

// What a log line is about, when known: JSON lines carry these as fields of their own (text lines
// show only the message, which already names them).
struct LogFields {
  std::string stream;
  std::string shard;
  std::string sequence_number;
  std::optional<ErrorDetail> error;  // aws_error_type, http_status, sqlstate, retriable
};

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();
void Log(LogLevel level, std::string_view message);
void Log(LogLevel level, std::string_view message, const LogFields& fields);

// The JSON line (without its newline) Log writes in LogFormat::kJson; `epoch_ms` is its time.
std::string FormatJsonLogLine(int64_t epoch_ms, LogLevel level, std::string_view message, const LogFields& fields);

// The live status line on stderr (a terminal): drawn in place ("\r", clear to end of line) and
// kept below log lines. An empty line removes it.
void SetStatusLine(std::string_view line);

}  // namespace ki
