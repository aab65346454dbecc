// What both GetRecords fuzz targets (JSON and CBOR answers) check of a parsed answer: every
// record's views point into the result's arena, also after the result is moved (ASan sees a
// read outside it), and every string can be read; an error must say what is wrong.
#pragma once

#include <cstdlib>
#include <string_view>

#include "kinesis/kinesis_client.h"

namespace ki_fuzz {

inline void Touch(std::string_view s) {
  volatile unsigned sum = 0;
  for (char c : s) sum = sum + static_cast<unsigned char>(c);
}

inline bool Inside(std::string_view view, std::string_view arena) {
  if (view.empty()) return true;
  const char* begin = arena.data();
  return view.data() >= begin && view.data() + view.size() <= begin + arena.size();
}

inline void CheckGetRecords(ki::Result<ki::GetRecordsResult> result) {
  if (!result.ok()) {
    if (result.status().message().empty()) std::abort();
    return;
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
}

}  // namespace ki_fuzz
