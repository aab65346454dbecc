#include "kinesis/kpl_aggregation.h"

#include <openssl/evp.h>

#include <cstring>

#include "common/utf8.h"

namespace ki {
namespace {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Field numbers of the KPL messages.
constexpr uint32_t kPartitionKeyTable = 1;
constexpr uint32_t kExplicitHashKeyTable = 2;
constexpr uint32_t kRecords = 3;
constexpr uint32_t kPartitionKeyIndex = 1;
constexpr uint32_t kExplicitHashKeyIndex = 2;
constexpr uint32_t kData = 3;
constexpr uint32_t kTags = 4;
constexpr uint32_t kTagKey = 1;
constexpr uint32_t kTagValue = 2;

constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;

// Reads one protobuf message's fields from a byte range. Every read checks the remaining length
// first, so a lying length or a truncated varint ends in an error message, never in a read past
// the end. The first error is kept in error_ and ends all further reads.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool AtEnd() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool ReadVarint(uint64_t* value, const char* what) {
    uint64_t result = 0;
    // At most 10 bytes; the 10th may only carry the top bit of a uint64.
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return Fail(std::string("truncated varint (") + what + ")");
      const uint8_t b = *p_++;
      if (i == 9 && b > 1) return Fail(std::string("varint longer than 64 bits (") + what + ")");
      result |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return Fail(std::string("varint longer than 64 bits (") + what + ")");  // unreachable
  }

  // The next field's number and wire type.
  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag;
    if (!ReadVarint(&tag, "field tag")) return false;
    const uint64_t number = tag >> 3;
    if (number == 0 || number > kMaxFieldNumber) {
      return Fail("invalid field number " + std::to_string(number));
    }
    *field = static_cast<uint32_t>(number);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return true;
  }

  bool ReadLengthDelimited(uint32_t field, std::string_view* value) {
    uint64_t length;
    if (!ReadVarint(&length, "length")) return false;
    if (length > remaining()) {
      return Fail("field " + std::to_string(field) + " claims " + std::to_string(length) +
                  " bytes, " + std::to_string(remaining()) + " left");
    }
    *value = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(length));
    p_ += length;
    return true;
  }

  // Skips the value of a field this reader does not know.
  bool Skip(uint32_t field, uint32_t wire_type) {
    switch (wire_type) {
      case kVarint: {
        uint64_t ignored;
        return ReadVarint(&ignored, "unknown field");
      }
      case kFixed64: return SkipBytes(field, 8);
      case kFixed32: return SkipBytes(field, 4);
      case kLengthDelimited: {
        std::string_view ignored;
        return ReadLengthDelimited(field, &ignored);
      }
      case kStartGroup:
      case kEndGroup:
        // Deprecated groups cannot occur in the KPL messages; skipping one would need a nesting
        // walk for no benefit.
        return Fail("field " + std::to_string(field) + " is a group");
      default:
        return Fail("field " + std::to_string(field) + " has invalid wire type " +
                    std::to_string(wire_type));
    }
  }

  bool Expect(uint32_t field, uint32_t wire_type, uint32_t expected) {
    if (wire_type == expected) return true;
    return Fail("field " + std::to_string(field) + " has wire type " + std::to_string(wire_type) +
                ", expected " + std::to_string(expected));
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    p_ = end_;
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool SkipBytes(uint32_t field, size_t n) {
    if (remaining() < n) {
      return Fail("field " + std::to_string(field) + " truncated (" + std::to_string(n) +
                  " bytes expected, " + std::to_string(remaining()) + " left)");
    }
    p_ += n;
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  std::string error_;
};

// Tag { required string key = 1; optional string value = 2; }. The tags are not used, but a
// broken one means a broken aggregate.
bool CheckTag(std::string_view bytes, std::string* why) {
  WireReader r(bytes);
  bool has_key = false;
  while (!r.AtEnd()) {
    uint32_t field, wire_type;
    if (!r.ReadTag(&field, &wire_type)) break;
    if (field == kTagKey || field == kTagValue) {
      std::string_view ignored;
      if (!r.Expect(field, wire_type, kLengthDelimited) || !r.ReadLengthDelimited(field, &ignored))
        break;
      has_key |= field == kTagKey;
    } else if (!r.Skip(field, wire_type)) {
      break;
    }
  }
  if (!r.error().empty()) {
    *why = "tag: " + r.error();
    return false;
  }
  if (!has_key) {
    *why = "tag without a key";
    return false;
  }
  return true;
}

bool ParseUserRecord(std::string_view bytes, const std::vector<std::string_view>& partition_keys,
                     const std::vector<std::string_view>& explicit_hash_keys, KplUserRecord* out,
                     std::string* why) {
  WireReader r(bytes);
  uint64_t pk_index = 0, ehk_index = 0;
  bool has_pk = false, has_ehk = false, has_data = false;
  while (!r.AtEnd()) {
    uint32_t field, wire_type;
    if (!r.ReadTag(&field, &wire_type)) break;
    bool ok;
    switch (field) {
      case kPartitionKeyIndex:
        ok = r.Expect(field, wire_type, kVarint) && r.ReadVarint(&pk_index, "partition_key_index");
        has_pk |= ok;
        break;
      case kExplicitHashKeyIndex:
        ok = r.Expect(field, wire_type, kVarint) &&
             r.ReadVarint(&ehk_index, "explicit_hash_key_index");
        has_ehk |= ok;
        break;
      case kData:
        ok = r.Expect(field, wire_type, kLengthDelimited) &&
             r.ReadLengthDelimited(field, &out->data);
        has_data |= ok;
        break;
      case kTags: {
        std::string_view tag;
        ok = r.Expect(field, wire_type, kLengthDelimited) && r.ReadLengthDelimited(field, &tag);
        if (ok && !CheckTag(tag, why)) return false;
        break;
      }
      default:
        ok = r.Skip(field, wire_type);
        break;
    }
    if (!ok) break;
  }
  if (!r.error().empty()) {
    *why = r.error();
    return false;
  }
  if (!has_pk) {
    *why = "no partition_key_index";
    return false;
  }
  if (!has_data) {
    *why = "no data";
    return false;
  }
  if (pk_index >= partition_keys.size()) {
    *why = "partition_key_index " + std::to_string(pk_index) + " is outside the table of " +
           std::to_string(partition_keys.size()) + " partition keys";
    return false;
  }
  out->partition_key = partition_keys[pk_index];
  out->explicit_hash_key = {};
  if (has_ehk) {
    if (ehk_index >= explicit_hash_keys.size()) {
      *why = "explicit_hash_key_index " + std::to_string(ehk_index) +
             " is outside the table of " + std::to_string(explicit_hash_keys.size()) +
             " explicit hash keys";
      return false;
    }
    out->explicit_hash_key = explicit_hash_keys[ehk_index];
  }
  return true;
}

bool Md5Matches(std::string_view message, std::string_view digest) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(message.data(), message.size(), md, &md_len, EVP_md5(), nullptr) != 1 ||
      md_len != kKplDigestSize) {
    return false;  // no MD5 (e.g. a FIPS-only OpenSSL): cannot be a verified aggregate
  }
  return std::memcmp(md, digest.data(), kKplDigestSize) == 0;
}

}  // namespace

KplResult Deaggregate(std::string_view record_data, std::vector<KplUserRecord>& out,
                      std::string* why) {
  out.clear();
  if (record_data.size() < kKplMagic.size() + kKplDigestSize ||
      record_data.substr(0, kKplMagic.size()) != kKplMagic) {
    return KplResult::kNotAggregated;
  }
  const std::string_view message = record_data.substr(
      kKplMagic.size(), record_data.size() - kKplMagic.size() - kKplDigestSize);
  if (!Md5Matches(message, record_data.substr(record_data.size() - kKplDigestSize))) {
    if (why) *why = "KPL magic but the MD5 does not match: passed through as a plain record";
    return KplResult::kNotAggregated;
  }

  std::string scratch;
  std::string& reason = why ? *why : scratch;
  auto malformed = [&](std::string message_text) {
    out.clear();
    reason = "malformed KPL aggregated record: " + std::move(message_text);
    return KplResult::kMalformed;
  };

  // The tables may follow the records on the wire, so the records are resolved after one pass.
  // These small vectors are the only allocations; they are per aggregate, not per user record.
  std::vector<std::string_view> partition_keys;
  std::vector<std::string_view> explicit_hash_keys;
  WireReader r(message);
  while (!r.AtEnd()) {
    uint32_t field, wire_type;
    if (!r.ReadTag(&field, &wire_type)) break;
    if (field == kPartitionKeyTable || field == kExplicitHashKeyTable || field == kRecords) {
      std::string_view value;
      if (!r.Expect(field, wire_type, kLengthDelimited) || !r.ReadLengthDelimited(field, &value))
        break;
      if (field == kRecords) {
        KplUserRecord record;
        record.data = value;  // the Record message; parsed below
        record.subsequence_number = static_cast<int64_t>(out.size());
        out.push_back(record);
      } else {
        auto& table = field == kPartitionKeyTable ? partition_keys : explicit_hash_keys;
        if (!IsValidUtf8(value)) {
          return malformed(std::string(field == kPartitionKeyTable ? "partition key "
                                                                   : "explicit hash key ") +
                           std::to_string(table.size()) + " is not valid UTF-8");
        }
        table.push_back(value);
      }
    } else if (!r.Skip(field, wire_type)) {
      break;
    }
  }
  if (!r.error().empty()) return malformed(r.error());
  // No user records (also an empty protobuf: magic + MD5 only): zero user records, as the KCL
  // yields; the record is consumed.

  std::string record_why;
  for (KplUserRecord& record : out) {
    const std::string_view bytes = record.data;
    if (!ParseUserRecord(bytes, partition_keys, explicit_hash_keys, &record, &record_why)) {
      return malformed("user record " + std::to_string(record.subsequence_number) + ": " +
                       record_why);
    }
  }
  return KplResult::kAggregated;
}

}  // namespace ki
