#include "infer/type_inference.h"

#include <simdjson.h>

#include <cctype>

#include "common/canonical_text.h"
#include "common/civil_time.h"
#include "decode/decimal.h"

namespace ki {
namespace {

namespace od = simdjson::ondemand;

// The decoder refuses values nested deeper (docs/conversion.md); such a value is JSON here.
constexpr int kMaxDepth = 256;

bool SameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

InferredType Kind(InferredKind kind) {
  InferredType t;
  t.kind = kind;
  return t;
}

// `token`: a valid JSON number without surrounding whitespace.
InferredType ClassifyNumber(std::string_view token) {
  if (token.find_first_of("eE") != std::string_view::npos) return Kind(InferredKind::kDouble);
  std::string_view digits = token;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  const size_t point = digits.find('.');
  std::string_view integer_part = digits.substr(0, point);
  size_t leading = 0;
  while (leading + 1 < integer_part.size() && integer_part[leading] == '0') ++leading;
  InferredType t;
  t.integer_digits = static_cast<int>(integer_part.size() - leading);
  if (point != std::string_view::npos) {
    t.kind = InferredKind::kDecimal;
    t.scale = static_cast<int>(digits.size() - point - 1);
    return t;
  }
  t.kind = InferredKind::kInteger;
  const bool negative = token.front() == '-';
  ScaledDecimal value;
  const unsigned __int128 int64_limit =
      static_cast<unsigned __int128>(INT64_MAX) + (negative ? 1 : 0);
  const unsigned __int128 int128_limit =
      (static_cast<unsigned __int128>(1) << 127) - (negative ? 0 : 1);
  t.fits_int128 = ParseScaledDecimal(token, 0, int128_limit, DecimalSyntax::kJson, &value) ==
                  DecimalParseError::kOk;
  t.fits_int64 = t.fits_int128 && value.magnitude <= int64_limit;
  return t;
}

bool IsScalar(InferredKind k) {
  return k != InferredKind::kNull && k != InferredKind::kObject && k != InferredKind::kArray &&
         k != InferredKind::kJson;
}
bool IsNumeric(InferredKind k) {
  return k == InferredKind::kInteger || k == InferredKind::kDecimal || k == InferredKind::kDouble;
}
bool IsTemporal(InferredKind k) {
  return k == InferredKind::kDate || k == InferredKind::kTimestamp || k == InferredKind::kTimestampTz;
}

// Parses the value at `value` into a fresh type; false on malformed JSON.
bool InferValue(od::value value, int depth, InferredType& out);

bool InferObject(od::object object, int depth, InferredType& out) {
  out.kind = InferredKind::kObject;
  out.objects = 1;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    InferredType value_type;
    od::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return false;
    if (!InferValue(value, depth + 1, value_type)) return false;
    InferredField* slot = nullptr;
    for (auto& f : out.fields) {
      if (SameKey(f.name, key)) slot = &f;
    }
    if (slot == nullptr) {
      out.fields.push_back(InferredField{std::string(key), std::make_unique<InferredType>(), 0, 0});
      slot = &out.fields.back();
    }
    // A repeated key counts once per object (the decoder keeps the last; both values must fit).
    const bool seen = slot->present + slot->nulls > 0;
    if (value_type.kind == InferredKind::kNull) {
      if (!seen) slot->nulls = 1;
    } else {
      slot->present = 1;
      slot->nulls = 0;
    }
    MergeInferredType(*slot->type, value_type);
  }
  return true;
}

bool InferValue(od::value value, int depth, InferredType& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return false;
      out = Kind(InferredKind::kNull);
      return true;
    }
    case od::json_type::boolean: {
      bool b;
      if (value.get_bool().get(b) != simdjson::SUCCESS) return false;
      out = Kind(InferredKind::kBoolean);
      return true;
    }
    case od::json_type::number: {
      // On-Demand does not validate a number it is not asked to convert, and converts none
      // beyond 64 bits: the JSON grammar is checked on the source text (any size).
      std::string_view token = value.raw_json_token();
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.remove_suffix(1);
      ScaledDecimal ignored;
      if (ParseScaledDecimal(token, 0, 0, DecimalSyntax::kJson, &ignored) == DecimalParseError::kSyntax)
        return false;
      out = ClassifyNumber(token);
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return false;
      out = Kind(ClassifyString(s));
      return true;
    }
    case od::json_type::array: {
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return false;
      if (depth >= kMaxDepth) {
        out = Kind(InferredKind::kJson);
        return true;
      }
      out = Kind(InferredKind::kArray);
      out.element = std::make_unique<InferredType>();
      for (auto element : array) {
        od::value v;
        if (element.get(v) != simdjson::SUCCESS) return false;
        InferredType element_type;
        if (!InferValue(v, depth + 1, element_type)) return false;
        MergeInferredType(*out.element, element_type);
      }
      return true;
    }
    case od::json_type::object: {
      od::object object;
      if (value.get_object().get(object) != simdjson::SUCCESS) return false;
      if (depth >= kMaxDepth) {
        out = Kind(InferredKind::kJson);
        return true;
      }
      return InferObject(object, depth, out);
    }
  }
  return false;
}

void MergeFields(InferredType& a, const InferredType& b) {
  for (const auto& fb : b.fields) {
    InferredField* slot = nullptr;
    for (auto& fa : a.fields) {
      if (SameKey(fa.name, fb.name)) slot = &fa;
    }
    if (slot == nullptr) {
      a.fields.push_back(InferredField{fb.name, std::make_unique<InferredType>(), 0, 0});
      slot = &a.fields.back();
    }
    slot->present += fb.present;
    slot->nulls += fb.nulls;
    MergeInferredType(*slot->type, *fb.type);
  }
  a.objects += b.objects;
}

}  // namespace

InferredType::InferredType(const InferredType& other)
    : kind(other.kind),
      integer_digits(other.integer_digits),
      scale(other.scale),
      fits_int64(other.fits_int64),
      fits_int128(other.fits_int128),
      objects(other.objects),
      element(other.element ? std::make_unique<InferredType>(*other.element) : nullptr) {
  for (const auto& f : other.fields) {
    fields.push_back(
        InferredField{f.name, std::make_unique<InferredType>(*f.type), f.present, f.nulls});
  }
}

InferredType& InferredType::operator=(const InferredType& other) {
  if (this != &other) *this = InferredType(other);
  return *this;
}

InferredKind ClassifyString(std::string_view s) {
  // The decoder's own parsers decide, so a column typed from them takes every value seen.
  if (s.size() == 10) {
    int64_t days;
    if (ParseDateText(s, &days)) return InferredKind::kDate;
  }
  if (s.size() > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ')) {
    int64_t micros;
    if (ParseTimestampText(s, &micros)) {
      // The time part holds only digits, ':', '.' and ','; a 'Z' or a sign after it is an offset.
      return s.find_first_of("Zz+-", 11) != std::string_view::npos ? InferredKind::kTimestampTz
                                                                    : InferredKind::kTimestamp;
    }
  }
  if (s.size() == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-') {
    unsigned __int128 uuid;
    if (ParseUuidText(s, &uuid)) return InferredKind::kUuid;
  }
  return InferredKind::kString;
}

void MergeInferredType(InferredType& a, const InferredType& b) {
  if (b.kind == InferredKind::kNull) return;
  if (a.kind == InferredKind::kNull) {
    a = b;
    return;
  }
  if (a.kind == InferredKind::kJson) return;
  if (b.kind == InferredKind::kJson) {
    a = Kind(InferredKind::kJson);
    return;
  }
  if (a.kind == InferredKind::kObject && b.kind == InferredKind::kObject) {
    MergeFields(a, b);
    return;
  }
  if (a.kind == InferredKind::kArray && b.kind == InferredKind::kArray) {
    MergeInferredType(*a.element, *b.element);
    return;
  }
  if (!IsScalar(a.kind) || !IsScalar(b.kind)) {  // a container and something else
    a = Kind(InferredKind::kJson);
    return;
  }
  if (IsNumeric(a.kind) && IsNumeric(b.kind)) {
    if (a.kind == InferredKind::kDouble || b.kind == InferredKind::kDouble) {
      a = Kind(InferredKind::kDouble);
      return;
    }
    if (b.kind == InferredKind::kDecimal) a.kind = InferredKind::kDecimal;
    a.integer_digits = std::max(a.integer_digits, b.integer_digits);
    a.scale = std::max(a.scale, b.scale);
    a.fits_int64 = a.fits_int64 && b.fits_int64;
    a.fits_int128 = a.fits_int128 && b.fits_int128;
    return;
  }
  if (IsTemporal(a.kind) && IsTemporal(b.kind)) {
    // DATE < TIMESTAMP < TIMESTAMPTZ: the decoder reads a date as a timestamp at midnight and
    // text without an offset as UTC.
    a.kind = std::max(a.kind, b.kind);
    return;
  }
  if (a.kind != b.kind) a = Kind(InferredKind::kString);
}

void TableInference::AddRecord(std::string_view json) {
  padded_.assign(json);
  padded_.append(simdjson::SIMDJSON_PADDING, '\0');
  // One parser per record: a failed document must not leave the parser in a state that affects
  // the next one, and sampling a thousand records does not need the reuse.
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded_.data(), json.size(), padded_.size()).get(doc) != simdjson::SUCCESS) {
    ++not_objects_;
    return;
  }
  od::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    ++not_objects_;
    return;
  }
  InferredType record;
  if (!InferObject(object, 0, record)) {
    ++not_objects_;
    return;
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {  // data after the object
    ++not_objects_;
    return;
  }
  MergeFields(top_, record);
  // A key missing from a record is neither present nor null there; keys() reports both counts.
  top_.kind = InferredKind::kObject;
  ++records_;
}

}  // namespace ki
