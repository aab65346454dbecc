#include "datasets.h"

#include <cinttypes>
#include <cstdio>

namespace replay {
namespace {

// splitmix64: a cheap, well-mixed hash of the record index, so values vary without a shared
// random generator (records are rendered on several threads).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <typename... Args>
void Appendf(std::string& out, const char* format, Args... args) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, format, args...);
  out.append(buf, static_cast<size_t>(n));
}

constexpr const char* kStatus[] = {"OK", "WARN", "ERROR"};
constexpr const char* kEventTypes[] = {"page_view", "add_to_cart", "checkout", "search", "login", "logout"};
constexpr const char* kDevices[] = {"mobile", "desktop", "tablet", "tv"};
constexpr const char* kOs[] = {"iOS 18.1", "Android 15", "Windows 11", "macOS 15.2", "Linux"};
constexpr const char* kCountries[] = {"DE", "US", "FR", "JP", "BR", "IN", "NG", "AU"};
constexpr const char* kCurrencies[] = {"EUR", "USD", "JPY", "BRL"};
constexpr const char* kLocales[] = {"de-DE", "en-US", "fr-FR", "ja-JP", "pt-BR"};
constexpr const char* kTags[] = {"promo", "returning", "beta", "mobile-web", "newsletter", "vip", "trial"};

void AppendSensor(uint64_t index, std::string& out) {
  uint64_t h = Mix(index);
  Appendf(out, "{\"sensorId\": %" PRIu64 ", \"currentTemperature\": %d, \"status\": \"%s\"}",
          index + 1, static_cast<int>(h % 400) - 100, kStatus[(h >> 20) % 3]);
}

void AppendEvent(uint64_t index, std::string& out) {
  uint64_t h = Mix(index), g = Mix(h);
  // 2026-01-01T00:00:00Z plus about a second per record.
  int64_t seconds = 1767225600 + static_cast<int64_t>(index) + static_cast<int64_t>(h % 1000);
  int64_t day = seconds / 86400, sod = seconds % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, public domain maths).
  int64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  out += '{';
  Appendf(out, "\"eventId\": \"%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64 "\", ",
          h >> 32, (h >> 16) & 0xffff, h & 0xfff, g & 0xfff, g >> 16);
  Appendf(out, "\"eventType\": \"%s\", ", kEventTypes[h % 6]);
  Appendf(out, "\"eventTime\": \"%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRIu64 "Z\", ",
          y, m, d, sod / 3600, sod / 60 % 60, sod % 60, g % 1000);
  Appendf(out, "\"sequence\": %" PRIu64 ", ", index + 1);
  Appendf(out, "\"userId\": %" PRIu64 ", ", 100000 + h % 900000);
  Appendf(out, "\"sessionId\": \"s-%016" PRIx64 "\", ", g);
  Appendf(out, "\"deviceType\": \"%s\", ", kDevices[(h >> 8) % 4]);
  Appendf(out, "\"os\": \"%s\", ", kOs[(h >> 12) % 5]);
  Appendf(out, "\"appVersion\": \"%d.%d.%d\", ", 3 + static_cast<int>(g % 3), static_cast<int>((g >> 4) % 20), static_cast<int>((g >> 9) % 100));
  Appendf(out, "\"country\": \"%s\", ", kCountries[(h >> 16) % 8]);
  Appendf(out, "\"latitude\": %.5f, ", static_cast<double>(h % 18000000) / 100000.0 - 90.0);
  Appendf(out, "\"longitude\": %.5f, ", static_cast<double>(g % 36000000) / 100000.0 - 180.0);
  Appendf(out, "\"amount\": %" PRIu64 ".%02" PRIu64 ", ", (h >> 24) % 5000, (h >> 40) % 100);
  Appendf(out, "\"currency\": \"%s\", ", kCurrencies[(g >> 20) % 4]);
  Appendf(out, "\"quantity\": %d, ", 1 + static_cast<int>((g >> 28) % 12));
  Appendf(out, "\"isPremium\": %s, ", (h >> 33) & 1 ? "true" : "false");
  Appendf(out, "\"isTest\": %s, ", (g >> 35) % 50 == 0 ? "true" : "false");
  Appendf(out, "\"durationMs\": %" PRIu64 ", ", (g >> 36) % 120000);
  Appendf(out, "\"score\": %.4f, ", static_cast<double>((h >> 44) % 100000) / 1000.0);
  Appendf(out, "\"referrer\": \"https://www.example.com/landing/%s?utm_source=newsletter&utm_campaign=c%04" PRIu64 "\", ",
          kTags[(g >> 40) % 7], (g >> 44) % 10000);
  Appendf(out, "\"userAgent\": \"Mozilla/5.0 (%s; rv:%d.0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15\", ",
          kOs[(h >> 12) % 5], 100 + static_cast<int>(g % 40));
  Appendf(out, "\"context\": {\"ip\": \"10.%d.%d.%d\", \"locale\": \"%s\", \"screen\": {\"width\": %d, \"height\": %d}, \"experiment\": \"exp-%d\", \"consent\": %s}, ",
          static_cast<int>(h & 255), static_cast<int>((h >> 8) & 255), static_cast<int>((h >> 48) & 255),
          kLocales[(g >> 8) % 5], 360 + static_cast<int>(h % 2200), 640 + static_cast<int>(g % 800),
          static_cast<int>((h >> 50) % 64), (g >> 50) & 1 ? "true" : "false");
  out += "\"tags\": [";
  int tags = 1 + static_cast<int>((h >> 52) % 4);
  for (int t = 0; t < tags; ++t) Appendf(out, "%s\"%s\"", t ? ", " : "", kTags[(g >> (t * 3)) % 7]);
  out += "], ";
  // Free text, so that the record is about 1 KB like a typical clickstream event.
  Appendf(out, "\"message\": \"User %" PRIu64 " completed %s on %s after %" PRIu64 " ms; cart holds %d items, "
          "recommendation slot %d shown, search terms were 'winter jacket size %d', "
          "page rendered by edge node fra-%02d, cache status %s, feature flags checkout_v2 and "
          "fast_search enabled, no client errors reported during the session.\"}",
          100000 + h % 900000, kEventTypes[h % 6], kDevices[(h >> 8) % 4], (g >> 36) % 120000,
          1 + static_cast<int>((g >> 28) % 12), static_cast<int>(h % 9), 36 + static_cast<int>(g % 12),
          static_cast<int>(g % 40), (h >> 60) & 1 ? "HIT" : "MISS");
}

}  // namespace

std::optional<Dataset> ParseDataset(std::string_view name) {
  if (name == "sensor") return Dataset::kSensor;
  if (name == "event") return Dataset::kEvent;
  return std::nullopt;
}

void AppendPayload(Dataset dataset, uint64_t index, std::string& out) {
  if (dataset == Dataset::kSensor) AppendSensor(index, out);
  else AppendEvent(index, out);
}

namespace {

struct Column {
  const char* name;
  const char* type;  // DuckDB spelling
};

// The seed's columns plus its two metadata columns, then the event's 24 fields, in payload order.
constexpr Column kSensorColumns[] = {
    {"sensorId", "DECIMAL(18,0)"}, {"currentTemperature", "DECIMAL(18,0)"}, {"status", "VARCHAR(100)"}};
constexpr Column kEventColumns[] = {
    {"eventId", "UUID"}, {"eventType", "VARCHAR"}, {"eventTime", "TIMESTAMPTZ"}, {"sequence", "BIGINT"},
    {"userId", "BIGINT"}, {"sessionId", "VARCHAR"}, {"deviceType", "VARCHAR"}, {"os", "VARCHAR"},
    {"appVersion", "VARCHAR"}, {"country", "VARCHAR"}, {"latitude", "DOUBLE"}, {"longitude", "DOUBLE"},
    {"amount", "DECIMAL(12,2)"}, {"currency", "VARCHAR"}, {"quantity", "INTEGER"}, {"isPremium", "BOOLEAN"},
    {"isTest", "BOOLEAN"}, {"durationMs", "BIGINT"}, {"score", "DOUBLE"}, {"referrer", "VARCHAR"},
    {"userAgent", "VARCHAR"},
    {"context", "STRUCT(ip VARCHAR, locale VARCHAR, screen STRUCT(width INTEGER, height INTEGER), "
                "experiment VARCHAR, consent BOOLEAN)"},
    {"tags", "VARCHAR[]"}, {"message", "VARCHAR"}};
constexpr Column kMetadataColumns[] = {{"kinesis_shard_id", "VARCHAR(2000)"},
                                       {"shard_sequence_number", "VARCHAR(2000)"}};

template <typename F>
void ForEachColumn(Dataset dataset, F f) {
  if (dataset == Dataset::kSensor) for (const auto& c : kSensorColumns) f(c);
  else for (const auto& c : kEventColumns) f(c);
  for (const auto& c : kMetadataColumns) f(c);
}

}  // namespace

std::string DuckDbTableSql(Dataset dataset, std::string_view table) {
  std::string sql = "CREATE TABLE " + std::string(table) + "(";
  bool first = true;
  ForEachColumn(dataset, [&](const Column& c) {
    sql += first ? "" : ", ";
    sql += std::string(c.name) + " " + c.type;
    first = false;
  });
  return sql + ")";
}

std::string DuckDbReadJsonColumns(Dataset dataset) {
  std::string out = "{";
  bool first = true;
  ForEachColumn(dataset, [&](const Column& c) {
    out += first ? "" : ", ";
    out += std::string(c.name) + ": '" + c.type + "'";
    first = false;
  });
  return out + "}";
}

}  // namespace replay
