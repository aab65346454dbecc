// Row batches and values the sink tests share.
#pragma once

#include <cstdint>
#include <string>

#include "sink/sink.h"  // RowBatch, wherever it lives

namespace ki::test {

// Real-looking Kinesis sequence numbers (56 digits, beyond any 128-bit integer).
inline constexpr char kSeqA[] = "49590338271490256608559692538361571095921575989136588898";
inline constexpr char kSeqB[] = "49590338271490256608559692540925702759324208523137515618";

// A batch for a table (id BIGINT, name VARCHAR): rows (first..first+n-1, "row-<id>").
inline RowBatch IdNameBatch(int64_t first, int64_t n) {
  RowBatch batch(2);
  for (int64_t i = first; i < first + n; ++i) {
    size_t r = batch.AddRow();
    batch.Set(r, 0).i64 = i;
    batch.SetString(r, 1, "row-" + std::to_string(i));
  }
  return batch;
}

// The 128-bit integer with these high and low 64 bits.
inline __int128 Int128(uint64_t hi, uint64_t lo) {
  return static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
}

}  // namespace ki::test
