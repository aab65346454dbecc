#include "sink/duckdb/duckdb_nested.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/base64.h"
#include "decode/decimal.h"
#include "common/canonical_text.h"
#include "sink/duckdb/duckdb_handles.h"

// Why On-Demand and not DOM for the canonical text: DECIMAL(19..38) and HUGEINT elements are JSON
// numbers beyond double's precision; On-Demand gives their source token (raw_json_token), DOM
// only a double. And the canonical text lists STRUCT fields in schema order, so a forward-only
// reader fills the field vectors without any lookup.

namespace ki {
namespace {

namespace od = simdjson::ondemand;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char a = (s[i] >= 'a' && s[i] <= 'z') ? static_cast<char>(s[i] - 32) : s[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

// Recursive descent over DuckDB's type text:
//   type   := base ("[]")*
//   base   := "STRUCT(" field ("," field)* ")" | scalar
//   field  := name type         name := bare word | "quoted ""name"""
//   scalar := anything up to a ',' ')' or '[' outside parentheses and quotes
class TypeTextParser {
 public:
  TypeTextParser(std::string_view text, DuckDbScalarTypeFromName scalar_type)
      : s_(text), scalar_type_(scalar_type) {}

  bool ParseAll(ColumnSpec* spec) {
    if (!ParseType(spec)) return false;
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

  bool ParseName(std::string* name) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      while (pos_ < s_.size()) {
        if (s_[pos_] == '"') {
          if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '"') {
            name->push_back('"');
            pos_ += 2;
            continue;
          }
          ++pos_;
          return true;
        }
        name->push_back(s_[pos_++]);
      }
      return false;
    }
    const size_t begin = pos_;
    while (pos_ < s_.size() && !IsSpace(s_[pos_]) && s_[pos_] != ',' && s_[pos_] != ')') ++pos_;
    *name = std::string(s_.substr(begin, pos_ - begin));
    return !name->empty();
  }

  bool ParseScalar(ColumnSpec* spec) {
    const size_t begin = pos_;
    int depth = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\'' || c == '"') {  // ENUM('a', 'b'), UNION("x" INTEGER)
        ++pos_;
        while (pos_ < s_.size() && s_[pos_] != c) ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == 0) break;
        --depth;
      } else if (depth == 0 && (c == ',' || c == '[')) {
        break;
      }
      ++pos_;
    }
    const std::string name(Trim(s_.substr(begin, pos_ - begin)));
    if (name.empty()) return false;
    spec->type_name = name;
    spec->type = scalar_type_(name);
    if (spec->type == ColumnType::kUnsupported || IsNestedType(spec->type)) return false;
    if (spec->type == ColumnType::kDecimal) {
      // "DECIMAL(10,2)"
      const size_t open = name.find('(');
      const size_t comma = name.find(',', open);
      if (open == std::string::npos || comma == std::string::npos) return false;
      int width = 0, scale = 0;
      const char* w_begin = name.data() + open + 1;
      const char* s_begin = name.data() + comma + 1;
      if (std::from_chars(w_begin, name.data() + comma, width).ec != std::errc() ||
          std::from_chars(s_begin, name.data() + name.size() - 1, scale).ec != std::errc() ||
          width < 1 || width > kMaxDecimalWidth || scale < 0 || scale > width) {
        return false;
      }
      spec->decimal_width = static_cast<uint8_t>(width);
      spec->decimal_scale = static_cast<uint8_t>(scale);
    }
    return true;
  }

  bool ParseType(ColumnSpec* spec) {
    if (++depth_ > 64) return false;
    SkipSpace();
    const size_t begin = pos_;
    if (StartsWithIgnoreCase(s_.substr(pos_), "STRUCT(")) {
      pos_ += 7;
      spec->type = ColumnType::kStruct;
      while (true) {
        ColumnSpec field;
        if (!ParseName(&field.name) || !ParseType(&field)) return false;
        spec->children.push_back(std::move(field));
        SkipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return false;
      }
      spec->type_name = std::string(Trim(s_.substr(begin, pos_ - begin)));
    } else if (!ParseScalar(spec)) {
      return false;
    }
    // Each "[]" wraps what came before in a LIST; "[3]" (a fixed-size ARRAY) is not supported.
    while (pos_ < s_.size() && s_[pos_] == '[') {
      if (pos_ + 1 >= s_.size() || s_[pos_ + 1] != ']') return false;
      pos_ += 2;
      ColumnSpec element = std::move(*spec);
      *spec = ColumnSpec();
      spec->name = std::move(element.name);
      element.name = "element";
      spec->type = ColumnType::kList;
      spec->type_name = std::string(Trim(s_.substr(begin, pos_ - begin)));
      spec->children.push_back(std::move(element));
    }
    --depth_;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  DuckDbScalarTypeFromName scalar_type_;
};

// ---- Writing vectors --------------------------------------------------------------------------

void SetValid(duckdb_vector vector, idx_t index) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity != nullptr) duckdb_validity_set_row_valid(validity, index);
}

// A NULL at `index`; for a STRUCT its fields are NULL there too (DuckDB expects that).
void SetNullAt(duckdb_vector vector, idx_t index, const ColumnSpec& spec) {
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), index);
  if (spec.type == ColumnType::kList) {
    static_cast<duckdb_list_entry*>(duckdb_vector_get_data(vector))[index] = {0, 0};
  } else if (spec.type == ColumnType::kStruct) {
    for (size_t i = 0; i < spec.children.size(); ++i) {
      SetNullAt(duckdb_struct_vector_get_child(vector, i), index, spec.children[i]);
    }
  }
}

template <typename T>
void Put(duckdb_vector vector, idx_t index, T value) {
  static_cast<T*>(duckdb_vector_get_data(vector))[index] = value;
}

duckdb_hugeint ToHugeInt(__int128 v) {
  duckdb_hugeint h;
  h.lower = static_cast<uint64_t>(v);
  h.upper = static_cast<int64_t>(v >> 64);
  return h;
}

}  // namespace

bool DescribeDuckDbNestedType(std::string_view type_text, DuckDbScalarTypeFromName scalar_type,
                              ColumnSpec* spec) {
  ColumnSpec parsed;
  TypeTextParser parser(type_text, scalar_type);
  if (!parser.ParseAll(&parsed) || !IsNestedType(parsed.type)) return false;
  spec->type = parsed.type;
  spec->children = std::move(parsed.children);
  return true;
}

bool MatchesDuckDbNestedType(const ColumnSpec& spec, duckdb_logical_type type,
                             DuckDbScalarTypeMatches scalar_matches) {
  const duckdb_type id = duckdb_get_type_id(type);
  switch (spec.type) {
    case ColumnType::kList: {
      if (id != DUCKDB_TYPE_LIST || spec.children.size() != 1) return false;
      DuckDbLogicalType child(duckdb_list_type_child_type(type));
      return MatchesDuckDbNestedType(spec.children[0], child.get(), scalar_matches);
    }
    case ColumnType::kStruct: {
      if (id != DUCKDB_TYPE_STRUCT ||
          duckdb_struct_type_child_count(type) != spec.children.size()) {
        return false;
      }
      for (size_t i = 0; i < spec.children.size(); ++i) {
        DuckDbChars name(duckdb_struct_type_child_name(type, i));
        DuckDbLogicalType child(duckdb_struct_type_child_type(type, i));
        if (!name || spec.children[i].name != name.get() ||
            !MatchesDuckDbNestedType(spec.children[i], child.get(), scalar_matches)) {
          return false;
        }
      }
      return true;
    }
    case ColumnType::kDecimal:
      return id == DUCKDB_TYPE_DECIMAL && duckdb_decimal_width(type) == spec.decimal_width &&
             duckdb_decimal_scale(type) == spec.decimal_scale;
    default:
      return scalar_matches(spec.type, id);
  }
}

class DuckDbNestedWriter::Impl {
 public:
  Status Write(duckdb_vector vector, const ColumnSpec& spec, const RowBatch& batch,
               size_t column, size_t first_row, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      const size_t row = first_row + i;
      if (batch.IsNull(row, column)) {
        SetNullAt(vector, i, spec);
        continue;
      }
      const std::string_view text = batch.GetString(row, column);
      why_.clear();
      if (!WriteCell(vector, i, spec, text)) {
        return InternalError("column '" + spec.name + "' (" + spec.type_name + "), row " +
                             std::to_string(row) + " of the batch: not the decoder's canonical "
                             "text of this type (" + why_ + "): " +
                             std::string(text.substr(0, 200)));
      }
    }
    return Status::Ok();
  }

 private:
  bool Fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }

  bool WriteCell(duckdb_vector vector, idx_t index, const ColumnSpec& spec, std::string_view text) {
    const size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
    if (padded_.size() < needed) padded_.resize(std::max(needed, padded_.size() * 2));
    std::memcpy(padded_.data(), text.data(), text.size());
    std::memset(padded_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    if (auto error = parser_.iterate(padded_.data(), text.size(), padded_.size()).get(doc_)) {
      return Fail(simdjson::error_message(error));
    }
    od::value value;
    if (auto error = doc_.get_value().get(value)) return Fail(simdjson::error_message(error));
    if (!WriteValue(vector, index, spec, value)) return false;
    const char* trailing = nullptr;
    if (doc_.current_location().get(trailing) == simdjson::SUCCESS) {
      return Fail("content after the value");
    }
    return true;
  }

  static std::string_view Token(od::value& value) {
    return Trim(value.raw_json_token());
  }

  bool WriteValue(duckdb_vector vector, idx_t index, const ColumnSpec& spec, od::value& value) {
    od::json_type type;
    if (auto error = value.type().get(type)) return Fail(simdjson::error_message(error));
    if (type == od::json_type::null) {
      bool is_null = false;
      if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return Fail("bad null");
      SetNullAt(vector, index, spec);
      return true;
    }
    SetValid(vector, index);
    switch (spec.type) {
      case ColumnType::kList: {
        od::array array;
        if (type != od::json_type::array || value.get_array().get(array)) {
          return Fail("LIST without an array");
        }
        const idx_t offset = duckdb_list_vector_get_size(vector);
        duckdb_vector child = duckdb_list_vector_get_child(vector);
        idx_t length = 0;
        for (auto element_result : array) {
          if (element_result.error()) return Fail("bad LIST element");
          od::value& element = element_result.value_unsafe();
          // Reserve grows the capacity geometrically; the child's data pointers are fetched
          // again for every element (Put), since growing may move them.
          if (duckdb_list_vector_reserve(vector, offset + length + 1) != DuckDBSuccess) {
            return Fail("cannot grow the LIST child vector");
          }
          if (!WriteValue(child, offset + length, spec.children[0], element)) return false;
          ++length;
        }
        if (duckdb_list_vector_set_size(vector, offset + length) != DuckDBSuccess) {
          return Fail("cannot set the LIST child size");
        }
        Put(vector, index, duckdb_list_entry{offset, length});
        return true;
      }
      case ColumnType::kStruct: {
        od::object object;
        if (type != od::json_type::object || value.get_object().get(object)) {
          return Fail("STRUCT without an object");
        }
        size_t i = 0;
        for (auto field_result : object) {
          if (field_result.error() || i >= spec.children.size()) return Fail("bad STRUCT field");
          od::field& field = field_result.value_unsafe();
          if (!WriteValue(duckdb_struct_vector_get_child(vector, i), index, spec.children[i],
                          field.value())) {
            return false;
          }
          ++i;
        }
        if (i != spec.children.size()) return Fail("STRUCT with missing fields");
        return true;
      }
      default:
        return WriteScalar(vector, index, spec, type, value);
    }
  }

  template <typename T>
  bool PutInteger(duckdb_vector vector, idx_t index, std::string_view token) {
    T v;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc() || end != token.data() + token.size()) return Fail("bad integer");
    Put<T>(vector, index, v);
    return true;
  }

  bool WriteScalar(duckdb_vector vector, idx_t index, const ColumnSpec& spec, od::json_type type,
                   od::value& value) {
    const bool is_string = type == od::json_type::string;
    std::string_view text;
    if (is_string && value.get_string().get(text)) return Fail("bad string");
    switch (spec.type) {
      case ColumnType::kBoolean: {
        bool b;
        if (value.get_bool().get(b)) return Fail("bad boolean");
        Put<bool>(vector, index, b);
        return true;
      }
      case ColumnType::kTinyInt: return PutInteger<int8_t>(vector, index, Token(value));
      case ColumnType::kSmallInt: return PutInteger<int16_t>(vector, index, Token(value));
      case ColumnType::kInteger: return PutInteger<int32_t>(vector, index, Token(value));
      case ColumnType::kBigInt: return PutInteger<int64_t>(vector, index, Token(value));
      case ColumnType::kUTinyInt: return PutInteger<uint8_t>(vector, index, Token(value));
      case ColumnType::kUSmallInt: return PutInteger<uint16_t>(vector, index, Token(value));
      case ColumnType::kUInteger: return PutInteger<uint32_t>(vector, index, Token(value));
      case ColumnType::kUBigInt: return PutInteger<uint64_t>(vector, index, Token(value));
      case ColumnType::kHugeInt:
      case ColumnType::kDecimal: {
        const uint8_t scale = spec.type == ColumnType::kDecimal ? spec.decimal_scale : 0;
        ScaledDecimal d;
        constexpr unsigned __int128 kMaxMagnitude = (~static_cast<unsigned __int128>(0) >> 1) + 1;
        if (type != od::json_type::number ||
            ParseScaledDecimal(Token(value), scale, kMaxMagnitude, DecimalSyntax::kJson, &d) !=
                DecimalParseError::kOk ||
            !d.exact || (!d.negative && d.magnitude == kMaxMagnitude)) {
          return Fail("bad decimal");
        }
        // Two's complement through unsigned arithmetic: right for HUGEINT's minimum too.
        const auto v = static_cast<__int128>(d.negative ? ~d.magnitude + 1 : d.magnitude);
        // DuckDB's physical storage of DECIMAL(w, s) depends on w only.
        const uint8_t width = spec.type == ColumnType::kDecimal ? spec.decimal_width : 38;
        if (spec.type == ColumnType::kHugeInt || width > 18) {
          Put(vector, index, ToHugeInt(v));
        } else if (width > 9) {
          Put(vector, index, static_cast<int64_t>(v));
        } else if (width > 4) {
          Put(vector, index, static_cast<int32_t>(v));
        } else {
          Put(vector, index, static_cast<int16_t>(v));
        }
        return true;
      }
      case ColumnType::kReal:
      case ColumnType::kDouble: {
        double d;
        if (is_string) {
          if (text == "NaN") {
            d = std::numeric_limits<double>::quiet_NaN();
          } else if (text == "Infinity" || text == "-Infinity") {
            d = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                               : std::numeric_limits<double>::infinity();
          } else {
            return Fail("bad floating-point string");
          }
          if (spec.type == ColumnType::kReal) {
            Put(vector, index, static_cast<float>(d));
          } else {
            Put(vector, index, d);
          }
          return true;
        }
        const std::string_view token = Token(value);
        if (spec.type == ColumnType::kReal) {
          // The shortest text of the float reads back to the same float (not so via double).
          float f;
          const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), f);
          if (ec != std::errc() || end != token.data() + token.size()) return Fail("bad REAL");
          Put(vector, index, f);
        } else {
          const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
          if (ec != std::errc() || end != token.data() + token.size()) return Fail("bad DOUBLE");
          Put(vector, index, d);
        }
        return true;
      }
      case ColumnType::kVarchar:
      case ColumnType::kJson:
        if (!is_string) return Fail("text without a string");
        duckdb_vector_assign_string_element_len(vector, index, text.data(), text.size());
        return true;
      case ColumnType::kBlob:
        bytes_.clear();
        if (!is_string || !Base64Decode(text, bytes_)) return Fail("bad base64");
        duckdb_vector_assign_string_element_len(vector, index, bytes_.data(), bytes_.size());
        return true;
      case ColumnType::kDate: {
        int64_t days;
        if (!is_string || !ParseDateText(text, &days)) return Fail("bad DATE");
        Put(vector, index, duckdb_date{static_cast<int32_t>(days)});
        return true;
      }
      case ColumnType::kTimestamp:
      case ColumnType::kTimestampTz: {
        int64_t micros;
        if (!is_string || !ParseTimestampText(text, &micros)) return Fail("bad TIMESTAMP");
        Put(vector, index, duckdb_timestamp{micros});
        return true;
      }
      case ColumnType::kTime: {
        int64_t micros;
        if (!is_string || !ParseTimeText(text, &micros)) return Fail("bad TIME");
        Put(vector, index, duckdb_time{micros});
        return true;
      }
      case ColumnType::kUuid: {
        unsigned __int128 uuid;
        if (!is_string || !ParseUuidText(text, &uuid)) return Fail("bad UUID");
        // DuckDB keeps a UUID as a hugeint with the top bit flipped (so that signed comparison
        // orders UUIDs like their text), as DuckDbSink's top-level UUID writer does.
        duckdb_hugeint h;
        h.lower = static_cast<uint64_t>(uuid);
        h.upper = static_cast<int64_t>(static_cast<uint64_t>(uuid >> 64) ^ (uint64_t{1} << 63));
        Put(vector, index, h);
        return true;
      }
      default:
        return Fail(std::string("a value for type ") + spec.type_name +
                    ", which this version cannot fill");
    }
  }

  od::parser parser_;
  od::document doc_;
  std::vector<char> padded_;
  std::string bytes_;
  std::string why_;
};

DuckDbNestedWriter::DuckDbNestedWriter() : impl_(std::make_unique<Impl>()) {}
DuckDbNestedWriter::~DuckDbNestedWriter() = default;

Status DuckDbNestedWriter::Write(duckdb_vector vector, const ColumnSpec& spec,
                                 const RowBatch& batch, size_t column, size_t first_row,
                                 size_t count) {
  return impl_->Write(vector, spec, batch, column, first_row, count);
}

}  // namespace ki
