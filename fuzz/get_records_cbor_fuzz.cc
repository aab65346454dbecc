// libFuzzer target: the body of a GetRecords response in CBOR (--wire cbor: records with raw or
// base64 Data, tagged or untagged timestamps, indefinite lengths, child shards). Build and run:
// scripts/fuzz.
//
// The checks are get_records_check.h's; the input is an exactly sized heap copy, so a read past
// the body's end is seen too.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "get_records_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<char> body(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size);
  ki_fuzz::CheckGetRecords(ki::ParseGetRecordsCborResponse(std::string_view(body.data(), body.size())));
  return 0;
}
