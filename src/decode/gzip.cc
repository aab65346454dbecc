#include "decode/gzip.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

namespace ki {
namespace {

// 15 window bits, +16: expect the gzip wrapper (header, CRC-32 and size trailer), nothing else.
constexpr int kGzipWindowBits = 15 + 16;
// zlib counts in uInt; larger inputs and outputs are handed over in pieces.
constexpr size_t kMaxZlibChunk = UINT_MAX;
constexpr size_t kMinOutput = 1024;
// A first guess at the output size: JSON typically compresses 4-10x.
constexpr size_t kExpectedRatio = 4;

Status TooBig(size_t max_out) {
  return BadRecord("gzip data inflates to more than " + std::to_string(max_out) + " bytes");
}

}  // namespace

GzipInflater::GzipInflater() = default;

GzipInflater::~GzipInflater() {
  if (stream_) {
    inflateEnd(stream_);
    delete stream_;
  }
}

GzipInflater::GzipInflater(GzipInflater&& other) noexcept : stream_(other.stream_) {
  other.stream_ = nullptr;
}

GzipInflater& GzipInflater::operator=(GzipInflater&& other) noexcept {
  if (this != &other) {
    if (stream_) {
      inflateEnd(stream_);
      delete stream_;
    }
    stream_ = other.stream_;
    other.stream_ = nullptr;
  }
  return *this;
}

Status GzipInflater::Inflate(std::string_view in, std::string& out, size_t max_out) {
  if (!stream_) {
    auto stream = std::make_unique<z_stream>();
    std::memset(stream.get(), 0, sizeof(z_stream));
    const int rc = inflateInit2(stream.get(), kGzipWindowBits);
    if (rc != Z_OK) {
      return InternalError(std::string("zlib inflateInit2 failed: ") +
                           (stream->msg ? stream->msg : zError(rc)));
    }
    stream_ = stream.release();
  } else if (inflateReset(stream_) != Z_OK) {
    return InternalError("zlib inflateReset failed");
  }
  z_stream* z = stream_;

  // One byte more than allowed may be produced: that is how "more than max_out" is detected
  // without inflating further. The buffer never grows beyond it, whatever the input claims.
  const size_t hard_limit = max_out == SIZE_MAX ? max_out : max_out + 1;
  size_t produced = 0;
  // Not sized to out.capacity(): resize() writes zeros, and a buffer that once held a big payload
  // would make every later call pay for clearing it. Growth below reuses the capacity.
  out.resize(std::min(hard_limit, std::max(in.size() * kExpectedRatio, kMinOutput)));

  size_t in_pos = 0;  // bytes of `in` handed to zlib so far
  z->next_in = nullptr;
  z->avail_in = 0;
  for (;;) {
    if (z->avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min(in.size() - in_pos, kMaxZlibChunk);
      z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      z->avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (produced == out.size()) {
      if (out.size() >= hard_limit) return TooBig(max_out);
      out.resize(std::min(hard_limit, std::max(out.size() * 2, kMinOutput)));
    }
    const size_t space = std::min(out.size() - produced, kMaxZlibChunk);
    z->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z->avail_out = static_cast<uInt>(space);
    const int rc = inflate(z, Z_NO_FLUSH);
    produced += space - z->avail_out;
    if (produced > max_out) return TooBig(max_out);

    switch (rc) {
      case Z_OK:
        continue;
      case Z_STREAM_END: {
        const size_t rest = in_pos - z->avail_in;  // offset of the first unused input byte
        if (rest == in.size()) {
          out.resize(produced);
          return Status::Ok();
        }
        // Another member follows (gzip files may be concatenated).
        if (!LooksGzipped(in.substr(rest))) {
          return BadRecord(std::to_string(in.size() - rest) +
                           " bytes of trailing data after the gzip stream");
        }
        if (inflateReset(z) != Z_OK) return InternalError("zlib inflateReset failed");
        continue;
      }
      case Z_BUF_ERROR:
        // No progress: either the output is full (grown above) or the input is used up.
        if (z->avail_in == 0 && in_pos == in.size()) {
          return BadRecord("truncated gzip data (" + std::to_string(in.size()) + " bytes)");
        }
        continue;
      case Z_NEED_DICT:
        return BadRecord("corrupt gzip data: needs a preset dictionary");
      case Z_DATA_ERROR:
        return BadRecord(std::string("corrupt gzip data: ") +
                         (z->msg ? z->msg : "invalid deflate stream"));
      case Z_MEM_ERROR:
        return InternalError("zlib inflate: out of memory");
      default:
        return InternalError("zlib inflate failed with code " + std::to_string(rc));
    }
  }
}

Status Gunzip(std::string_view in, std::string& out, size_t max_out) {
  GzipInflater inflater;
  return inflater.Inflate(in, out, max_out);
}

}  // namespace ki
