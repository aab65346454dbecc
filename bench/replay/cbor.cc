#include "cbor.h"

#include <cmath>
#include <cstring>

namespace replay::cbor {

void AppendHead(std::string& out, Major major, uint64_t value) {
  char buf[9];
  uint8_t m = static_cast<uint8_t>(major << 5);
  size_t n;
  if (value < 24) {
    buf[0] = static_cast<char>(m | value);
    n = 1;
  } else if (value <= 0xff) {
    buf[0] = static_cast<char>(m | 24);
    n = 2;
  } else if (value <= 0xffff) {
    buf[0] = static_cast<char>(m | 25);
    n = 3;
  } else if (value <= 0xffffffffu) {
    buf[0] = static_cast<char>(m | 26);
    n = 5;
  } else {
    buf[0] = static_cast<char>(m | 27);
    n = 9;
  }
  for (size_t i = 1; i < n; ++i) buf[i] = static_cast<char>(value >> (8 * (n - 1 - i)));
  out.append(buf, n);
}

const Value* Map::Find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 16;

struct Reader {
  const unsigned char* p;
  const unsigned char* end;

  size_t left() const { return static_cast<size_t>(end - p); }

  // Reads an item's head: major type, additional info and argument. Indefinite lengths
  // (info 31) and the reserved infos 28..30 are refused.
  bool Head(uint8_t& major, uint8_t& info, uint64_t& arg) {
    if (p == end) return false;
    major = *p >> 5;
    info = *p & 31;
    ++p;
    if (info < 24) {
      arg = info;
      return true;
    }
    if (info > 27) return false;
    size_t n = size_t{1} << (info - 24);
    if (left() < n) return false;
    arg = 0;
    for (size_t i = 0; i < n; ++i) arg = arg << 8 | p[i];
    p += n;
    return true;
  }

  bool Take(uint64_t n, std::string_view& out) {
    if (n > left()) return false;
    out = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    return true;
  }

  static double Half(uint16_t h) {
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v = exp == 0 ? std::ldexp(mant, -24) : exp != 31 ? std::ldexp(mant + 1024, exp - 25)
                                                 : mant == 0 ? INFINITY : NAN;
    return h & 0x8000 ? -v : v;
  }

  // Reads one item into `v` (kOther for anything but text, integers, floats, tag 1 + number).
  bool Item(Value& v, int depth) {
    if (depth > kMaxDepth) return false;
    uint8_t major, info;
    uint64_t arg;
    if (!Head(major, info, arg)) return false;
    v = Value{};
    switch (major) {
      case kUnsigned:
        if (arg <= static_cast<uint64_t>(INT64_MAX)) v.kind = Value::kInt, v.integer = static_cast<int64_t>(arg);
        return true;
      case kNegative:
        if (arg <= static_cast<uint64_t>(INT64_MAX)) v.kind = Value::kInt, v.integer = -1 - static_cast<int64_t>(arg);
        return true;
      case kBytes: {
        std::string_view ignored;
        return Take(arg, ignored);
      }
      case kText:
        if (!Take(arg, v.text)) return false;
        v.kind = Value::kText;
        return true;
      case kArray: {
        Value ignored;
        for (uint64_t i = 0; i < arg; ++i)  // each item takes at least one byte: bounded by the body
          if (!Item(ignored, depth + 1)) return false;
        return true;
      }
      case kMap: {
        Value ignored;
        for (uint64_t i = 0; i < arg; ++i)
          if (!Item(ignored, depth + 1) || !Item(ignored, depth + 1)) return false;
        return true;
      }
      case kTag: {
        if (!Item(v, depth + 1)) return false;
        if (arg == 1 && (v.kind == Value::kInt || v.kind == Value::kFloat) && !v.epoch_tag) v.epoch_tag = true;
        else v = Value{};
        return true;
      }
      default:  // 7: simple values and floats
        if (info == 25) v.kind = Value::kFloat, v.real = Half(static_cast<uint16_t>(arg));
        else if (info == 26) {
          uint32_t bits = static_cast<uint32_t>(arg);
          float f;
          std::memcpy(&f, &bits, sizeof f);
          v.kind = Value::kFloat, v.real = f;
        } else if (info == 27) {
          double d;
          std::memcpy(&d, &arg, sizeof d);
          v.kind = Value::kFloat, v.real = d;
        } else if (info == 24 && arg < 32) {
          return false;  // a two-byte simple value below 32 is not well-formed
        }
        return true;
    }
  }
};

}  // namespace

bool DecodeRequest(std::string_view body, Map& out) {
  out.entries.clear();
  Reader r{reinterpret_cast<const unsigned char*>(body.data()),
           reinterpret_cast<const unsigned char*>(body.data()) + body.size()};
  uint8_t major, info;
  uint64_t count;
  if (!r.Head(major, info, count) || major != kMap || count > r.left() / 2) return false;
  out.entries.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    Value key, value;
    if (!r.Item(key, 1) || key.kind != Value::kText || !r.Item(value, 1)) return false;
    out.entries.emplace_back(key.text, value);
  }
  return r.p == r.end;
}

}  // namespace replay::cbor
