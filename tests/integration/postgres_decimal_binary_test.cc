// The PostgreSQL sink encodes DECIMAL cells (scaled 64- and 128-bit integers) for binary COPY
// straight from the integer, without decimal text in between (postgres_copy_format.cc). Edge
// values (0, ±1, ±(10^38 - 1), powers of ten, values around 2^64, values whose base-10000 digits
// end in zero groups) at every scale 0..38 go through a real PostgreSQL (scripts/test,
// KI_POSTGRES_URL) and must come back as PostgreSQL's own text of the same value: the decimal
// text parsed by PostgreSQL into the same numeric(p,s), and its binary form (numeric_send).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/decimal.h"
#include "postgres_db.h"
#include "sink/postgres/postgres_sink.h"

namespace ki {
namespace {

using test::PostgresCsv;
using test::PostgresUrl;
using test::RandomSuffix;

constexpr int kMaxScale = 38;
constexpr int kMaxScale64 = 18;

// Magnitudes below 10^38: small ones, powers of ten (many trailing zero groups at any scale),
// the 64-bit boundaries, and the largest values of DECIMAL(18) and DECIMAL(38).
std::vector<unsigned __int128> Magnitudes() {
  std::vector<unsigned __int128> m = {0, 1, 9, 10, 99, 999, 9999, 10000, 10001, 12345678,
                                      100000000, 5000, 50000};
  for (int k : {12, 16, 17, 18, 19, 20, 24, 32, 36, 37}) m.push_back(PowerOfTen(k));
  m.push_back(PowerOfTen(18) - 1);
  m.push_back(PowerOfTen(38) - 1);
  m.push_back(5 * PowerOfTen(37));
  m.push_back(PowerOfTen(36) * 12);  // 1.2e37: nine trailing zero groups
  const auto u64_max = static_cast<unsigned __int128>(~uint64_t{0});
  for (auto v : {u64_max - 1, u64_max, u64_max + 1, u64_max * 10000}) m.push_back(v);
  unsigned __int128 digits = 0;  // 1234567890123456789012345678901234567 (37 digits)
  for (int i = 0; i < 37; ++i) digits = digits * 10 + static_cast<unsigned>((i + 1) % 10);
  m.push_back(digits);
  return m;
}

TEST(PostgresDecimalBinaryTest, ScaledIntegersRoundTripAsPostgresOwnValueAtEveryScale) {
  const std::string url = PostgresUrl();
  const std::string schema = "ki_decimal_" + RandomSuffix();
  // v<s> numeric(38,s): Cell.i128; n<s> numeric(18,s): Cell.i64; l numeric(38,7)[]: the array
  // encoder's DECIMAL elements.
  std::string columns = "id int4";
  for (int s = 0; s <= kMaxScale; ++s) {
    columns += ", v" + std::to_string(s) + " numeric(38," + std::to_string(s) + ")";
  }
  for (int s = 0; s <= kMaxScale64; ++s) {
    columns += ", n" + std::to_string(s) + " numeric(18," + std::to_string(s) + ")";
  }
  columns += ", l numeric(38,7)[]";
  PostgresCsv(url, "CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".t (" + columns + ")");

  std::vector<__int128> values;
  for (unsigned __int128 m : Magnitudes()) {
    values.push_back(static_cast<__int128>(m));
    if (m != 0) values.push_back(-static_cast<__int128>(m));
  }
  const unsigned __int128 max64 = PowerOfTen(18) - 1;

  {
    auto sink = PostgresSink::Open(url);
    ASSERT_TRUE(sink.ok()) << sink.status().message();
    auto table = (*sink)->DescribeTable(schema + ".t");
    ASSERT_TRUE(table.ok()) << table.status().message();
    ASSERT_EQ(table->columns.size(), 1u + (kMaxScale + 1) + (kMaxScale64 + 1) + 1);
    ASSERT_EQ(table->columns[1].decimal_width, 38);
    ASSERT_EQ(table->columns[kMaxScale + 2].decimal_width, 18);
    RowBatch batch(table->columns.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const __int128 v = values[i];
      const unsigned __int128 magnitude = v < 0 ? -static_cast<unsigned __int128>(v) : v;
      const size_t r = batch.AddRow();
      size_t c = 0;
      batch.Set(r, c++).i64 = static_cast<int64_t>(i);
      for (int s = 0; s <= kMaxScale; ++s) batch.Set(r, c++).i128 = v;
      for (int s = 0; s <= kMaxScale64; ++s) {
        if (magnitude <= max64) {
          batch.Set(r, c).i64 = static_cast<int64_t>(v);
        } else {
          batch.SetNull(r, c);
        }
        ++c;
      }
      batch.SetString(r, c++, "[" + FormatDecimal(v, 7) + "]");
    }
    ASSERT_TRUE((*sink)->Begin(*table).ok());
    Status appended = (*sink)->Append(batch);
    ASSERT_TRUE(appended.ok()) << appended.message();
    Status committed = (*sink)->Commit();
    ASSERT_TRUE(committed.ok()) << committed.message();
  }

  // Per row: what the sink stored (text and numeric_send) next to what PostgreSQL makes of the
  // decimal text of the same scaled integer.
  for (size_t i = 0; i < values.size(); ++i) {
    const __int128 v = values[i];
    const unsigned __int128 magnitude = v < 0 ? -static_cast<unsigned __int128>(v) : v;
    std::string got = "SELECT ";
    std::string want = "SELECT ";
    auto add = [&](const std::string& column, const std::string& type, int scale) {
      const std::string text = FormatDecimal(v, static_cast<uint8_t>(scale));
      got += column + "::text, encode(numeric_send(" + column + "), 'hex'), ";
      want += "'" + text + "'::" + type + "::text, encode(numeric_send('" + text + "'::" + type +
              "), 'hex'), ";
    };
    for (int s = 0; s <= kMaxScale; ++s) {
      add("v" + std::to_string(s), "numeric(38," + std::to_string(s) + ")", s);
    }
    for (int s = 0; s <= kMaxScale64 && magnitude <= max64; ++s) {
      add("n" + std::to_string(s), "numeric(18," + std::to_string(s) + ")", s);
    }
    add("l[1]", "numeric(38,7)", 7);
    got += "array_length(l, 1) FROM " + schema + ".t WHERE id = " + std::to_string(i);
    want += "1";
    const std::string stored = PostgresCsv(url, got);
    const std::string expected = PostgresCsv(url, want);
    EXPECT_EQ(stored, expected) << "value " << FormatDecimal(v, 0);
    if (v == 1) {  // PostgreSQL's text keeps every scale's zeros
      EXPECT_NE(stored.find(",0.00000000000000000000000000000000000001,"), std::string::npos)
          << stored;
    }
  }
  // NULLs where DECIMAL(18) cannot hold the value, and nothing else.
  const size_t too_wide = [&] {
    size_t n = 0;
    for (__int128 v : values) n += (v < 0 ? -static_cast<unsigned __int128>(v) : v) > max64;
    return n;
  }();
  EXPECT_EQ(PostgresCsv(url, "SELECT count(*) FROM " + schema + ".t WHERE n0 IS NULL"),
            std::to_string(too_wide) + "\n");
  EXPECT_EQ(PostgresCsv(url, "SELECT count(*) FROM " + schema + ".t"),
            std::to_string(values.size()) + "\n");
  PostgresCsv(url, "DROP SCHEMA " + schema + " CASCADE");
}

}  // namespace
}  // namespace ki
