// De-aggregation of records written by the Kinesis Producer Library (KPL aggregated record
// format): the 4 magic bytes f3 89 9a c2, a protobuf
//   AggregatedRecord { repeated string partition_key_table = 1;
//                      repeated string explicit_hash_key_table = 2;
//                      repeated Record records = 3; }
//   Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
//            required bytes data = 3; repeated Tag tags = 4; }
//   Tag { required string key = 1; optional string value = 2; }
// and the 16-byte MD5 of the protobuf bytes.
//
// The input is untrusted: the parser is a small hand-written protobuf wire-format reader that
// never reads outside `record_data` and does no work proportional to a claimed length. Pure
// function, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ki {

inline constexpr std::string_view kKplMagic{"\xF3\x89\x9A\xC2", 4};
inline constexpr size_t kKplDigestSize = 16;

// One user record of an aggregate. The views point into the `record_data` given to Deaggregate.
struct KplUserRecord {
  std::string_view partition_key;      // from partition_key_table; valid UTF-8
  std::string_view explicit_hash_key;  // from explicit_hash_key_table; empty when absent
  std::string_view data;
  int64_t subsequence_number = 0;  // index in `records`: 0..n-1
};

enum class KplResult {
  kNotAggregated,  // a plain record: use it as it is
  kAggregated,     // `out` holds the user records
  kMalformed,      // magic and MD5 right, content wrong: a bad record, `why` says what
};

// Splits one Kinesis record's data into its user records. `out` is cleared first (and stays empty
// unless kAggregated, and then too for an empty aggregate); its capacity is reused.
//
// Like the KCL: no magic, fewer than 4 + 16 bytes, or an MD5 that does not match ->
// kNotAggregated (the record is passed through as a plain record; with a bad MD5 `why` says so,
// for a debug log). An aggregate without user records (also magic + the MD5 of an empty
// protobuf, 20 bytes) is kAggregated with `out` empty: zero user records, as the KCL yields, so
// the record is consumed and its position advances. Unlike the KCL, which passes a record through
// when the protobuf does not parse and silently drops the rest of an aggregate whose key index is
// out of range, every content error after a matching MD5 is kMalformed: the producer wrote a
// broken aggregate, and a bad record with the reason is more useful than a confusing JSON error
// or lost user records. kMalformed cases: wire-format errors (truncated varint or field, a length
// beyond the end, groups, wire types 6/7, field number 0, a known field with the wrong wire
// type), a missing required field, a key index outside its table, and a key that is not valid
// UTF-8 (keys become VARCHAR values). Unknown fields of wire types 0, 1, 2 and 5 are skipped. A
// repeated non-repeated field keeps its last value, as protobuf does.
KplResult Deaggregate(std::string_view record_data, std::vector<KplUserRecord>& out,
                      std::string* why);

}  // namespace ki
