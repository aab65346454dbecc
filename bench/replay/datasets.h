// The record payloads kinesis-replay serves: deterministic JSON objects, so that a run, its
// --dump file and a second run with the same arguments all hold the very same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace replay {

enum class Dataset {
  kSensor,  // the seed's record, ~60 bytes: {"sensorId": 17, "currentTemperature": 147, "status": "WARN"}
  kEvent,   // ~1 KB, 24 fields: strings, numbers, booleans, an ISO timestamp, a nested object, an array
};

std::optional<Dataset> ParseDataset(std::string_view name);

// Appends record `index` (0-based, over the whole stream) of the data set to `out`: one JSON
// object without a trailing newline. The same index always gives the same bytes.
void AppendPayload(Dataset dataset, uint64_t index, std::string& out);

// The DuckDB CREATE TABLE statement for the data set's rows plus the seed's two metadata columns
// (kinesis_shard_id, shard_sequence_number), named `table` (`kinesis-replay --print-table T`).
std::string DuckDbTableSql(Dataset dataset, std::string_view table);
// The same columns as read_json's `columns` argument ({sensorId: 'DECIMAL(18,0)', ...}), so a
// yardstick reads the --dump file with the very same types (`kinesis-replay --print-columns`).
std::string DuckDbReadJsonColumns(Dataset dataset);

}  // namespace replay
