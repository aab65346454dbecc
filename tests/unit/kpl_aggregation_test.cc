#include "kinesis/kpl_aggregation.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace ki {
namespace {

// Vectors written by tests/node/make_kpl_vectors.js with the awslabs Node library.
std::filesystem::path KplDataDir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "kpl";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- A minimal protobuf writer for hand-built aggregates -------------------------------------

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Tag(uint32_t field, uint32_t wire_type) { return Varint((field << 3) | wire_type); }

std::string Bytes(uint32_t field, std::string_view value) {
  return Tag(field, 2) + Varint(value.size()) + std::string(value);
}

std::string UInt(uint32_t field, uint64_t value) { return Tag(field, 0) + Varint(value); }

std::string Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(md), n);
}

// magic + protobuf + MD5(protobuf): what the KPL writes.
std::string Aggregate(std::string_view protobuf) {
  return std::string(kKplMagic) + std::string(protobuf) + Md5(protobuf);
}

std::string Record(uint64_t pk_index, std::string_view data) {
  return Bytes(3, UInt(1, pk_index) + Bytes(3, data));
}

struct Expected {
  std::string partition_key;
  std::string explicit_hash_key;
  std::string data;
};

struct Vector {
  std::string file;
  bool aggregated = false;
  std::vector<Expected> records;
};

std::vector<Vector> LoadManifest() {
  std::vector<Vector> vectors;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const std::string text = ReadFile(KplDataDir() / "manifest.json");
  auto error = parser.parse(text).get(root);
  EXPECT_FALSE(error) << simdjson::error_message(error);
  if (error) return vectors;
  for (simdjson::dom::element v : root["vectors"].get_array()) {
    Vector vector;
    vector.file = std::string(v["file"].get_string().value());
    vector.aggregated = v["aggregated"].get_bool().value();
    for (simdjson::dom::element r : v["records"].get_array()) {
      Expected e;
      e.partition_key = std::string(r["partition_key"].get_string().value());
      if (!r["explicit_hash_key"].is_null()) {
        e.explicit_hash_key = std::string(r["explicit_hash_key"].get_string().value());
      }
      e.data = std::string(r["data"].get_string().value());
      vector.records.push_back(std::move(e));
    }
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

// Expects kMalformed and returns the reason.
std::string Malformed(std::string_view protobuf) {
  const std::string record = Aggregate(protobuf);
  std::vector<KplUserRecord> out;
  std::string why;
  EXPECT_EQ(Deaggregate(record, out, &why), KplResult::kMalformed) << why;
  EXPECT_TRUE(out.empty());
  return why;
}

TEST(KplAggregationTest, VectorsFromTheNodeLibrary) {
  const std::vector<Vector> vectors = LoadManifest();
  ASSERT_EQ(vectors.size(), 4u);
  int aggregated = 0;
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.file);
    const std::string bytes = ReadFile(KplDataDir() / v.file);
    std::vector<KplUserRecord> out;
    std::string why;
    const KplResult result = Deaggregate(bytes, out, &why);
    if (!v.aggregated) {
      EXPECT_EQ(result, KplResult::kNotAggregated);
      EXPECT_TRUE(out.empty());
      continue;
    }
    ++aggregated;
    ASSERT_EQ(result, KplResult::kAggregated) << why;
    ASSERT_EQ(out.size(), v.records.size());
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].partition_key, v.records[i].partition_key) << i;
      EXPECT_EQ(out[i].explicit_hash_key, v.records[i].explicit_hash_key) << i;
      EXPECT_EQ(out[i].data, v.records[i].data) << i;
      EXPECT_EQ(out[i].subsequence_number, static_cast<int64_t>(i));
      // Views into the input, no copies.
      EXPECT_GE(out[i].data.data(), bytes.data());
      EXPECT_LE(out[i].data.data() + out[i].data.size(), bytes.data() + bytes.size());
    }
  }
  EXPECT_EQ(aggregated, 3);
}

TEST(KplAggregationTest, ThreeRecordVectorInDetail) {
  const std::string bytes = ReadFile(KplDataDir() / "agg3.bin");
  std::vector<KplUserRecord> out;
  ASSERT_EQ(Deaggregate(bytes, out, nullptr), KplResult::kAggregated);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].partition_key, "pk-alpha");
  EXPECT_EQ(out[1].partition_key, "pk-beta");
  EXPECT_EQ(out[2].partition_key, "pk-alpha");
  EXPECT_EQ(out[0].explicit_hash_key, "");
  EXPECT_EQ(out[1].explicit_hash_key, "170141183460469231731687303715884105728");
  EXPECT_EQ(out[2].data, R"({"sensorId":3,"status":"fail"})");
}

TEST(KplAggregationTest, BadMd5IsAPlainRecord) {
  const std::string bytes = ReadFile(KplDataDir() / "agg3_bad_md5.bin");
  std::vector<KplUserRecord> out{KplUserRecord{}};  // cleared by the call
  std::string why;
  EXPECT_EQ(Deaggregate(bytes, out, &why), KplResult::kNotAggregated);
  EXPECT_TRUE(out.empty());
  EXPECT_NE(why.find("MD5"), std::string::npos) << why;
}

TEST(KplAggregationTest, PlainAndShortRecordsAreNotAggregated) {
  std::vector<KplUserRecord> out;
  EXPECT_EQ(Deaggregate("", out, nullptr), KplResult::kNotAggregated);
  EXPECT_EQ(Deaggregate(R"({"sensorId":1})", out, nullptr), KplResult::kNotAggregated);
  EXPECT_EQ(Deaggregate(kKplMagic, out, nullptr), KplResult::kNotAggregated);
  // Shorter than magic + digest.
  EXPECT_EQ(Deaggregate(std::string(kKplMagic) + std::string(15, 'x'), out, nullptr),
            KplResult::kNotAggregated);
  // A valid aggregate with the magic changed.
  std::string bytes = Aggregate(Bytes(1, "k") + Record(0, "x"));
  ASSERT_EQ(Deaggregate(bytes, out, nullptr), KplResult::kAggregated);
  bytes[0] = 'x';
  EXPECT_EQ(Deaggregate(bytes, out, nullptr), KplResult::kNotAggregated);
}

// Issue 8 case 8: an aggregate with a valid MD5 and no user records (an empty protobuf, or key
// tables only) is an aggregate of zero user records, as the KCL reads it, not a malformed one.
TEST(KplAggregationTest, EmptyAggregateHasZeroUserRecords) {
  std::vector<KplUserRecord> out{KplUserRecord{}};
  std::string why;
  EXPECT_EQ(Deaggregate(Aggregate(""), out, &why), KplResult::kAggregated) << why;
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(Deaggregate(Aggregate(Bytes(1, "pk") + Bytes(2, "123")), out, &why),
            KplResult::kAggregated)
      << why;
  EXPECT_TRUE(out.empty());
}

TEST(KplAggregationTest, HandBuiltAggregate) {
  // Tables after the records, unknown fields of every skippable wire type at both levels, tags.
  const std::string record0 = UInt(1, 1) + Bytes(3, "first") + Tag(9, 1) + std::string(8, '\x7f') +
                              Bytes(4, Bytes(1, "tag-key") + Bytes(2, "tag-value"));
  const std::string record1 = UInt(1, 0) + UInt(2, 0) + Tag(7, 5) + std::string(4, '\0') +
                              Bytes(3, "") + UInt(15, 12345);
  const std::string proto = Bytes(3, record0) + Bytes(3, record1) + UInt(20, 7) +
                            Tag(21, 1) + std::string(8, 'z') + Bytes(22, "ignored") +
                            Tag(23, 5) + "abcd" + Bytes(1, "pk0") + Bytes(1, "pk1") +
                            Bytes(2, "12345");
  const std::string bytes = Aggregate(proto);
  std::vector<KplUserRecord> out;
  std::string why;
  ASSERT_EQ(Deaggregate(bytes, out, &why), KplResult::kAggregated) << why;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].partition_key, "pk1");
  EXPECT_EQ(out[0].explicit_hash_key, "");
  EXPECT_EQ(out[0].data, "first");
  EXPECT_EQ(out[1].partition_key, "pk0");
  EXPECT_EQ(out[1].explicit_hash_key, "12345");
  EXPECT_EQ(out[1].data, "");
  EXPECT_EQ(out[1].subsequence_number, 1);
}

TEST(KplAggregationTest, RepeatedScalarFieldKeepsTheLastValue) {
  const std::string proto =
      Bytes(1, "a") + Bytes(1, "b") +
      Bytes(3, UInt(1, 0) + Bytes(3, "x") + UInt(1, 1) + Bytes(3, "y"));
  const std::string bytes = Aggregate(proto);
  std::vector<KplUserRecord> out;
  ASSERT_EQ(Deaggregate(bytes, out, nullptr), KplResult::kAggregated);
  EXPECT_EQ(out[0].partition_key, "b");
  EXPECT_EQ(out[0].data, "y");
}

TEST(KplAggregationTest, MalformedContent) {
  const std::string pk = Bytes(1, "pk");
  EXPECT_NE(Malformed(pk + "\x1a").find("truncated varint"), std::string::npos);
  EXPECT_NE(Malformed(pk + "\x1a\x05" "ab").find("claims 5 bytes"), std::string::npos);
  // A length near 2^64: no overflow in the bounds check.
  EXPECT_NE(Malformed(pk + Tag(3, 2) + Varint(~0ull) + "abc").find("claims"), std::string::npos);
  EXPECT_NE(Malformed(pk + Tag(3, 2) + Varint(1ull << 62) + "abc").find("claims"),
            std::string::npos);
  // An 11-byte varint, and a 10-byte one whose last byte overflows 64 bits.
  EXPECT_NE(Malformed(pk + Tag(9, 0) + std::string(10, '\xff') + '\x01').find("64 bits"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Tag(9, 0) + std::string(9, '\xff') + '\x02').find("64 bits"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Bytes(3, Tag(1, 0) + std::string(10, '\x80'))).find("64 bits"),
            std::string::npos);
  // The largest 10-byte varint is fine (an unknown field here).
  {
    const std::string bytes = Aggregate(pk + Record(0, "x") + Tag(9, 0) +
                                        std::string(9, '\xff') + '\x01');
    std::vector<KplUserRecord> out;
    EXPECT_EQ(Deaggregate(bytes, out, nullptr), KplResult::kAggregated);
  }
  EXPECT_NE(Malformed(pk + Record(1, "x")).find("partition_key_index 1 is outside"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Bytes(3, UInt(1, 0) + UInt(2, 0) + Bytes(3, "x")))
                .find("explicit_hash_key_index 0 is outside"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Bytes(3, UInt(1, 0))).find("no data"), std::string::npos);
  EXPECT_NE(Malformed(pk + Bytes(3, Bytes(3, "x"))).find("no partition_key_index"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Record(0, "x") + Tag(5, 3) + Tag(5, 4)).find("group"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Record(0, "x") + Tag(5, 6)).find("wire type 6"), std::string::npos);
  EXPECT_NE(Malformed(pk + Record(0, "x") + Tag(5, 1) + "1234").find("truncated"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Record(0, "x") + std::string(1, '\0')).find("field number 0"),
            std::string::npos);
  // Known fields with the wrong wire type.
  EXPECT_NE(Malformed(UInt(1, 5) + Record(0, "x")).find("wire type 0, expected 2"),
            std::string::npos);
  EXPECT_NE(Malformed(pk + Bytes(3, Bytes(1, "0") + Bytes(3, "x"))).find("wire type 2"),
            std::string::npos);
  // A truncated field inside a record, and a record that is cut off.
  EXPECT_NE(Malformed(pk + Bytes(3, UInt(1, 0) + "\x1a\x09" "abc")).find("user record 0"),
            std::string::npos);
  // Tags: the key is required.
  EXPECT_NE(Malformed(pk + Bytes(3, UInt(1, 0) + Bytes(3, "x") + Bytes(4, Bytes(2, "v"))))
                .find("tag without a key"),
            std::string::npos);
  // Keys end up in VARCHAR columns.
  EXPECT_NE(Malformed(Bytes(1, "\xff\xfe") + Record(0, "x")).find("not valid UTF-8"),
            std::string::npos);
  // The reason names the user record.
  EXPECT_NE(Malformed(pk + Record(0, "a") + Record(0, "b") + Record(3, "c")).find("user record 2"),
            std::string::npos);
}

TEST(KplAggregationTest, ResultVectorIsReused) {
  std::vector<KplUserRecord> out;
  const std::string big = ReadFile(KplDataDir() / "agg100.bin");
  ASSERT_EQ(Deaggregate(big, out, nullptr), KplResult::kAggregated);
  const size_t capacity = out.capacity();
  const std::string small = ReadFile(KplDataDir() / "agg1.bin");
  ASSERT_EQ(Deaggregate(small, out, nullptr), KplResult::kAggregated);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out.capacity(), capacity);
  EXPECT_EQ(out[0].partition_key, "only-key");
}

// Every prefix and many random mutations of a real aggregate, each with a matching MD5 so the
// parser (not the checksum) sees them: never a crash or an out-of-bounds view (ASan builds check
// the reads), always a definite answer.
TEST(KplAggregationTest, TruncationsAndMutationsWithValidMd5) {
  const std::string bytes = ReadFile(KplDataDir() / "agg3.bin");
  const std::string proto = bytes.substr(4, bytes.size() - 20);
  std::vector<KplUserRecord> out;
  std::string why;
  for (size_t n = 0; n < proto.size(); ++n) {
    const std::string record = Aggregate(proto.substr(0, n));
    const KplResult result = Deaggregate(record, out, &why);
    EXPECT_NE(result, KplResult::kNotAggregated) << n;
    if (result != KplResult::kAggregated) {
      EXPECT_TRUE(out.empty()) << n;
    }
    for (const KplUserRecord& u : out) {
      EXPECT_GE(u.data.data(), record.data());
      EXPECT_LE(u.data.data() + u.data.size(), record.data() + record.size());
    }
  }
  std::mt19937 rng(12345);
  int aggregated = 0, malformed = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string mutated = proto;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xFF);
    }
    const std::string record = Aggregate(mutated);
    const KplResult result = Deaggregate(record, out, &why);
    ASSERT_NE(result, KplResult::kNotAggregated);
    if (result == KplResult::kAggregated) {
      ++aggregated;
      for (const KplUserRecord& u : out) {
        ASSERT_GE(u.data.data(), record.data());
        ASSERT_LE(u.data.data() + u.data.size(), record.data() + record.size());
        ASSERT_GE(u.partition_key.data(), record.data());
        ASSERT_LE(u.partition_key.data() + u.partition_key.size(),
                  record.data() + record.size());
      }
    } else {
      ++malformed;
      ASSERT_TRUE(out.empty());
      ASSERT_FALSE(why.empty());
    }
  }
  EXPECT_GT(aggregated, 0);
  EXPECT_GT(malformed, 0);
}

}  // namespace
}  // namespace ki
