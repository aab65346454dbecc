// PostgreSQL's binary COPY format, field by field (the hot path of the sink's Append; see
// postgres_copy_writer.h). Each field is a big-endian int32 length (-1: NULL) and the type's
// binary "send" form: integers and floats big-endian, date as int32 days and timestamps/time as
// int64 microseconds since 2000-01-01, uuid as 16 bytes, text/json/bytea as their bytes, jsonb as
// version 1 + text, numeric as base-10000 digits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ki {

// The file header: signature, flags, header extension length.
inline constexpr char kBinaryCopyHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
inline constexpr size_t kBinaryCopyHeaderSize = 19;
inline constexpr int64_t kPostgresEpochDays = 10957;                // 2000-01-01 - 1970-01-01
inline constexpr int64_t kPostgresEpochMicros = 946684800000000LL;  // the same in microseconds

inline void PutUInt16(std::string& out, uint16_t v) {
  const char bytes[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 2);
}
inline void PutUInt32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}
inline void PutUInt64(std::string& out, uint64_t v) {
  PutUInt32(out, static_cast<uint32_t>(v >> 32));
  PutUInt32(out, static_cast<uint32_t>(v));
}
// A fixed-size field: its length, then the value.
inline void PutField16(std::string& out, uint16_t v) {
  PutUInt32(out, 2);
  PutUInt16(out, v);
}
inline void PutField32(std::string& out, uint32_t v) {
  PutUInt32(out, 4);
  PutUInt32(out, v);
}
inline void PutField64(std::string& out, uint64_t v) {
  PutUInt32(out, 8);
  PutUInt64(out, v);
}
inline void PutBoolField(std::string& out, bool v) {
  PutUInt32(out, 1);
  out.push_back(v ? 1 : 0);
}
inline void PutFloat4Field(std::string& out, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  PutField32(out, bits);
}
inline void PutFloat8Field(std::string& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  PutField64(out, bits);
}
// Days since 1970-01-01.
inline void PutDateField(std::string& out, int64_t days) {
  PutField32(out, static_cast<uint32_t>(days - kPostgresEpochDays));
}
// Microseconds since 1970-01-01 (timestamp and timestamptz). Unsigned arithmetic: no overflow
// for any input; the server checks the range.
inline void PutTimestampField(std::string& out, int64_t micros) {
  PutField64(out, static_cast<uint64_t>(micros) - static_cast<uint64_t>(kPostgresEpochMicros));
}
inline void PutBytesField(std::string& out, std::string_view bytes) {
  PutUInt32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes.data(), bytes.size());
}
inline void PutUuidField(std::string& out, __int128 value) {
  const auto bits = static_cast<unsigned __int128>(value);
  PutUInt32(out, 16);
  PutUInt64(out, static_cast<uint64_t>(bits >> 64));
  PutUInt64(out, static_cast<uint64_t>(bits));
}

// numeric from a scaled integer: the value is `magnitude` / 10^scale (magnitude below 2^128,
// scale 0..38 or more), negative when `negative` and the magnitude is not zero. The base-10000
// digits are computed from the integer directly (no decimal text in between); dscale is `scale`,
// as PostgreSQL keeps it for numeric(p, scale).
void PutNumericScaledField(std::string& out, uint64_t magnitude, bool negative, uint8_t scale);
void PutNumericScaledField(std::string& out, unsigned __int128 magnitude, bool negative,
                           uint8_t scale);
// DECIMAL(<=18) cells (Cell.i64) and DECIMAL(19..38) cells (Cell.i128): the scaled integer.
inline void PutNumeric64Field(std::string& out, int64_t value, uint8_t scale) {
  const bool negative = value < 0;
  const auto bits = static_cast<uint64_t>(value);
  PutNumericScaledField(out, negative ? ~bits + 1 : bits, negative, scale);
}
inline void PutNumeric128Field(std::string& out, __int128 value, uint8_t scale) {
  const bool negative = value < 0;
  const auto bits = static_cast<unsigned __int128>(value);
  PutNumericScaledField(out, negative ? ~bits + 1 : bits, negative, scale);
}
// numeric from the canonical text of a decimal of any width ("[-]digits[.digits]", as the
// decoder's ParseDecimalText writes it): dscale is the number of fraction digits, and the
// base-10000 digits are read straight from the text, grouped around the point (no text round
// trip through the server, no intermediate number).
void PutNumericTextField(std::string& out, std::string_view text);

}  // namespace ki
