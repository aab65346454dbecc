// libFuzzer target: the body of a GetRecords response in CBOR (--wire cbor: records with raw or
// base64 Data, tagged or untagged timestamps, indefinite lengths, child shards). Build and run:
// scripts/fuzz.
//
// Every record's views must point into the result's arena, also after the result is moved (ASan
// sees a read outside it); the input is an exactly sized heap copy, so a read past the body's end
// is seen too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kinesis/kinesis_client.h"

namespace {

void Touch(std::string_view s) {
  volatile unsigned sum = 0;
  for (char c : s) sum = sum + static_cast<unsigned char>(c);
}

bool Inside(std::string_view view, std::string_view arena) {
  if (view.empty()) return true;
  const char* begin = arena.data();
  return view.data() >= begin && view.data() + view.size() <= begin + arena.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<char> body(reinterpret_cast<const char*>(data),
                         reinterpret_cast<const char*>(data) + size);
  auto result = ki::ParseGetRecordsCborResponse(std::string_view(body.data(), body.size()));
  if (!result.ok()) {
    if (result.status().message().empty()) std::abort();  // an error must say what is wrong
    return 0;
  }
  // Moving the result must keep the views valid (the arena is held through a pointer).
  ki::GetRecordsResult moved = std::move(result).value();
  for (const ki::KinesisRecord& r : moved.records) {
    for (std::string_view v : {r.sequence_number, r.partition_key, r.data, r.encryption_type}) {
      Touch(v);
      if (!Inside(v, *moved.arena)) std::abort();
    }
  }
  Touch(moved.next_shard_iterator);
  for (const ki::ChildShard& c : moved.child_shards) {
    Touch(c.shard_id);
    for (const auto& p : c.parent_shards) Touch(p);
  }
  return 0;
}
