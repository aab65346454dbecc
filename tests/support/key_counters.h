// The per-key counter check of the resharding and worker tests: producers put counters 1, 2, ...
// per key, and every moment of the import must hold exactly 1..k of each key (no duplicate, no
// gap, so no child shard read before its parent).
#pragma once

#include <cstdint>
#include <string>

namespace ki::test {

// `csv`: "key,count,distinct,min,max" lines. Returns a failure message for the first key that is
// not exactly 1..max (with `rounds` > 0: also not beyond `rounds`), or "" when every key is; the
// sum of the counts goes to `total` when given.
std::string CheckKeyCounters(const std::string& csv, int64_t rounds = 0, int64_t* total = nullptr);

}  // namespace ki::test
