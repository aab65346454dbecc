// libFuzzer target: KPL aggregated records (Deaggregate, a hand-written protobuf reader of
// untrusted bytes). Build and run: scripts/fuzz.
//
// Input: one selector byte, then the record data. With selector bit 0 set, the MD5 of data that
// starts with the KPL magic is repaired before parsing (mutations almost never keep it right, and
// without the repair only the seeds would reach the protobuf reader). The result's invariants are
// checked on every input: a violation aborts like a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "kinesis/kpl_aggregation.h"

namespace {

bool Inside(std::string_view view, std::string_view whole) {
  if (view.empty()) return true;
  return view.data() >= whole.data() && view.data() + view.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool repair = (data[0] & 1) != 0;
  std::vector<char> bytes(reinterpret_cast<const char*>(data) + 1,
                          reinterpret_cast<const char*>(data) + size);
  const size_t magic = ki::kKplMagic.size(), digest = ki::kKplDigestSize;
  if (repair && bytes.size() > magic + digest &&
      std::memcmp(bytes.data(), ki::kKplMagic.data(), magic) == 0) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(bytes.data() + magic, bytes.size() - magic - digest, md, &n, EVP_md5(),
                   nullptr) != 1 || n != digest) {
      std::abort();
    }
    std::memcpy(bytes.data() + bytes.size() - digest, md, digest);
  }
  const std::string_view record(bytes.data(), bytes.size());

  static std::vector<ki::KplUserRecord>* out = new std::vector<ki::KplUserRecord>();  // reused
  out->resize(3);  // stale entries must be cleared
  std::string why;
  const ki::KplResult result = ki::Deaggregate(record, *out, &why);
  switch (result) {
    case ki::KplResult::kNotAggregated:
    case ki::KplResult::kMalformed:
      if (!out->empty()) std::abort();
      if (result == ki::KplResult::kMalformed && why.empty()) std::abort();
      break;
    case ki::KplResult::kAggregated:
      // An aggregate may hold no user records (a valid, empty aggregate: issue 8 case 8).
      for (size_t i = 0; i < out->size(); ++i) {
        const ki::KplUserRecord& u = (*out)[i];
        if (u.subsequence_number != static_cast<int64_t>(i)) std::abort();
        if (!Inside(u.partition_key, record) || !Inside(u.explicit_hash_key, record) ||
            !Inside(u.data, record)) {
          std::abort();
        }
      }
      break;
  }
  // The same answer without `why`.
  std::vector<ki::KplUserRecord> again;
  if (ki::Deaggregate(record, again, nullptr) != result || again.size() != out->size()) {
    std::abort();
  }
  return 0;
}
