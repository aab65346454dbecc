// Malformed records and their messages: bytes that are not UTF-8 (and which key they are in),
// a byte order mark, truncated or trailing data, a top level that is not an object, errors inside
// LIST/STRUCT elements; WalkJson validates (and optionally copies) values nobody converts.
#include "decode/json_decoder_internal.h"

namespace ki {
namespace jd {

// The offset of the first byte that makes `s` invalid UTF-8 (or s.size() when it is valid).
// Only for the message of a record that stage 1 rejected; simdjson's validator says only "no".
size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned min_second = 0x80, max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) min_second = 0xA0;  // overlong
      if (c == 0xED) max_second = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) min_second = 0x90;  // overlong
      if (c == 0xF4) max_second = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + length > n) return i;
    if (p[i + 1] < min_second || p[i + 1] > max_second) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return n;
}

// The top-level key whose value contains byte `offset` of `json` (raw, escapes as written), for
// messages; empty when the byte is not inside a top-level value. A tolerant scan of possibly
// malformed input, cold path only.
std::string_view TopLevelKeyAt(std::string_view json, size_t offset) {
  int depth = 0;
  bool in_string = false;
  size_t string_start = 0;
  std::string_view last_string;
  std::string_view key;
  for (size_t i = 0; i < offset && i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        last_string = json.substr(string_start, i - string_start);
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; string_start = i + 1; break;
      case '{': case '[': ++depth; break;
      case '}': case ']': --depth; break;
      case ':': if (depth == 1) key = last_string; break;
      case ',': if (depth == 1) key = {}; break;
      default: break;
    }
  }
  return depth >= 1 ? key : std::string_view();
}

}  // namespace jd

Status JsonRecordDecoder::Impl::Malformed(simdjson::error_code error) {
  std::string message = std::string("malformed JSON: ") + simdjson::error_message(error);
  if (doc_valid_) {
    const char* location = nullptr;
    if (doc_.current_location().get(location) == simdjson::SUCCESS) {
      message += " at byte " + std::to_string(location - buffer_.get());
    }
  }
  return BadRecord(std::move(message));
}

Status JsonRecordDecoder::Impl::NotUtf8(size_t size) const {
  const std::string_view payload(buffer_.get(), size);
  const size_t offset = FirstInvalidUtf8(payload);
  // Still "malformed JSON" (JSON text is UTF-8), said plainly and pointing at the culprit.
  if (offset >= size) return BadRecord("malformed JSON: record is not valid UTF-8");
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(payload[offset]));
  std::string message = "malformed JSON: record is not valid UTF-8 at byte " +
                        std::to_string(offset) + " (" + byte + ")";
  const std::string_view key = TopLevelKeyAt(payload, offset);
  if (!key.empty()) {
    const int col = mapping_ == ColumnMapping::kByName ? Lookup(key) : -1;
    if (col >= 0) {
      const Column& c = columns_[static_cast<size_t>(col)];
      message += ", in the value of column '" + c.name + "' (" + c.type_name + ")";
    } else {
      message += ", in the value of key '" + Shown(key) + "'";
    }
  }
  return BadRecord(std::move(message));
}

bool JsonRecordDecoder::Impl::StartsWithBom(size_t size) const {
  return size >= 3 && std::memcmp(buffer_.get(), "\xEF\xBB\xBF", 3) == 0;
}

Status JsonRecordDecoder::Impl::Bom() {
  return BadRecord("malformed JSON: the record starts with a UTF-8 byte order mark (EF BB BF at "
                   "byte 0), which JSON text must not have");
}

Status JsonRecordDecoder::Impl::Incomplete(size_t size, simdjson::error_code error) {
  // Where the top-level value ends, by a scan of brackets outside strings (cold path only).
  const std::string_view json(buffer_.get(), size);
  int depth = 0;
  bool in_string = false;
  size_t end = std::string_view::npos;
  for (size_t i = 0; i < json.size() && end == std::string_view::npos; ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth <= 0) {
      end = i + 1;
    }
  }
  if (end == std::string_view::npos) {
    return BadRecord("malformed JSON: truncated at byte " + std::to_string(size) +
                     (in_string ? " (the record ends inside a string)"
                                : " (the record ends inside an object or array)"));
  }
  while (end < size && (json[end] == ' ' || json[end] == '\t' || json[end] == '\n' ||
                        json[end] == '\r')) {
    ++end;
  }
  if (end < size) {
    return BadRecord("malformed JSON: trailing data after the JSON document at byte " +
                     std::to_string(end));
  }
  return BadRecord(std::string("malformed JSON: ") + simdjson::error_message(error));
}

Status JsonRecordDecoder::Impl::NotJson(size_t size) {
  if (StartsWithBom(size)) return Bom();
  const std::string_view payload(buffer_.get(), size);
  size_t offset = 0;
  while (offset < size && (payload[offset] == ' ' || payload[offset] == '\t' ||
                           payload[offset] == '\n' || payload[offset] == '\r')) {
    ++offset;
  }
  // An excerpt from there: at most 32 bytes, whole characters (stage 1 checked the UTF-8), up
  // to the end of the line.
  size_t end = offset;
  while (end < size && end - offset < 32 && static_cast<unsigned char>(payload[end]) >= 0x20) {
    ++end;
  }
  while (end > offset && end < size && (static_cast<unsigned char>(payload[end]) & 0xC0) == 0x80) {
    --end;
  }
  return BadRecord("malformed JSON: the record is not valid JSON at byte " +
                   std::to_string(offset) + " ('" + std::string(payload.substr(offset, end - offset)) +
                   (end < size && end - offset >= 32 ? "...')" : "')"));
}

Status JsonRecordDecoder::Impl::NotAnObject(od::json_type type, size_t size) {
  // On-Demand types a value by its first character only (`not json` and `nan` look like null,
  // `tru` like a boolean): only a value that parses is "not an object", anything else is not
  // JSON at all.
  bool valid = true;
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      valid = doc_.is_null().get(is_null) == simdjson::SUCCESS && is_null;
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      valid = doc_.get_bool().get(b) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::number: {
      std::string_view token;
      ScaledDecimal ignored;
      valid = doc_.raw_json_token().get(token) == simdjson::SUCCESS &&
              ParseScaledDecimal(TrimTrailingSpace(token), 0, kMaxU128, DecimalSyntax::kJson,
                                 &ignored) != DecimalParseError::kSyntax;
      break;
    }
    case od::json_type::string: {
      std::string_view text;
      valid = doc_.get_string().get(text) == simdjson::SUCCESS;
      break;
    }
    case od::json_type::array:
    case od::json_type::object:
      break;
  }
  if (!valid) return NotJson(size);
  return BadRecord(std::string("record is not a JSON object but ") + JsonTypeName(type));
}

Status JsonRecordDecoder::Impl::ElementError(const std::string& what) const {
  std::string path;
  for (const ElementStep& step : element_path_) {
    if (step.field != nullptr) {
      if (!path.empty()) path.push_back('.');
      path += *step.field;
    } else if (step.index >= 0) {
      path += "[" + std::to_string(step.index) + "]";
    }
  }
  const Column& c = *nested_root_;
  return BadRecord("column '" + c.name + "' (" + c.type_name + ")" +
                   (path.empty() ? std::string() : " element " + path) + ": " + what);
}

Status JsonRecordDecoder::Impl::WalkJson(od::value& value, int depth, std::string* out) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return Malformed(error);
      if (out) out->push_back('{');
      bool first = true;
      for (auto field_result : object) {
        if (auto error = field_result.error()) return Malformed(error);
        od::field& field = field_result.value_unsafe();
        std::string_view key;
        if (auto error = FieldKey(field, &key)) return Malformed(error);
        if (out) {
          if (!first) out->push_back(',');
          AppendJsonString(key, out);
          out->push_back(':');
        }
        first = false;
        KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, out));
      }
      if (out) out->push_back('}');
      return Status::Ok();
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return Malformed(error);
      if (out) out->push_back('[');
      bool first = true;
      for (auto element_result : array) {
        if (auto error = element_result.error()) return Malformed(error);
        od::value& element = element_result.value_unsafe();
        if (out && !first) out->push_back(',');
        first = false;
        KI_RETURN_IF_ERROR(WalkJson(element, depth + 1, out));
      }
      if (out) out->push_back(']');
      return Status::Ok();
    }
    case od::json_type::number: {
      std::string_view token;
      KI_RETURN_IF_ERROR(NumberToken(value, &token));
      if (out) out->append(token);
      return Status::Ok();
    }
    case od::json_type::string: {
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      if (out) AppendJsonString(text, out);
      return Status::Ok();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto error = value.get_bool().get(b)) return Malformed(error);
      if (out) out->append(b ? "true" : "false");
      return Status::Ok();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return Malformed(error);
      if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
      if (out) out->append("null");
      return Status::Ok();
    }
  }
  return Malformed(simdjson::INCORRECT_TYPE);
}

}  // namespace ki
