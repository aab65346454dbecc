// IsValidUtf8 (the DuckDB sink checks every text cell before appending) on the cells of a sensor
// row (a shard id, a 56-digit sequence number, a status word), against simdjson's validator alone.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "common/utf8.h"

namespace ki {
namespace {

std::vector<std::string> SensorCells() {
  std::vector<std::string> cells;
  for (int i = 0; i < 10000; ++i) {
    cells.push_back("shardId-00000000000" + std::to_string(i % 4));
    cells.push_back("49654321000000000000000000000000000000000000000000" + std::to_string(100000 + i));
    cells.push_back(i % 2 ? "WARN" : "OK");
  }
  return cells;
}

template <typename Validate>
void Run(benchmark::State& state, Validate validate) {
  const std::vector<std::string> cells = SensorCells();
  for (auto _ : state) {
    size_t ok = 0;
    for (const auto& c : cells) ok += validate(c);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * cells.size()));
}

void BM_IsValidUtf8SensorCells(benchmark::State& state) {
  Run(state, [](const std::string& c) { return IsValidUtf8(c); });
}
BENCHMARK(BM_IsValidUtf8SensorCells);
void BM_SimdjsonValidateUtf8SensorCells(benchmark::State& state) {
  Run(state, [](const std::string& c) { return simdjson::validate_utf8(c.data(), c.size()); });
}
BENCHMARK(BM_SimdjsonValidateUtf8SensorCells);

}  // namespace
}  // namespace ki
