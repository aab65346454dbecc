#include "kinesis/cbor.h"

#include <cmath>
#include <cstring>

namespace ki {

bool CborReader::ReadHead(CborHead* head) {
  if (pos_ >= data_.size()) return false;
  const auto initial = static_cast<uint8_t>(data_[pos_++]);
  head->major = static_cast<CborMajor>(initial >> 5);
  head->info = initial & 0x1f;
  head->indefinite = false;
  head->value = 0;
  if (head->info < 24) {
    head->value = head->info;
    return true;
  }
  if (head->info == 31) {
    // Indefinite length for strings, arrays and maps; the break itself (major 7) is handled by
    // ConsumeBreak, so here it is malformed.
    if (head->major == CborMajor::kBytes || head->major == CborMajor::kText || head->major == CborMajor::kArray ||
        head->major == CborMajor::kMap) {
      head->indefinite = true;
      return true;
    }
    return false;
  }
  if (head->info > 27) return false;  // 28-30 are reserved
  const size_t n = size_t{1} << (head->info - 24);
  if (data_.size() - pos_ < n) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += n;
  head->value = v;
  return true;
}

bool CborReader::ConsumeBreak() {
  if (pos_ < data_.size() && static_cast<uint8_t>(data_[pos_]) == 0xff) {
    ++pos_;
    return true;
  }
  return false;
}

bool CborReader::ReadStringView(const CborHead& head, std::string_view* out) {
  if (head.indefinite || (head.major != CborMajor::kText && head.major != CborMajor::kBytes)) return false;
  if (head.value > data_.size() - pos_) return false;
  *out = data_.substr(pos_, static_cast<size_t>(head.value));
  pos_ += static_cast<size_t>(head.value);
  return true;
}

bool CborReader::ReadStringInto(const CborHead& head, std::string& out) {
  if (!head.indefinite) {
    std::string_view s;
    if (!ReadStringView(head, &s)) return false;
    out.append(s);
    return true;
  }
  // Chunks: definite strings of the same major type, then a break.
  while (!ConsumeBreak()) {
    CborHead chunk;
    if (!ReadHead(&chunk) || chunk.major != head.major || chunk.indefinite) return false;
    std::string_view s;
    if (!ReadStringView(chunk, &s)) return false;
    out.append(s);
  }
  return true;
}

bool CborReader::SkipAfterHead(const CborHead& head, int depth) {
  if (depth > kMaxCborDepth) return false;
  switch (head.major) {
    case CborMajor::kUnsigned:
    case CborMajor::kNegative:
    case CborMajor::kSimple:
      return true;
    case CborMajor::kBytes:
    case CborMajor::kText: {
      if (!head.indefinite) {
        std::string_view s;
        return ReadStringView(head, &s);
      }
      while (!ConsumeBreak()) {
        CborHead chunk;
        std::string_view s;
        if (!ReadHead(&chunk) || chunk.major != head.major || chunk.indefinite || !ReadStringView(chunk, &s))
          return false;
      }
      return true;
    }
    case CborMajor::kArray:
    case CborMajor::kMap: {
      const uint64_t per_entry = head.major == CborMajor::kMap ? 2 : 1;
      if (head.indefinite) {
        while (!ConsumeBreak()) {
          for (uint64_t k = 0; k < per_entry; ++k)
            if (!Skip(depth + 1)) return false;
        }
        return true;
      }
      // Each item takes at least one byte: a count beyond the input is malformed (and would
      // otherwise loop for a very long time).
      if (head.value > (data_.size() - pos_) / per_entry) return false;
      for (uint64_t i = 0; i < head.value * per_entry; ++i)
        if (!Skip(depth + 1)) return false;
      return true;
    }
    case CborMajor::kTag:
      return Skip(depth + 1);
  }
  return false;
}

bool CborReader::Skip(int depth) {
  CborHead head;
  return ReadHead(&head) && SkipAfterHead(head, depth);
}

namespace {
double HalfToDouble(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) v = std::ldexp(mantissa, -24);
  else if (exponent != 31) v = std::ldexp(mantissa + 1024, exponent - 25);
  else v = mantissa == 0 ? INFINITY : NAN;
  return (h & 0x8000) ? -v : v;
}
}  // namespace

std::optional<double> CborReader::AsNumber(const CborHead& head) {
  switch (head.major) {
    case CborMajor::kUnsigned: return static_cast<double>(head.value);
    case CborMajor::kNegative: return -1.0 - static_cast<double>(head.value);
    case CborMajor::kSimple:
      if (head.info == 25) return HalfToDouble(static_cast<uint16_t>(head.value));
      if (head.info == 26) {
        const auto bits = static_cast<uint32_t>(head.value);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
      }
      if (head.info == 27) {
        double d;
        std::memcpy(&d, &head.value, sizeof d);
        return d;
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

void CborWriter::Head(CborMajor major, uint64_t value) {
  const auto m = static_cast<uint8_t>(static_cast<uint8_t>(major) << 5);
  if (value < 24) {
    out_.push_back(static_cast<char>(m | value));
    return;
  }
  int bytes = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffu ? 4 : 8;
  const uint8_t info = bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27;
  out_.push_back(static_cast<char>(m | info));
  for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace ki
