#include "sink/postgres/postgres_array.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/utf8.h"
#include "decode/decimal.h"
#include "common/canonical_text.h"
#include "sink/postgres/postgres_copy_format.h"

namespace ki {

// Reads the canonical text of LIST cells with simdjson On-Demand, as the DuckDB sink does:
// On-Demand gives a number's source token, so DECIMAL elements keep every digit.
struct PgArrayEncoder::Parser {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::vector<char> padded;
};

PgArrayEncoder::PgArrayEncoder() = default;
PgArrayEncoder::~PgArrayEncoder() = default;

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Number of characters of UTF-8 text (the text is valid UTF-8).
size_t CountCharacters(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

template <typename T>
bool ParseToken(std::string_view token, T* v) {
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *v);
  return ec == std::errc() && end == token.data() + token.size();
}

std::string_view TrimToken(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool PgFitsLength(std::string_view s, int64_t max_length, size_t* characters) {
  *characters = CountCharacters(s);
  if (static_cast<int64_t>(*characters) <= max_length) return true;
  int64_t seen = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == max_length) break;
      ++seen;
    }
  }
  for (; i < s.size(); ++i) {
    if (s[i] != ' ') return false;
  }
  return true;
}

std::string PgTextProblem(std::string_view s, int64_t max_length, const std::string& type_name) {
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    return "text contains a NUL character, which PostgreSQL cannot store in " + type_name;
  }
  if (!IsValidUtf8(s)) return "text is not valid UTF-8";
  size_t characters = 0;
  if (max_length >= 0 && !PgFitsLength(s, max_length, &characters)) {
    return "text of " + std::to_string(characters) + " characters does not fit " + type_name;
  }
  return {};
}

std::string PgArrayEncoder::Encode(const PgListElement& element, std::string_view text,
                                   std::string& out, bool* bad_record) {
  namespace od = simdjson::ondemand;
  *bad_record = false;
  if (!parser_) parser_ = std::make_unique<Parser>();
  Parser& p = *parser_;
  const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (p.padded.size() < needed) p.padded.resize(std::max(needed, p.padded.size() * 2));
  std::memcpy(p.padded.data(), text.data(), text.size());
  std::memset(p.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  if (auto error = p.parser.iterate(p.padded.data(), text.size(), p.padded.size()).get(p.doc)) {
    return simdjson::error_message(error);
  }
  od::array array;
  if (p.doc.get_array().get(array)) return "not an array";

  const size_t start = out.size();
  PutUInt32(out, 1);  // ndim (0 if it turns out empty)
  PutUInt32(out, 0);  // has_null, patched below
  PutUInt32(out, element.oid);
  PutUInt32(out, 0);  // the length, patched below
  PutUInt32(out, 1);  // lower bound
  uint32_t length = 0;
  bool has_null = false;
  for (auto element_result : array) {
    od::value value;
    if (element_result.get(value)) return "bad element";
    ++length;
    auto fail = [&](const std::string& what) {
      return "element [" + std::to_string(length - 1) + "]: " + what;
    };
    od::json_type type;
    if (value.type().get(type)) return fail("bad JSON");
    if (type == od::json_type::null) {
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) return fail("bad null");
      PutUInt32(out, 0xffffffffu);
      has_null = true;
      continue;
    }
    const bool is_string = type == od::json_type::string;
    std::string_view s;
    if (is_string && value.get_string().get(s)) return fail("bad string");
    switch (element.type) {
      case ColumnType::kBoolean: {
        bool b;
        if (value.get_bool().get(b)) return fail("bad boolean");
        PutBoolField(out, b);
        break;
      }
      case ColumnType::kSmallInt: {
        int16_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int2");
        PutField16(out, static_cast<uint16_t>(v));
        break;
      }
      case ColumnType::kInteger: {
        int32_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int4");
        PutField32(out, static_cast<uint32_t>(v));
        break;
      }
      case ColumnType::kBigInt: {
        int64_t v;
        if (!ParseToken(TrimToken(value.raw_json_token()), &v)) return fail("bad int8");
        PutField64(out, static_cast<uint64_t>(v));
        break;
      }
      case ColumnType::kDecimal: {
        if (element.text_decimal) {  // the decoder's canonical text, a JSON number
          if (type != od::json_type::number) return fail("bad numeric");
          PutNumericTextField(out, TrimToken(value.raw_json_token()));
          break;
        }
        ScaledDecimal d;
        if (type != od::json_type::number ||
            ParseScaledDecimal(TrimToken(value.raw_json_token()), element.decimal_scale,
                               PowerOfTen(kMaxDecimalWidth) - 1, DecimalSyntax::kJson,
                               &d) != DecimalParseError::kOk ||
            !d.exact) {
          return fail("bad numeric");
        }
        PutNumericScaledField(out, d.magnitude, d.negative, element.decimal_scale);
        break;
      }
      case ColumnType::kReal:
      case ColumnType::kDouble: {
        double d;
        if (is_string) {
          if (s == "NaN") {
            d = std::numeric_limits<double>::quiet_NaN();
          } else if (s == "Infinity") {
            d = std::numeric_limits<double>::infinity();
          } else if (s == "-Infinity") {
            d = -std::numeric_limits<double>::infinity();
          } else {
            return fail("bad floating-point string");
          }
          if (element.type == ColumnType::kReal) {
            PutFloat4Field(out, static_cast<float>(d));
          } else {
            PutFloat8Field(out, d);
          }
          break;
        }
        const std::string_view token = TrimToken(value.raw_json_token());
        if (element.type == ColumnType::kReal) {
          // The shortest text of the float reads back to the same float (not so via double).
          float f;
          if (!ParseToken(token, &f)) return fail("bad float4");
          PutFloat4Field(out, f);
        } else {
          if (!ParseToken(token, &d)) return fail("bad float8");
          PutFloat8Field(out, d);
        }
        break;
      }
      case ColumnType::kVarchar: {
        if (!is_string) return fail("text without a string");
        const std::string problem =
            PgTextProblem(s, element.max_length,
                        element.max_length >= 0
                            ? "character varying(" + std::to_string(element.max_length) + ")"
                            : std::string("text"));
        if (!problem.empty()) {
          *bad_record = true;
          return fail(problem);
        }
        PutBytesField(out, s);
        break;
      }
      case ColumnType::kDate: {
        int64_t days;
        if (!is_string || !ParseDateText(s, &days)) return fail("bad date");
        PutDateField(out, days);
        break;
      }
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz: {
        int64_t micros;
        if (!is_string || !ParseTimestampText(s, &micros)) return fail("bad timestamp");
        PutTimestampField(out, micros);
        break;
      }
      case ColumnType::kUuid: {
        unsigned __int128 uuid;
        if (!is_string || !ParseUuidText(s, &uuid)) return fail("bad uuid");
        PutUuidField(out, static_cast<__int128>(uuid));
        break;
      }
      default: return fail("an element type this version cannot write");
    }
  }
  const char* trailing = nullptr;
  if (p.doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return "content after the array";
  }
  if (length == 0) {
    out.resize(start);
    PutUInt32(out, 0);  // ndim
    PutUInt32(out, 0);  // has_null
    PutUInt32(out, element.oid);
    return {};
  }
  auto patch = [&](size_t at, uint32_t v) {
    out[at] = static_cast<char>(v >> 24);
    out[at + 1] = static_cast<char>(v >> 16);
    out[at + 2] = static_cast<char>(v >> 8);
    out[at + 3] = static_cast<char>(v);
  };
  patch(start + 4, has_null ? 1 : 0);
  patch(start + 12, length);
  return {};
}

}  // namespace ki
