// GetRecords response parsing (ParseGetRecordsResponse) on answers shaped like AWS's: 10,000
// sensor records (~60-byte payloads) or 1,000 records of ~1 KB, base64 Data, 56-digit sequence
// numbers, parsed in place as the reader does (the body's spare capacity is simdjson's padding).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>

#include "common/base64.h"
#include "kinesis/kinesis_client.h"

namespace ki {
namespace {

std::string Body(size_t records, size_t payload_bytes) {
  std::string body = "{\"Records\":[";
  for (size_t i = 0; i < records; ++i) {
    std::string payload = "{\"sensorId\": " + std::to_string(i + 1) + ", \"currentTemperature\": " +
                          std::to_string(static_cast<int>(i * 37 % 400) - 100) + ", \"status\": \"WARN\"";
    if (payload.size() + 12 < payload_bytes) payload += ", \"text\": \"" + std::string(payload_bytes - payload.size() - 12, 'x') + "\"";
    payload += "}";
    std::string seq = std::to_string(i + 1);
    seq = "49" + std::string(54 - seq.size(), '0') + seq;
    if (i) body += ',';
    body += "{\"SequenceNumber\":\"" + seq + "\",\"ApproximateArrivalTimestamp\":1764590000.123,\"Data\":\"" +
            Base64Encode(payload) + "\",\"PartitionKey\":\"pk-" + std::to_string(i % 97) + "\"}";
  }
  body += "],\"NextShardIterator\":\"AAAAAAAAAAF1bm9wYXF1ZS1pdGVyYXRvcg==\",\"MillisBehindLatest\":0}";
  return body;
}

void Parse(benchmark::State& state, size_t records, size_t payload_bytes) {
  std::string body = Body(records, payload_bytes);
  const size_t size = body.size();
  body.reserve(size + simdjson::SIMDJSON_PADDING);
  for (auto _ : state) {
    auto r = ParseGetRecordsResponse(body, /*padded=*/true);
    if (!r.ok() || r->records.size() != records) {
      state.SkipWithError("parse failed");
      return;
    }
    benchmark::DoNotOptimize(r->records.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_ParseGetRecordsSensor(benchmark::State& state) { Parse(state, 10000, 60); }
BENCHMARK(BM_ParseGetRecordsSensor)->Unit(benchmark::kMillisecond);
void BM_ParseGetRecordsEvent(benchmark::State& state) { Parse(state, 1000, 1100); }
BENCHMARK(BM_ParseGetRecordsEvent)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ki
