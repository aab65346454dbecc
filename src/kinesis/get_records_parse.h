// Shared by the two GetRecords response parsers (JSON: kinesis_client.cc, CBOR:
// get_records_cbor.cc): records are first written into the result's arena as offsets, and the
// views are made once the arena stopped growing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "kinesis/kinesis_types.h"

namespace ki {

struct RecordOffsets {
  size_t seq = 0, seq_len = 0, key = 0, key_len = 0, data = 0, data_len = 0, enc = 0, enc_len = 0;
  int64_t arrival_ms = 0;
};

// A number from the wire as int64, saturated: converting a double out of int64's range (or NaN)
// is undefined behaviour. Kinesis never sends such a value; a broken or hostile answer might.
inline int64_t SaturatingInt64(double d) {
  if (!(d == d)) return 0;
  if (d >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

inline void MakeRecordViews(const std::vector<RecordOffsets>& offsets, GetRecordsResult& result) {
  result.records.reserve(offsets.size());
  const char* base = result.arena->data();
  for (const auto& o : offsets) {
    KinesisRecord r;
    r.sequence_number = std::string_view(base + o.seq, o.seq_len);
    r.partition_key = std::string_view(base + o.key, o.key_len);
    r.data = std::string_view(base + o.data, o.data_len);
    r.encryption_type = std::string_view(base + o.enc, o.enc_len);
    r.arrival_time_ms = o.arrival_ms;
    result.records.push_back(r);
  }
}

}  // namespace ki
