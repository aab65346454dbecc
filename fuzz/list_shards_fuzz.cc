// libFuzzer target: the bodies of the other Kinesis responses we parse — a ListShards page (the
// shard list the run reads), and DescribeStreamSummary and PutRecords for the CLI commands. The
// first byte picks the parser; the rest is the body. Build and run: scripts/fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kinesis/kinesis_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::vector<char> bytes(reinterpret_cast<const char*>(data) + 1,
                          reinterpret_cast<const char*>(data) + size);
  const std::string_view body(bytes.data(), bytes.size());
  switch (selector % 3) {
    case 0: {
      // Pages are appended to what earlier pages returned.
      std::vector<ki::ShardInfo> shards(1);
      shards[0].shard_id = "shardId-000000000000";
      std::string next_token = "previous";
      ki::Status st = ki::ParseListShardsPage(body, shards, next_token);
      if (shards.empty() || shards[0].shard_id != "shardId-000000000000") std::abort();
      if (!st.ok() && st.message().empty()) std::abort();
      for (const auto& s : shards) (void)s.is_open();
      break;
    }
    case 1: {
      auto r = ki::ParseDescribeStreamSummary(body);
      if (!r.ok() && r.status().message().empty()) std::abort();
      break;
    }
    case 2: {
      auto r = ki::ParsePutRecordsResponse(body);
      if (!r.ok() && r.status().message().empty()) std::abort();
      break;
    }
  }
  return 0;
}
