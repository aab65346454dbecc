// A small CBOR (RFC 8949) encoder and request decoder for kinesis-replay's --cbor
// (Content-Type: application/x-amz-cbor-1.1). Written here rather than taken from the connector:
// the source under test and the yardstick do not share code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace replay::cbor {

// --- Encoding: always the shortest head (RFC 8949 preferred serialization), definite lengths.
enum Major : uint8_t { kUnsigned = 0, kNegative = 1, kBytes = 2, kText = 3, kArray = 4, kMap = 5, kTag = 6 };

// Appends the head of `major` with argument `value` (the value, a length or a tag number).
void AppendHead(std::string& out, Major major, uint64_t value);
inline void AppendText(std::string& out, std::string_view s) {
  AppendHead(out, kText, s.size());
  out.append(s);
}
inline void AppendBytes(std::string& out, std::string_view b) {
  AppendHead(out, kBytes, b.size());
  out.append(b);
}
inline void AppendInt(std::string& out, int64_t v) {
  if (v >= 0) AppendHead(out, kUnsigned, static_cast<uint64_t>(v));
  else AppendHead(out, kNegative, static_cast<uint64_t>(-(v + 1)));
}
// AWS's x-amz-cbor-1.1 timestamp: tag 1 followed by an integer of epoch milliseconds.
inline void AppendTimestampMs(std::string& out, int64_t epoch_ms) {
  AppendHead(out, kTag, 1);
  AppendInt(out, epoch_ms);
}

// --- Decoding of a request body: one map whose keys are text strings.
struct Value {
  enum Kind : uint8_t { kText, kInt, kFloat, kOther } kind = kOther;
  bool epoch_tag = false;  // preceded by tag 1 (only for kInt / kFloat)
  std::string_view text;   // kText (a view into the body)
  int64_t integer = 0;     // kInt (integers beyond int64 are kOther)
  double real = 0;         // kFloat (half, single or double precision)
};

struct Map {
  std::vector<std::pair<std::string_view, Value>> entries;
  // The first entry with this key, or nullptr.
  const Value* Find(std::string_view key) const;
};

// Decodes `body` as one definite-length map with text-string keys, filling `out`. Values other
// than text strings, integers, floats and tag 1 + integer/float are skipped (kOther), nested to
// a limited depth. Returns false on anything malformed: truncated items, indefinite lengths, a
// non-text key, trailing bytes, nesting deeper than 16.
bool DecodeRequest(std::string_view body, Map& out);

}  // namespace replay::cbor
