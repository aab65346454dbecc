// Sink throughput: Append + Commit of 100,000 rows of the seed sensor table (two DECIMAL(18,0),
// three VARCHAR, one of them a 56-digit sequence number) in 10,000-row batches, rows/s.
//   - DuckDB: a file in a temporary directory.
//   - PostgreSQL (only when KI_POSTGRES_URL is set, e.g. from scripts/lib/postgres.sh; skipped
//     otherwise): the sink (COPY in binary format), and for the format decision the bare libpq
//     COPY of the same rows in text and in binary format, without the sink around it.
// Run: KI_POSTGRES_URL=... build/micro_benchmarks --benchmark_filter='Sink|Bare'
//        --benchmark_repetitions=6 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "sink/duckdb/duckdb_sink.h"
#include "sink/duckdb/duckdb_sql.h"
#include "sink/postgres/postgres_handles.h"
#include "sink/postgres/postgres_sink.h"
#include "sink/postgres/postgres_sql.h"

namespace ki {
namespace {

constexpr int64_t kRows = 100000;
constexpr int64_t kBatchRows = 10000;
constexpr char kSequenceBase[] = "4959033827149025660855969253836157109592157598913658";

std::vector<RowBatch> SeedBatches() {
  static const char* kStatus[] = {"OK", "WARN", "FAIL"};
  std::vector<RowBatch> batches;
  for (int64_t first = 0; first < kRows; first += kBatchRows) {
    RowBatch batch(5);
    for (int64_t i = first; i < first + kBatchRows; ++i) {
      const size_t r = batch.AddRow();
      batch.Set(r, 0).i64 = i;
      batch.Set(r, 1).i64 = 50 + (i * 7) % 150;
      batch.SetString(r, 2, kStatus[i % 3]);
      batch.SetString(r, 3, "shardId-00000000000" + std::to_string(i % 4));
      batch.SetString(r, 4, kSequenceBase + std::to_string(1000 + i % 9000));
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

constexpr char kSeedColumns[] =
    " (sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), status VARCHAR(100), "
    "kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))";

void RunSinkIterations(benchmark::State& state, Sink& sink, const std::string& table,
                       const std::function<void()>& empty_table) {
  const std::vector<RowBatch> batches = SeedBatches();
  auto schema = sink.DescribeTable(table);
  if (!schema.ok()) return state.SkipWithError(schema.status().message().c_str());
  for (auto _ : state) {
    Status st = sink.Begin(*schema);
    for (const RowBatch& b : batches) {
      if (st.ok()) st = sink.Append(b);
    }
    if (st.ok()) st = sink.Commit();
    if (!st.ok()) return state.SkipWithError(st.message().c_str());
    state.PauseTiming();
    empty_table();
    state.ResumeTiming();
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(kRows), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DuckDbSinkAppendCommit(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / "ki_sink_bench_XXXXXX";
  std::string templ = dir;
  if (mkdtemp(templ.data()) == nullptr) return state.SkipWithError("mkdtemp failed");
  const std::string path = templ + "/bench.duckdb";
  (void)RunDuckDbSql(path, std::string("CREATE TABLE seed") + kSeedColumns, SqlOutputFormat::kCsv);
  {
    auto sink = DuckDbSink::Open(path);
    if (!sink.ok()) return state.SkipWithError(sink.status().message().c_str());
    // The file stays open in the sink (DuckDB: one handle per file and process), so rows
    // accumulate across iterations; appending does not get slower as the table grows.
    RunSinkIterations(state, **sink, "seed", [] {});
  }
  std::filesystem::remove_all(templ);
}
BENCHMARK(BM_DuckDbSinkAppendCommit)->Unit(benchmark::kMillisecond)->UseRealTime();

// A schema of its own on KI_POSTGRES_URL with the seed table, dropped at the end.
struct PostgresBenchSchema {
  std::string url;
  std::string schema;
  bool ok = false;
  PostgresBenchSchema() {
    const char* u = std::getenv("KI_POSTGRES_URL");
    if (u == nullptr || *u == '\0') return;
    url = u;
    schema = "ki_bench_" + std::to_string(getpid());
    ok = RunPostgresSql(url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " +
                                 schema + "; CREATE TABLE " + schema + ".seed" + kSeedColumns)
             .ok();
  }
  ~PostgresBenchSchema() {
    if (ok) (void)RunPostgresSql(url, "DROP SCHEMA " + schema + " CASCADE");
  }
  void Truncate() const { (void)RunPostgresSql(url, "TRUNCATE " + schema + ".seed"); }
};

void BM_PostgresSinkAppendCommit(benchmark::State& state) {
  PostgresBenchSchema pg;
  if (!pg.ok) return state.SkipWithError("KI_POSTGRES_URL is not set (or not usable)");
  auto sink = PostgresSink::Open(pg.url);
  if (!sink.ok()) return state.SkipWithError(sink.status().message().c_str());
  RunSinkIterations(state, **sink, pg.schema + ".seed", [&] { pg.Truncate(); });
}
BENCHMARK(BM_PostgresSinkAppendCommit)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- The format decision: bare COPY of the same rows, text vs binary ---

void PutInt16(std::string& out, int16_t v) {
  const uint16_t n = htons(static_cast<uint16_t>(v));
  out.append(reinterpret_cast<const char*>(&n), 2);
}
void PutInt32(std::string& out, int32_t v) {
  const uint32_t n = htonl(static_cast<uint32_t>(v));
  out.append(reinterpret_cast<const char*>(&n), 4);
}

// numeric's binary form for a non-negative integer: ndigits, weight, sign, dscale, then
// base-10000 digits, most significant first.
void PutNumeric(std::string& out, int64_t v) {
  int16_t digits[8];
  int n = 0;
  for (int64_t x = v; x > 0; x /= 10000) digits[n++] = static_cast<int16_t>(x % 10000);
  PutInt32(out, 8 + 2 * n);
  PutInt16(out, static_cast<int16_t>(n));
  PutInt16(out, static_cast<int16_t>(n - 1));
  PutInt16(out, 0);
  PutInt16(out, 0);
  for (int i = n - 1; i >= 0; --i) PutInt16(out, digits[i]);
}

void PutText(std::string& out, std::string_view s) {
  PutInt32(out, static_cast<int32_t>(s.size()));
  out.append(s);
}

void EncodeBinary(const RowBatch& b, std::string& out) {
  for (size_t r = 0; r < b.num_rows(); ++r) {
    PutInt16(out, 5);
    PutNumeric(out, b.Get(r, 0).i64);
    PutNumeric(out, b.Get(r, 1).i64);
    for (size_t c = 2; c < 5; ++c) PutText(out, b.GetString(r, c));
  }
}

void EncodeText(const RowBatch& b, std::string& out) {
  for (size_t r = 0; r < b.num_rows(); ++r) {
    out += std::to_string(b.Get(r, 0).i64);
    out += '\t';
    out += std::to_string(b.Get(r, 1).i64);
    for (size_t c = 2; c < 5; ++c) {
      out += '\t';
      out += b.GetString(r, c);  // no characters that need escaping in this data
    }
    out += '\n';
  }
}

void BareCopy(benchmark::State& state, bool binary) {
  PostgresBenchSchema pg;
  if (!pg.ok) return state.SkipWithError("KI_POSTGRES_URL is not set (or not usable)");
  PgConnection conn(PQconnectdb(pg.url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) return state.SkipWithError("cannot connect");
  const std::vector<RowBatch> batches = SeedBatches();
  const std::string copy = "COPY " + pg.schema + ".seed FROM STDIN" +
                           (binary ? " (FORMAT binary)" : "");
  std::string buffer;
  for (auto _ : state) {
    PgResult begin(PQexec(conn.get(), "BEGIN"));
    for (const RowBatch& b : batches) {
      PgResult start(PQexec(conn.get(), copy.c_str()));
      if (PQresultStatus(start.get()) != PGRES_COPY_IN) return state.SkipWithError("COPY failed");
      buffer.clear();
      if (binary) buffer.append("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
      if (binary) EncodeBinary(b, buffer);
      else EncodeText(b, buffer);
      if (binary) PutInt16(buffer, -1);
      for (size_t at = 0; at < buffer.size(); at += 256 * 1024) {
        const size_t n = std::min<size_t>(256 * 1024, buffer.size() - at);
        PQputCopyData(conn.get(), buffer.data() + at, static_cast<int>(n));
      }
      PQputCopyEnd(conn.get(), nullptr);
      while (PgResult r{PQgetResult(conn.get())}) {
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
          return state.SkipWithError(PQresultErrorMessage(r.get()));
        }
      }
    }
    PgResult commit(PQexec(conn.get(), "COMMIT"));
    state.PauseTiming();
    pg.Truncate();
    state.ResumeTiming();
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(kRows), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_PostgresBareCopyText(benchmark::State& state) { BareCopy(state, false); }
void BM_PostgresBareCopyBinary(benchmark::State& state) { BareCopy(state, true); }
BENCHMARK(BM_PostgresBareCopyText)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PostgresBareCopyBinary)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace ki
