// The hot path without the network: GetRecords response bodies -> parsed records -> decoded rows
// -> DuckDB appender -> COMMIT, on one thread. This is the figure to compare with DuckDB's own
// read_json of the same rows (bench/import_bench.sh prints that yardstick).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/base64.h"
#include "common/json_writer.h"
#include "decode/payload_decoder.h"
#include "kinesis/kinesis_client.h"
#include "sink/duckdb/duckdb_sink.h"
#include "sink/duckdb/duckdb_sql.h"

namespace ki {
namespace {

constexpr int kRecordsPerBody = 10000;

// A GetRecords body like kinesalite's: 10,000 small sensor records.
std::string MakeBody(int batch) {
  std::string body = "{\"Records\":[";
  for (int i = 0; i < kRecordsPerBody; ++i) {
    int id = batch * kRecordsPerBody + i;
    std::string data = "{\"sensorId\": " + std::to_string(id % 1000) + ", \"currentTemperature\": " +
                       std::to_string(100 + id % 77) + ", \"status\": \"" + (id % 5 ? "OK" : "WARN") + "\"}";
    if (i) body += ',';
    body += "{\"SequenceNumber\":\"4968056348477015449510730541132998215468759750085" + std::to_string(1000000 + id) +
            "\",\"ApproximateArrivalTimestamp\":1764100000.123,\"Data\":\"" + Base64Encode(data) +
            "\",\"PartitionKey\":\"" + std::to_string(id) + "\"}";
  }
  body += "],\"NextShardIterator\":\"AAAA\",\"MillisBehindLatest\":0}";
  return body;
}

void BM_GetRecordsBodiesToCommittedDuckDbRows(benchmark::State& state) {
  const int bodies_per_run = static_cast<int>(state.range(0));
  std::vector<std::string> bodies;
  for (int b = 0; b < bodies_per_run; ++b) bodies.push_back(MakeBody(b));
  std::string dir = "/tmp/ki-pipeline-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/bench.duckdb";
  auto created = RunDuckDbSql(path,
                              "CREATE TABLE kinesis_table(sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), "
                              "status VARCHAR(100), kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))",
                              SqlOutputFormat::kCsv);
  if (!created.ok()) {
    state.SkipWithError(created.status().message().c_str());
    return;
  }
  auto sink = DuckDbSink::Open(path);
  if (!sink.ok()) {
    state.SkipWithError(sink.status().message().c_str());
    return;
  }
  auto schema = (*sink)->DescribeTable("kinesis_table");
  auto decoder = PayloadDecoder::Create(*schema, DecoderOptions{}, PayloadOptions{});
  if (!decoder.ok()) {
    state.SkipWithError(decoder.status().message().c_str());
    return;
  }
  RowBatch batch(schema->columns.size());
  auto on_bad = [](const BadUserRecord&) { return false; };
  int64_t rows = 0;
  for (auto _ : state) {
    if (!(*sink)->Begin(*schema).ok()) state.SkipWithError("begin failed");
    for (const auto& body : bodies) {
      auto parsed = ParseGetRecordsResponse(body);
      batch.Clear();
      for (const auto& rec : parsed->records) {
        PayloadRecord pr{"shardId-000000000000", rec.sequence_number, rec.partition_key,
                         rec.arrival_time_ms * 1000, rec.data};
        auto outcome = decoder->Decode(pr, -1, 1, batch, on_bad);
        if (!outcome.ok() || outcome->rows != 1) state.SkipWithError("decode failed");
      }
      if (!(*sink)->Append(batch).ok()) state.SkipWithError("append failed");
      rows += static_cast<int64_t>(batch.num_rows());
    }
    if (!(*sink)->Commit().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(rows);
  sink->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_GetRecordsBodiesToCommittedDuckDbRows)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();

// The yardstick: DuckDB's own read_json loading the same rows (with the same shard ids and
// sequence numbers) from a local NDJSON file into the same table, one INSERT per iteration.
void BM_DuckDbReadJsonSameRows(benchmark::State& state) {
  const int bodies_per_run = static_cast<int>(state.range(0));
  std::string dir = "/tmp/ki-readjson-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/bench.duckdb";
  std::string ndjson = dir + "/rows.ndjson";
  {
    std::string out;
    for (int b = 0; b < bodies_per_run; ++b) {
      for (int i = 0; i < kRecordsPerBody; ++i) {
        int id = b * kRecordsPerBody + i;
        out += "{\"sensorId\": " + std::to_string(id % 1000) + ", \"currentTemperature\": " +
               std::to_string(100 + id % 77) + ", \"status\": \"" + (id % 5 ? "OK" : "WARN") +
               "\", \"kinesis_shard_id\": \"shardId-000000000000\", \"shard_sequence_number\": "
               "\"4968056348477015449510730541132998215468759750085" + std::to_string(1000000 + id) + "\"}\n";
      }
    }
    FILE* f = std::fopen(ndjson.c_str(), "wb");
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  }
  auto created = RunDuckDbSql(path,
                              "CREATE TABLE kinesis_table(sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), "
                              "status VARCHAR(100), kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))",
                              SqlOutputFormat::kCsv);
  if (!created.ok()) {
    state.SkipWithError(created.status().message().c_str());
    return;
  }
  const std::string insert =
      "INSERT INTO kinesis_table SELECT * FROM read_json('" + ndjson +
      "', columns={sensorId: 'DECIMAL(18,0)', currentTemperature: 'DECIMAL(18,0)', status: 'VARCHAR', "
      "kinesis_shard_id: 'VARCHAR', shard_sequence_number: 'VARCHAR'})";
  for (auto _ : state) {
    auto r = RunDuckDbSql(path, insert, SqlOutputFormat::kCsv);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * bodies_per_run * kRecordsPerBody);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DuckDbReadJsonSameRows)->Arg(10)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace ki
