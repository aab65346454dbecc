#include "sensor_records.h"

namespace ki::test {

std::string SensorRecords(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) {
    out += "{\"sensorId\": " + std::to_string(i) + ", \"currentTemperature\": " +
           std::to_string(100 + i) + ", \"status\": \"" + (i % 3 ? "OK" : "WARN") + "\"}\n";
  }
  return out;
}

std::string PostgresSeedTable(const std::string& schema) {
  return "CREATE TABLE " + schema +
         ".kinesis_table (sensorId numeric(18,0), currentTemperature numeric(18,0), "
         "status varchar(100), kinesis_shard_id varchar(2000), "
         "shard_sequence_number varchar(2000))";
}

}  // namespace ki::test
