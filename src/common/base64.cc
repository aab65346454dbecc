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

bool Base64Decode(std::string_view in, std::string& out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  size_t start = out.size();
  out.resize(start + n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0));
  char* o = out.data() + start;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    int a = kDecode[p[i]], b = kDecode[p[i + 1]], c = kDecode[p[i + 2]], d = kDecode[p[i + 3]];
    if ((a | b | c | d) < 0) return out.resize(start), false;
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>(v >> 8);
    *o++ = static_cast<char>(v);
  }
  size_t rest = n - i;
  if (rest) {
    int a = kDecode[p[i]], b = kDecode[p[i + 1]];
    int c = rest == 3 ? kDecode[p[i + 2]] : 0;
    if ((a | b | c) < 0) return out.resize(start), false;
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6);
    *o++ = static_cast<char>(v >> 16);
    if (rest == 3) *o++ = static_cast<char>(v >> 8);
  }
  return true;
}

}  // namespace ki
