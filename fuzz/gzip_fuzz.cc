// libFuzzer target: gzip record payloads (zlib inflate behind our member loop, size cap and
// trailing-data checks). Build and run: scripts/fuzz.
//
// The reused inflater (as a reader thread keeps one) and the one-shot Gunzip must agree on every
// input, the output must respect the cap, and every error must be a bad record (or zlib's
// out-of-memory, an internal error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "decode/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ki::GzipInflater* inflater = new ki::GzipInflater();
  static std::string* reused = new std::string();
  constexpr size_t kMaxOut = 1 << 20;  // a gzip bomb in the corpus costs milliseconds
  std::vector<char> bytes(reinterpret_cast<const char*>(data),
                          reinterpret_cast<const char*>(data) + size);
  const std::string_view in(bytes.data(), bytes.size());

  ki::Status a = inflater->Inflate(in, *reused, kMaxOut);
  std::string fresh;
  ki::Status b = ki::Gunzip(in, fresh, kMaxOut);
  if (a.ok() != b.ok() || a.kind() != b.kind() || a.message() != b.message()) std::abort();
  if (a.ok()) {
    if (*reused != fresh || fresh.size() > kMaxOut) std::abort();
    if (!ki::LooksGzipped(in)) std::abort();  // only gzip data inflates
  } else if (a.kind() != ki::ErrorKind::kBadRecord && a.kind() != ki::ErrorKind::kInternal) {
    std::abort();
  }
  return 0;
}
