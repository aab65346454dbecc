#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "common/json_writer.h"

namespace ki {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::mutex g_mu;
std::string g_status_line;  // under g_mu; what is drawn below the log right now

constexpr const char* kClearLine = "\r\033[K";

const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warning";
    case LogLevel::kError: return "error";
    default: return "";
  }
}

// Writes one finished line, keeping the status line (if any) below it.
void WriteLine(const std::string& line) {
  std::lock_guard lock(g_mu);
  if (!g_status_line.empty()) std::fputs(kClearLine, stderr);
  std::fwrite(line.data(), 1, line.size(), stderr);
  if (!g_status_line.empty()) std::fputs(g_status_line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }
void SetLogFormat(LogFormat format) { g_format = static_cast<int>(format); }
LogFormat GetLogFormat() { return static_cast<LogFormat>(g_format.load()); }

std::string FormatJsonLogLine(int64_t epoch_ms, LogLevel level, std::string_view message, const LogFields& fields) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[40];
  size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  std::string out = "{\"time\":\"";
  out += ts;
  out += "\",\"level\":\"";
  out += Name(level);
  out += "\",\"message\":";
  AppendJsonString(out, message);
  auto field = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    out += ",\"";
    out += key;
    out += "\":";
    AppendJsonString(out, value);
  };
  field("stream", fields.stream);
  field("shard", fields.shard);
  field("sequence_number", fields.sequence_number);
  if (fields.error) {
    const ErrorDetail& d = *fields.error;
    field("aws_error_type", d.aws_error_type);
    field("request_id", d.request_id);
    if (d.http_status > 0) out += ",\"http_status\":" + std::to_string(d.http_status);
    field("sqlstate", d.sqlstate);
    out += std::string(",\"retriable\":") + (d.retriable ? "true" : "false");
  }
  out += "}";
  return out;
}

void Log(LogLevel level, std::string_view message) { Log(level, message, LogFields{}); }

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (!LogEnabled(level)) return;
  auto now = std::chrono::system_clock::now();
  if (GetLogFormat() == LogFormat::kJson) {
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    WriteLine(FormatJsonLogLine(ms, level, message, fields) + "\n");
    return;
  }
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%H:%M:%S", &tm);
  std::string line = std::string(ts) + " kinesis-import " + Name(level) + ": ";
  line.append(message);
  line += "\n";
  WriteLine(line);
}

void SetStatusLine(std::string_view line) {
  std::lock_guard lock(g_mu);
  if (line.empty() && g_status_line.empty()) return;
  std::fputs(kClearLine, stderr);
  g_status_line.assign(line);
  std::fputs(g_status_line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace ki
