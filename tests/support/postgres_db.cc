#include "postgres_db.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "sink/postgres/postgres_sql.h"

namespace ki::test {

std::string PostgresUrl() {
  const char* url = std::getenv("KI_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "KI_POSTGRES_URL is not set: run the integration tests through "
                     "scripts/test, which starts PostgreSQL";
    return "postgresql://nobody@127.0.0.1:9/none";
  }
  return url;
}

std::string PostgresCsv(const std::string& conninfo, const std::string& sql) {
  auto rows = RunPostgresSql(conninfo, sql);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().message();
  if (!rows.ok()) return "";
  std::string out;
  for (const auto& row : *rows) {
    for (size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + row[c].value_or("NULL");
    out += "\n";
  }
  return out;
}

std::string RandomSuffix() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return std::to_string(getpid()) + "_" + std::to_string(random() % 1000000) + "_" +
         std::to_string(counter++);
}

}  // namespace ki::test
