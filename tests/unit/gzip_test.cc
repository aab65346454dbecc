#include "decode/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>

namespace ki {
namespace {

// gzip-compresses with zlib's own deflate (gzip wrapper: windowBits 15 + 16).
std::string GzipCompress(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string TextOfSize(size_t n) {
  std::string s;
  std::mt19937 rng(7);
  while (s.size() < n) {
    s += R"({"sensorId":)" + std::to_string(rng() % 100000) + R"(,"status":"ok"})" + "\n";
  }
  s.resize(n);
  return s;
}

constexpr size_t kMiB = 1 << 20;

TEST(GzipTest, LooksGzipped) {
  EXPECT_TRUE(LooksGzipped("\x1f\x8b"));
  EXPECT_TRUE(LooksGzipped(GzipCompress("x")));
  EXPECT_FALSE(LooksGzipped(""));
  EXPECT_FALSE(LooksGzipped("\x1f"));
  EXPECT_FALSE(LooksGzipped("{\"a\":1}"));
  EXPECT_FALSE(LooksGzipped("\x8b\x1f"));
}

TEST(GzipTest, RoundTrip) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{5000}, 3 * kMiB}) {
    const std::string data = TextOfSize(n);
    std::string out = "stale content";
    Status s = Gunzip(GzipCompress(data), out, 64 * kMiB);
    ASSERT_TRUE(s.ok()) << n << ": " << s.message();
    EXPECT_EQ(out, data) << n;
  }
  // Binary bytes, stored uncompressed (level 0) and compressed.
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary.push_back(static_cast<char>((i * 7919) & 0xFF));
  for (int level : {0, 1, 9}) {
    std::string out;
    ASSERT_TRUE(Gunzip(GzipCompress(binary, level), out, kMiB).ok()) << level;
    EXPECT_EQ(out, binary) << level;
  }
}

TEST(GzipTest, ConcatenatedMembers) {
  const std::string gz = GzipCompress("first\n") + GzipCompress("") + GzipCompress("second\n");
  std::string out;
  Status s = Gunzip(gz, out, kMiB);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(out, "first\nsecond\n");
}

TEST(GzipTest, OutputCap) {
  const std::string data = TextOfSize(10000);
  const std::string gz = GzipCompress(data);
  std::string out;
  EXPECT_TRUE(Gunzip(gz, out, data.size()).ok());  // exactly at the cap
  EXPECT_EQ(out, data);
  Status s = Gunzip(gz, out, data.size() - 1);
  EXPECT_EQ(s.kind(), ErrorKind::kBadRecord);
  EXPECT_EQ(s.message(), "gzip data inflates to more than 9999 bytes");
  // Also across members.
  s = Gunzip(gz + gz, out, data.size() + 10);
  EXPECT_EQ(s.kind(), ErrorKind::kBadRecord) << s.message();
}

TEST(GzipTest, BombIsStoppedAtTheCap) {
  // 64 MiB of zeros compress to ~64 KB; the cap stops it after 1 MiB of output.
  const std::string zeros(64 * kMiB, '\0');
  const std::string bomb = GzipCompress(zeros, 9);
  ASSERT_LT(bomb.size(), 100000u);
  std::string out;
  GzipInflater inflater;
  Status s = inflater.Inflate(bomb, out, kMiB);
  EXPECT_EQ(s.kind(), ErrorKind::kBadRecord);
  EXPECT_NE(s.message().find("inflates to more than 1048576 bytes"), std::string::npos);
  EXPECT_LE(out.capacity(), 2 * kMiB);  // the buffer never grew towards 64 MiB
  // The inflater is usable after the error.
  ASSERT_TRUE(inflater.Inflate(GzipCompress("again"), out, kMiB).ok());
  EXPECT_EQ(out, "again");
}

TEST(GzipTest, TruncatedInput) {
  const std::string data = TextOfSize(20000);
  const std::string gz = GzipCompress(data);
  GzipInflater inflater;
  std::string out;
  for (size_t n = 0; n < gz.size(); n += (n < 40 ? 1 : 97)) {
    Status s = inflater.Inflate(std::string_view(gz).substr(0, n), out, kMiB);
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_EQ(s.kind(), ErrorKind::kBadRecord) << n;
  }
  Status s = inflater.Inflate(std::string_view(gz).substr(0, gz.size() - 1), out, kMiB);
  EXPECT_EQ(s.message(), "truncated gzip data (" + std::to_string(gz.size() - 1) + " bytes)");
  EXPECT_EQ(Gunzip("", out, kMiB).message(), "truncated gzip data (0 bytes)");
}

TEST(GzipTest, CorruptInput) {
  const std::string data = TextOfSize(5000);
  const std::string gz = GzipCompress(data);
  std::string out;

  std::string bad_method = gz;
  bad_method[2] = 7;  // compression method must be 8 (deflate)
  Status s = Gunzip(bad_method, out, kMiB);
  EXPECT_EQ(s.kind(), ErrorKind::kBadRecord);
  EXPECT_EQ(s.message(), "corrupt gzip data: unknown compression method");

  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] ^= 0x55;  // the CRC-32 in the trailer
  s = Gunzip(bad_crc, out, kMiB);
  EXPECT_EQ(s.message(), "corrupt gzip data: incorrect data check");

  std::string bad_length = gz;
  bad_length[gz.size() - 1] ^= 0x01;  // ISIZE in the trailer
  s = Gunzip(bad_length, out, kMiB);
  EXPECT_EQ(s.message(), "corrupt gzip data: incorrect length check");

  // A zlib (not gzip) stream.
  std::string zlib_stream(compressBound(data.size()), '\0');
  uLongf n = zlib_stream.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(zlib_stream.data()), &n,
                     reinterpret_cast<const Bytef*>(data.data()), data.size()),
            Z_OK);
  zlib_stream.resize(n);
  s = Gunzip(zlib_stream, out, kMiB);
  EXPECT_EQ(s.message(), "corrupt gzip data: incorrect header check");

  // Bytes after the last member that do not start another member.
  s = Gunzip(gz + "garbage", out, kMiB);
  EXPECT_EQ(s.message(), "7 bytes of trailing data after the gzip stream");

  // Random corruption in the deflate body: an error or (rarely) other bytes, never a crash.
  std::mt19937 rng(99);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = gz;
    mutated[10 + rng() % (mutated.size() - 10)] = static_cast<char>(rng());
    s = Gunzip(mutated, out, 64 * 1024);
    if (!s.ok()) {
      EXPECT_EQ(s.kind(), ErrorKind::kBadRecord) << s.message();
    }
  }
}

TEST(GzipTest, InflaterIsMovable) {
  GzipInflater a;
  std::string out;
  ASSERT_TRUE(a.Inflate(GzipCompress("one"), out, 100).ok());
  GzipInflater b(std::move(a));
  ASSERT_TRUE(b.Inflate(GzipCompress("two"), out, 100).ok());
  EXPECT_EQ(out, "two");
  a = std::move(b);
  ASSERT_TRUE(a.Inflate(GzipCompress("three"), out, 100).ok());
  EXPECT_EQ(out, "three");
}

}  // namespace
}  // namespace ki
