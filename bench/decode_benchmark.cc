// Decoder throughput: records/s per core for the seed sensor table, plus the bare simdjson cost
// of the two APIs (On-Demand vs DOM) for the same records, to show what the decoder adds.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

#include "decode/json_decoder.h"

namespace ki {
namespace {

constexpr size_t kNumRecords = 4096;

ColumnSpec Column(std::string name, ColumnType type, uint8_t width = 0) {
  ColumnSpec c;
  c.name = std::move(name);
  c.type = type;
  c.decimal_width = width;
  c.metadata = MetadataColumnFromName(c.name);
  return c;
}

TableSchema SensorTable() {
  TableSchema t;
  t.table = "sensors";
  t.columns = {Column("sensorId", ColumnType::kDecimal, 18),
               Column("currentTemperature", ColumnType::kDecimal, 18),
               Column("status", ColumnType::kVarchar), Column("kinesis_shard_id", ColumnType::kVarchar),
               Column("shard_sequence_number", ColumnType::kVarchar)};
  return t;
}

std::vector<std::string> SensorRecords() {
  static const char* kStatus[] = {"OK", "WARN", "FAIL"};
  std::vector<std::string> records;
  records.reserve(kNumRecords);
  for (size_t i = 0; i < kNumRecords; ++i) {
    records.push_back("{\"sensorId\": " + std::to_string(i % 1000) +
                      ", \"currentTemperature\": " + std::to_string(50 + (i * 7) % 150) +
                      ", \"status\": \"" + kStatus[i % 3] + "\"}");
  }
  return records;
}

// Records with what real producers add: extra keys the table does not have, a nested object.
std::vector<std::string> WideSensorRecords() {
  std::vector<std::string> records = SensorRecords();
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].pop_back();
    records[i] += ", \"location\": {\"site\": \"plant-" + std::to_string(i % 5) +
                  "\", \"lat\": 48.1374, \"lon\": 11.5755}, \"firmware\": \"1.4.2\", "
                  "\"readings\": [1, 2, 3], \"calibrated\": true}";
  }
  return records;
}

size_t TotalBytes(const std::vector<std::string>& records) {
  size_t n = 0;
  for (const auto& r : records) n += r.size();
  return n;
}

void RunDecoder(benchmark::State& state, const std::vector<std::string>& records,
                ColumnMapping mapping) {
  auto decoder = JsonRecordDecoder::Create(SensorTable(), DecoderOptions{mapping});
  if (!decoder.ok()) {
    state.SkipWithError(decoder.status().message().c_str());
    return;
  }
  const TableSchema schema = SensorTable();
  RowBatch batch(schema.columns.size());
  RecordMetadata meta{"shardId-000000000000",
                      "49590338271490256608559692538361571095921575989136588898", -1, "pk", 0, {}};
  for (auto _ : state) {
    batch.Clear();  // one GetRecords response worth of rows per iteration
    for (const std::string& record : records) {
      Status s = decoder->Decode(record, meta, batch);
      if (!s.ok()) {
        state.SkipWithError(s.message().c_str());
        return;
      }
    }
    benchmark::DoNotOptimize(batch.num_rows());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TotalBytes(records)));
}

void BM_DecodeSensorRecords(benchmark::State& state) {
  static const std::vector<std::string> records = SensorRecords();
  RunDecoder(state, records, ColumnMapping::kByName);
}
BENCHMARK(BM_DecodeSensorRecords);

void BM_DecodeSensorRecordsByPosition(benchmark::State& state) {
  static const std::vector<std::string> records = SensorRecords();
  RunDecoder(state, records, ColumnMapping::kByPosition);
}
BENCHMARK(BM_DecodeSensorRecordsByPosition);

void BM_DecodeWideSensorRecords(benchmark::State& state) {
  static const std::vector<std::string> records = WideSensorRecords();
  RunDecoder(state, records, ColumnMapping::kByName);
}
BENCHMARK(BM_DecodeWideSensorRecords);

// Baselines: copy into a padded buffer, parse, read the three fields; no conversion, no batch.
void BM_SimdjsonOnDemandOnly(benchmark::State& state) {
  static const std::vector<std::string> records = SensorRecords();
  simdjson::ondemand::parser parser;
  std::string buffer(4096, '\0');
  for (auto _ : state) {
    for (const std::string& record : records) {
      std::memcpy(buffer.data(), record.data(), record.size());
      simdjson::ondemand::document doc;
      if (parser.iterate(buffer.data(), record.size(), buffer.size()).get(doc)) {
        state.SkipWithError("parse");
        return;
      }
      simdjson::ondemand::object object;
      if (doc.get_object().get(object)) return;
      size_t sum = 0;
      for (auto field_result : object) {
        simdjson::ondemand::field field;
        std::string_view key;
        if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return;
        sum += key.size() + field.value().raw_json_token().size();
      }
      benchmark::DoNotOptimize(sum);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
}
BENCHMARK(BM_SimdjsonOnDemandOnly);

void BM_SimdjsonDomOnly(benchmark::State& state) {
  static const std::vector<std::string> records = SensorRecords();
  simdjson::dom::parser parser;
  std::string buffer(4096, '\0');
  for (auto _ : state) {
    for (const std::string& record : records) {
      std::memcpy(buffer.data(), record.data(), record.size());
      simdjson::dom::element doc;
      if (parser.parse(buffer.data(), record.size(), false).get(doc)) {
        state.SkipWithError("parse");
        return;
      }
      simdjson::dom::object object;
      if (doc.get_object().get(object)) return;
      size_t sum = 0;
      for (auto field : object) sum += field.key.size() + static_cast<size_t>(field.value.type());
      benchmark::DoNotOptimize(sum);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records.size()));
}
BENCHMARK(BM_SimdjsonDomOnly);

}  // namespace
}  // namespace ki
