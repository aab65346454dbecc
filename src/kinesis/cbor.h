// The part of CBOR (RFC 8949) the Kinesis CBOR wire protocol (application/x-amz-cbor-1.1) uses:
// a reader that walks items of a response without building a tree, and a writer for the small
// request maps. The reader never reads past its input and refuses nesting deeper than
// kMaxCborDepth, so any bytes are safe to hand it (fuzz/get_records_cbor_fuzz.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ki {

inline constexpr int kMaxCborDepth = 64;

// application/x-amz-cbor-1.1 (any case, parameters allowed).
inline bool IsCborContentType(std::string_view content_type) {
  constexpr std::string_view kCbor = "application/x-amz-cbor";
  if (content_type.size() < kCbor.size()) return false;
  for (size_t i = 0; i < kCbor.size(); ++i) {
    char c = content_type[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kCbor[i]) return false;
  }
  return true;
}

enum class CborMajor : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,  // false, true, null, undefined, floats, break
};

// The head of one data item.
struct CborHead {
  CborMajor major = CborMajor::kUnsigned;
  uint8_t info = 0;          // the low 5 bits of the initial byte
  uint64_t value = 0;        // integer, length, count or tag number (simple: the raw bits)
  bool indefinite = false;   // a string, array or map of indefinite length (ends with a break)
};

class CborReader {
 public:
  explicit CborReader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ >= data_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  // Reads the next head; false on truncated or malformed input (reserved additional info).
  bool ReadHead(CborHead* head);
  // True (and consumes it) when the next byte is a break (0xff) ending an indefinite item.
  bool ConsumeBreak();
  // After a text/bytes head: appends the string's bytes (definite or chunked) to `out`.
  bool ReadStringInto(const CborHead& head, std::string& out);
  // After a definite text/bytes head: the bytes as a view of the input.
  bool ReadStringView(const CborHead& head, std::string_view* out);
  // Skips one whole item whose head was just read (its contents, nested to kMaxCborDepth).
  bool SkipAfterHead(const CborHead& head, int depth = 0);
  // Skips the next whole item.
  bool Skip(int depth = 0);

  // A number: unsigned/negative integers, or half/single/double floats (simple 25/26/27).
  static std::optional<double> AsNumber(const CborHead& head);
  static bool IsNull(const CborHead& head) {
    return head.major == CborMajor::kSimple && (head.info == 22 || head.info == 23);
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Request bodies: a definite map of text keys to text or unsigned values.
class CborWriter {
 public:
  void MapHeader(uint64_t pairs) { Head(CborMajor::kMap, pairs); }
  void Text(std::string_view s) {
    Head(CborMajor::kText, s.size());
    out_.append(s);
  }
  void Unsigned(uint64_t v) { Head(CborMajor::kUnsigned, v); }
  const std::string& bytes() const { return out_; }

 private:
  void Head(CborMajor major, uint64_t value);
  std::string out_;
};

}  // namespace ki
