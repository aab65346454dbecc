// gzip decompression of record payloads (RFC 1952, via zlib), capped so that a small record
// cannot inflate into gigabytes (a "gzip bomb"). The input is untrusted.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ki {

// True when `data` starts with the gzip magic bytes 1f 8b.
inline bool LooksGzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1F &&
         static_cast<unsigned char>(data[1]) == 0x8B;
}

// Owns one zlib inflate stream and reuses it (inflateReset) across calls, so the steady state
// allocates nothing but the growth of the caller's output buffer. Move-only; one thread at a time.
class GzipInflater {
 public:
  GzipInflater();
  ~GzipInflater();
  GzipInflater(GzipInflater&& other) noexcept;
  GzipInflater& operator=(GzipInflater&& other) noexcept;
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Replaces `out` with the decompressed `in` (its capacity is kept and reused). `in` is one gzip
  // member or several concatenated ones (as `cat a.gz b.gz` makes; the outputs are
  // concatenated). Errors, all kBadRecord except kInternal for zlib running out of memory:
  //   "gzip data inflates to more than N bytes" when the output would exceed max_out;
  //   "corrupt gzip data: <zlib's message>" (e.g. "incorrect header check", "invalid block type",
  //   "incorrect data check" for a CRC mismatch);
  //   "truncated gzip data (N bytes)" when the input ends inside a member;
  //   "N bytes of trailing data after the gzip stream" for bytes after the last member that do
  //   not start another member.
  // `out` is unspecified after an error.
  Status Inflate(std::string_view in, std::string& out, size_t max_out);

 private:
  z_stream* stream_ = nullptr;  // nullptr until first use and after a move
};

// One-shot form of GzipInflater::Inflate (sets up and frees a zlib stream per call).
Status Gunzip(std::string_view in, std::string& out, size_t max_out);

}  // namespace ki
