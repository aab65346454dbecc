// The conversion rules per column type (json_decoder.h "Value conversion", docs/conversion.md):
// one JSON value into a cell (CellTarget) or into the canonical text of a LIST/STRUCT element
// (CanonicalTarget). ConvertValue is written once against both targets.
#include "decode/json_decoder_internal.h"

namespace ki {
namespace jd {

// Base64 of either alphabet, not mixed; padding optional but right when present. `translated`
// is scratch space for the URL-safe alphabet (common/base64 knows only the standard one).
bool DecodeBase64Value(std::string_view text, std::string* translated, std::string* bytes) {
  bytes->clear();
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2 || (padding > 0 && text.size() % 4 != 0)) return false;
  bool url_safe = false, standard = false;
  for (char c : text) {
    url_safe |= c == '-' || c == '_';
    standard |= c == '+' || c == '/';
  }
  if (url_safe && standard) return false;
  if (url_safe) {
    translated->assign(text);
    for (char& c : *translated) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    text = *translated;
  }
  return Base64Decode(text, *bytes);
}

}  // namespace jd

Status JsonRecordDecoder::Impl::NumberToken(od::value& value, std::string_view* token) {
  *token = TrimTrailingSpace(value.raw_json_token());
  ScaledDecimal ignored;
  if (ParseScaledDecimal(*token, 0, kMaxU128, DecimalSyntax::kJson, &ignored) ==
      DecimalParseError::kSyntax) {
    return MalformedAt(("invalid number '" + Shown(*token) + "'").c_str(), token->data());
  }
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreNumber(const Column& c, std::string_view text,
                                            DecimalSyntax syntax, Target& out) {
  const bool decimal = c.type == ColumnType::kDecimal;
  if (decimal && c.text_decimal) [[unlikely]] {
    return StoreTextDecimal(c, text, syntax, out);
  }
  ScaledDecimal d;
  const DecimalParseError error = ParseScaledDecimal(
      text, decimal ? c.scale : 0, std::max(c.max_positive, c.max_negative), syntax, &d);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson && text.data() >= buffer_.get() &&
        text.data() < buffer_.get() + buffer_capacity_) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    return ColumnError(c, "'" + Shown(text) + "' is not a number");  // or Tee'd JSON: still bad
  }
  if (error == DecimalParseError::kOverflow ||
      d.magnitude > (d.negative ? c.max_negative : c.max_positive)) {
    if (decimal) {
      return ColumnError(c, "value " + Shown(text) + " does not fit DECIMAL(" +
                                std::to_string(c.width) + "," + std::to_string(c.scale) + ")");
    }
    return ColumnError(c, "value " + Shown(text) + " is out of range");
  }
  if (!decimal && !d.exact) return ColumnError(c, "value " + Shown(text) + " is not an integer");
  // Two's complement through unsigned arithmetic: also right for the minimum values and for
  // UBIGINT's bit pattern in i64.
  const unsigned __int128 bits = d.negative ? ~d.magnitude + 1 : d.magnitude;
  if (c.type == ColumnType::kHugeInt || (decimal && c.width > 18)) {
    out.I128(static_cast<__int128>(bits));
  } else {
    out.I64(static_cast<int64_t>(static_cast<uint64_t>(bits)));
  }
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreTextDecimal(const Column& c, std::string_view text,
                                                 DecimalSyntax syntax, Target& out) {
  bool exact = true;
  const DecimalParseError error = ParseDecimalText(
      text, c.unconstrained ? -1 : c.scale,
      c.unconstrained ? kMaxNumericIntegerDigits : int64_t{c.width} - c.scale, syntax,
      &decimal_text_, &exact);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson && text.data() >= buffer_.get() &&
        text.data() < buffer_.get() + buffer_capacity_) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    return ColumnError(c, "'" + Shown(text) + "' is not a number");
  }
  if (error == DecimalParseError::kOverflow) {
    return ColumnError(c, "value " + Shown(text) + " does not fit " + c.type_name +
                              (c.unconstrained ? " (at most " +
                                                     std::to_string(kMaxNumericIntegerDigits) +
                                                     " digits before the point and " +
                                                     std::to_string(kMaxNumericScale) + " after it)"
                                               : std::string()));
  }
  out.DecimalText(decimal_text_);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreEpoch(const Column& c, std::string_view text,
                                           DecimalSyntax syntax, Target& out, bool* is_number) {
  ScaledDecimal d;
  // Into microseconds: exact from the text, finer digits rounded half away from zero.
  const DecimalParseError error = ParseScaledDecimal(text, epoch_scale_, kMaxU128, syntax, &d);
  if (error == DecimalParseError::kSyntax) {
    if (syntax == DecimalSyntax::kJson) {
      return MalformedAt(("invalid number '" + Shown(text) + "'").c_str(), text.data());
    }
    *is_number = false;
    return Status::Ok();
  }
  const auto limit = static_cast<unsigned __int128>(d.negative ? -kMinTimestampMicros
                                                               : kMaxTimestampMicros);
  if (error == DecimalParseError::kOverflow || d.magnitude > limit) {
    const char* unit = epoch_scale_ == 6 ? "seconds" : epoch_scale_ == 3 ? "milliseconds"
                                                                          : "microseconds";
    return ColumnError(c, "epoch value " + Shown(text) + " (" + unit +
                              ") is out of range (years 0000..9999)");
  }
  const auto magnitude = static_cast<int64_t>(d.magnitude);
  out.I64(d.negative ? -magnitude : magnitude);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreFloat(const Column& c, od::value& value, od::json_type type,
                                           Target& out) {
  double d;
  std::string_view text;  // the number's source text, for messages
  if (type == od::json_type::number) {
    KI_RETURN_IF_ERROR(NumberToken(value, &text));
    // The token is valid JSON, so simdjson fails only when the value is beyond double's range.
    if (value.get_double().get(d) != simdjson::SUCCESS) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
  } else {
    if (auto error = value.get_string().get(text)) return Malformed(error);
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (digits.empty() || end != digits.data() + digits.size()) {
      return ColumnError(c, "'" + Shown(text) + "' is not a number");
    }
    if (ec == std::errc::result_out_of_range) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
  }
  if (c.type == ColumnType::kReal) {
    const auto f = static_cast<float>(d);
    if (std::isinf(f) && !std::isinf(d)) {
      return ColumnError(c, "value " + Shown(text) + " is out of range");
    }
    d = f;
  }
  out.F64(d);
  return Status::Ok();
}

template <typename Target>
Status JsonRecordDecoder::Impl::StoreString(const Column& c, std::string_view text, Target& out) {
  if (c.rejects_nul && std::memchr(text.data(), '\0', text.size()) != nullptr) {
    return ColumnError(c, kNulMessage);
  }
  if (c.max_length >= 0 && text.size() > static_cast<uint64_t>(c.max_length)) {
    const size_t length = CountCodePoints(text);
    if (length > static_cast<uint64_t>(c.max_length)) {
      return ColumnError(c, "value of " + std::to_string(length) + " characters is too long");
    }
  }
  out.Text(text);
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::TypeMismatch(od::value& value, od::json_type type,
                                             const Column& c, int depth) {
  // Malformed JSON (`tru`, `[1 2]`) is reported as such, not as a type mismatch.
  KI_RETURN_IF_ERROR(WalkJson(value, depth, nullptr));
  return ColumnError(c, std::string("cannot store ") + JsonTypeName(type));
}

template <typename Target>
Status JsonRecordDecoder::Impl::ConvertValue(od::value& value, od::json_type type,
                                             const Column& c, int depth, Target& out) {
  switch (c.type) {
    case ColumnType::kBoolean: {
      bool b;
      if (type == od::json_type::boolean) {
        if (auto error = value.get_bool().get(b)) return Malformed(error);
      } else if (type == od::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) return Malformed(error);
        if (text.size() == 4 && EqualsIgnoreCase(text, "true")) {
          b = true;
        } else if (text.size() == 5 && EqualsIgnoreCase(text, "false")) {
          b = false;
        } else {
          return ColumnError(c, "'" + Shown(text) + "' is not a boolean");
        }
      } else {
        return TypeMismatch(value, type, c, depth);
      }
      out.I64(b);
      return Status::Ok();
    }

    case ColumnType::kTinyInt:
    case ColumnType::kSmallInt:
    case ColumnType::kInteger:
    case ColumnType::kBigInt:
    case ColumnType::kHugeInt:
    case ColumnType::kUTinyInt:
    case ColumnType::kUSmallInt:
    case ColumnType::kUInteger:
    case ColumnType::kUBigInt:
    case ColumnType::kDecimal: {
      if (type == od::json_type::number) {
        // StoreNumber checks the JSON number syntax while it converts: one pass over the token.
        return StoreNumber(c, TrimTrailingSpace(value.raw_json_token()), DecimalSyntax::kJson,
                           out);
      }
      if (type == od::json_type::string) {
        std::string_view text;
        if (auto error = value.get_string().get(text)) return Malformed(error);
        return StoreNumber(c, text, DecimalSyntax::kLenient, out);
      }
      return TypeMismatch(value, type, c, depth);
    }

    case ColumnType::kReal:
    case ColumnType::kDouble:
      if (type != od::json_type::number && type != od::json_type::string) {
        return TypeMismatch(value, type, c, depth);
      }
      return StoreFloat(c, value, type, out);

    case ColumnType::kVarchar:
      switch (type) {
        case od::json_type::string: {
          std::string_view text;
          if (auto error = value.get_string().get(text)) return Malformed(error);
          return StoreString(c, text, out);
        }
        case od::json_type::number: {
          std::string_view token;
          KI_RETURN_IF_ERROR(NumberToken(value, &token));
          return StoreString(c, token, out);
        }
        case od::json_type::boolean: {
          bool b;
          if (auto error = value.get_bool().get(b)) return Malformed(error);
          return StoreString(c, b ? "true" : "false", out);
        }
        default:
          scratch_.clear();
          KI_RETURN_IF_ERROR(WalkJson(value, depth, &scratch_));
          return StoreString(c, scratch_, out);
      }

    case ColumnType::kJson:
      scratch_.clear();
      KI_RETURN_IF_ERROR(WalkJson(value, depth, &scratch_));
      if (c.rejects_nul_escape && JsonTextHasNulEscape(scratch_)) {
        return ColumnError(c, kNulEscapeMessage);
      }
      out.Text(scratch_);
      return Status::Ok();

    case ColumnType::kTimestamp:
    case ColumnType::kTimestampTz: {
      bool is_number = true;
      if (type == od::json_type::number) {
        return StoreEpoch(c, TrimTrailingSpace(value.raw_json_token()), DecimalSyntax::kJson, out,
                          &is_number);
      }
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      int64_t micros;
      bool out_of_range = false;
      if (ParseTimestampText(text, &micros, &out_of_range)) {
        out.I64(micros);
        return Status::Ok();
      }
      if (out_of_range) {
        return ColumnError(c, "timestamp '" + Shown(text) +
                                  "' is out of range (years 0000..9999 UTC)");
      }
      KI_RETURN_IF_ERROR(StoreEpoch(c, text, DecimalSyntax::kLenient, out, &is_number));
      if (is_number) return Status::Ok();
      return ColumnError(c, "'" + Shown(text) +
                                "' is not an ISO-8601 timestamp or an epoch number");
    }

    case ColumnType::kDate:
    case ColumnType::kTime:
    case ColumnType::kUuid: {
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      int64_t v = 0;
      unsigned __int128 uuid = 0;
      bool ok = false;
      const char* expected = "";
      switch (c.type) {
        case ColumnType::kDate:
          ok = ParseDateText(text, &v);
          expected = "a date YYYY-MM-DD";
          break;
        case ColumnType::kTime:
          ok = ParseTimeText(text, &v);
          expected = "a time HH:MM:SS[.ffffff]";
          break;
        default:
          ok = ParseUuidText(text, &uuid);
          expected = "a UUID";
          break;
      }
      if (!ok) return ColumnError(c, "'" + Shown(text) + "' is not " + expected);
      if (c.type == ColumnType::kUuid) {
        out.I128(static_cast<__int128>(uuid));
      } else {
        out.I64(v);
      }
      return Status::Ok();
    }

    case ColumnType::kBlob: {
      if (type != od::json_type::string) return TypeMismatch(value, type, c, depth);
      std::string_view text;
      if (auto error = value.get_string().get(text)) return Malformed(error);
      if (!DecodeBase64Value(text, &blob_translated_, &blob_)) {
        return ColumnError(c, "'" + Shown(text) + "' is not base64");
      }
      out.Text(blob_);
      return Status::Ok();
    }

    case ColumnType::kList:
    case ColumnType::kStruct:  // AppendNested/DecodeNested, never here
    case ColumnType::kUnsupported:
      return ColumnError(c, std::string("type ") + c.type_name + " is not supported yet");
  }
  return ColumnError(c, "unknown column type");
}

Status JsonRecordDecoder::Impl::DecodeValue(od::value& value, uint32_t col, size_t row,
                                            RowBatch& batch) {
  const Column& c = columns_[col];
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null)) return Malformed(error);
    if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
    batch.SetNull(row, col);  // a duplicate key may have set it before
    return Status::Ok();
  }
  if (c.nested) return DecodeNested(value, type, c, col, row, batch);
  CellTarget target{batch, row, col};
  return ConvertValue(value, type, c, 0, target);
}

Status JsonRecordDecoder::Impl::DecodeNested(od::value& value, od::json_type type,
                                             const Column& c, uint32_t col, size_t row,
                                             RowBatch& batch) {
  nested_text_.clear();
  element_path_.clear();
  nested_root_ = &c;
  Status status = AppendNested(value, type, c, 0, 0, &nested_text_);
  nested_root_ = nullptr;
  if (!status.ok()) return status;
  batch.SetString(row, col, nested_text_);
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::AppendNested(od::value& value, od::json_type type,
                                             const Column& c, int depth, size_t struct_depth,
                                             std::string* out) {
  if (depth > kMaxNestingDepth) {
    return BadRecord("JSON nested deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  }
  if (c.type == ColumnType::kList) {
    if (type != od::json_type::array) return TypeMismatch(value, type, c, depth);
    od::array array;
    if (auto error = value.get_array().get(array)) return Malformed(error);
    const Column& element_type = c.children[0];
    const size_t step = element_path_.size();
    element_path_.emplace_back();
    out->push_back('[');
    int64_t index = 0;
    for (auto element_result : array) {
      if (auto error = element_result.error()) return Malformed(error);
      element_path_[step].index = index;
      if (index != 0) out->push_back(',');
      KI_RETURN_IF_ERROR(
          AppendElement(element_result.value_unsafe(), element_type, depth + 1, struct_depth, out));
      ++index;
    }
    out->push_back(']');
    element_path_.pop_back();
    return Status::Ok();
  }

  // STRUCT: the fields come in any order (and maybe twice); their canonical text is collected
  // in this level's scratch and written in schema order at the end.
  if (type != od::json_type::object) return TypeMismatch(value, type, c, depth);
  od::object object;
  if (auto error = value.get_object().get(object)) return Malformed(error);
  StructScratch& scratch = struct_scratch_[struct_depth];
  scratch.text.clear();
  scratch.spans.assign(c.children.size(), {0, kMissing});
  const size_t step = element_path_.size();
  element_path_.emplace_back();
  for (auto field_result : object) {
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    int found = -1;
    for (size_t i = 0; i < c.children.size(); ++i) {
      const Column& f = c.children[i];
      if (f.name.size() != key.size()) continue;
      if (key == f.name) {  // an exact-case match wins
        found = static_cast<int>(i);
        break;
      }
      if (found < 0 && EqualsIgnoreCase(key, f.lowered)) found = static_cast<int>(i);
    }
    if (found < 0) {
      element_path_[step].field = nullptr;
      KI_RETURN_IF_ERROR(WalkJson(field.value(), depth + 1, nullptr));  // ignored, validated
      continue;
    }
    const Column& f = c.children[static_cast<size_t>(found)];
    element_path_[step].field = &f.name;
    const size_t begin = scratch.text.size();
    KI_RETURN_IF_ERROR(
        AppendElement(field.value(), f, depth + 1, struct_depth + 1, &scratch.text));
    const size_t length = scratch.text.size() - begin;
    scratch.spans[static_cast<size_t>(found)] = {static_cast<uint32_t>(begin),
                                                 static_cast<uint32_t>(length)};
  }
  element_path_.pop_back();
  out->push_back('{');
  for (size_t i = 0; i < c.children.size(); ++i) {
    if (i != 0) out->push_back(',');
    AppendJsonString(c.children[i].name, out);
    out->push_back(':');
    const auto [offset, length] = scratch.spans[i];
    if (length == kMissing) {
      out->append("null");
    } else {
      out->append(scratch.text, offset, length);
    }
  }
  out->push_back('}');
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::AppendElement(od::value& value, const Column& c, int depth,
                                              size_t struct_depth, std::string* out) {
  od::json_type type;
  if (auto error = value.type().get(type)) return Malformed(error);
  if (type == od::json_type::null) {
    bool is_null = false;
    if (auto error = value.is_null().get(is_null)) return Malformed(error);
    if (!is_null) return Malformed(simdjson::N_ATOM_ERROR);
    out->append("null");
    return Status::Ok();
  }
  if (c.nested) return AppendNested(value, type, c, depth, struct_depth, out);
  CanonicalTarget target{c, out};
  return ConvertValue(value, type, c, depth, target);
}

}  // namespace ki
