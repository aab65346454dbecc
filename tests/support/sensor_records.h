// The seed scenario's data: sensor records as NDJSON and the table they go into.
#pragma once

#include <string>

namespace ki::test {

// Records sensorId = from..to, currentTemperature = 100 + sensorId, status "WARN" for multiples of
// 3 and "OK" otherwise; one JSON object per line.
std::string SensorRecords(int from, int to);

// The seed connector's table (kinesis_table) in DuckDB's spelling.
inline constexpr char kDuckDbSeedTable[] =
    "CREATE TABLE kinesis_table(sensorId DECIMAL(18,0), currentTemperature DECIMAL(18,0), "
    "status VARCHAR(100), kinesis_shard_id VARCHAR(2000), shard_sequence_number VARCHAR(2000))";

// The same table in PostgreSQL's spelling, in `schema`.
std::string PostgresSeedTable(const std::string& schema);

}  // namespace ki::test
