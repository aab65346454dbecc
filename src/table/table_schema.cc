#include "table/table_schema.h"

#include <algorithm>
#include <cctype>

namespace ki {

MetadataColumn MetadataColumnFromName(const std::string& column_name) {
  std::string n = column_name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "kinesis_shard_id") return MetadataColumn::kShardId;
  if (n == "shard_sequence_number") return MetadataColumn::kSequenceNumber;
  if (n == "kinesis_partition_key") return MetadataColumn::kPartitionKey;
  if (n == "kinesis_arrival_time") return MetadataColumn::kArrivalTime;
  if (n == "kinesis_subsequence_number") return MetadataColumn::kSubsequenceNumber;
  if (n == "kinesis_explicit_hash_key") return MetadataColumn::kExplicitHashKey;
  return MetadataColumn::kNone;
}

}  // namespace ki
