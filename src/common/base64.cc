#include "common/base64.h"

#include <array>
#include <cstdint>

namespace ki {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kDecode = MakeDecodeTable();
}  // namespace

void Base64Encode(std::string_view in, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* o = out.data() + start;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t(p[i]) << 16) | (uint32_t(p[i + 1]) << 8) | p[i + 2];
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = uint32_t(p[i]) << 16;
    if (i + 1 < n) v |= uint32_t(p[i + 1]) << 8;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = (i + 1 < n) ? kAlphabet[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  Base64Encode(in, out);
  return out;
}

namespace {

// Four tables, one per position in a quad, hold each character's 6 bits already shifted into
// place, and bit 24 for "not in the alphabet": a quad is four loads and three ORs, and one test
// per eight characters finds any bad one (measured in bench/get_records_benchmark.cc).
constexpr uint32_t kBad = 1u << 24;
constexpr std::array<uint32_t, 256> MakeShiftedTable(int shift) {
  std::array<uint32_t, 256> t{};
  for (size_t c = 0; c < 256; ++c) t[c] = kDecode[c] < 0 ? kBad : static_cast<uint32_t>(kDecode[c]) << shift;
  return t;
}
constexpr auto kD0 = MakeShiftedTable(18);
constexpr auto kD1 = MakeShiftedTable(12);
constexpr auto kD2 = MakeShiftedTable(6);
constexpr auto kD3 = MakeShiftedTable(0);

inline uint32_t Quad(const unsigned char* p) { return kD0[p[0]] | kD1[p[1]] | kD2[p[2]] | kD3[p[3]]; }
inline void Put3(char* o, uint32_t v) {
  o[0] = static_cast<char>(v >> 16);
  o[1] = static_cast<char>(v >> 8);
  o[2] = static_cast<char>(v);
}

}  // namespace

bool Base64Decode(std::string_view in, std::string& out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  size_t start = out.size();
  out.resize(start + n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0));
  char* o = out.data() + start;
  size_t i = 0;
  uint32_t bad = 0;
  for (; i + 8 <= n; i += 8, o += 6) {
    const uint32_t a = Quad(p + i), b = Quad(p + i + 4);
    bad |= a | b;
    Put3(o, a);
    Put3(o + 3, b);
  }
  for (; i + 4 <= n; i += 4, o += 3) {
    const uint32_t a = Quad(p + i);
    bad |= a;
    Put3(o, a);
  }
  size_t rest = n - i;
  if (rest) {
    uint32_t v = kD0[p[i]] | kD1[p[i + 1]] | (rest == 3 ? kD2[p[i + 2]] : 0);
    bad |= v;
    *o++ = static_cast<char>(v >> 16);
    if (rest == 3) *o++ = static_cast<char>(v >> 8);
  }
  if (bad & kBad) return out.resize(start), false;
  return true;
}

}  // namespace ki
