#include "decode/json_decoder.h"

// The mapping loops of JsonRecordDecoder: one record in, one row out; by name (with the
// measured fast path: keys compared against the expected column first), by name with --map
// paths, by position. The rest of the decoder: see json_decoder_internal.h.
//
// Why On-Demand and not DOM: DECIMAL columns must be converted exactly from the number's source
// text, which On-Demand exposes (value::raw_json_token) and DOM does not, and On-Demand only
// materialises what the row needs. Stage 1 (the SIMD structural index) is dispatched at run time
// to the CPU's best kernel even though Debian's header-only stage 2 is compiled generically
// (ondemand::parser::allocate asks get_active_implementation()).
// bench/decode_benchmark.cc, seed sensor table, one core of a shared (loaded) 2-vCPU AMD EPYC,
// best CPU-time rate of 8 runs: bare On-Demand parse 17.9M records/s, bare DOM parse 15.2M/s,
// this decoder by name ~6.8M/s, by position ~7.5M/s, records with 6 extra/nested keys ~3.0M/s.
// On-Demand does not validate what it skips, so ignored values are walked (WalkJson) to keep
// "malformed JSON is a bad record" true; that is most of the cost of the wide records.

#include "decode/json_decoder_internal.h"

namespace ki {

Status JsonRecordDecoder::Impl::Decode(std::string_view payload, const RecordMetadata& meta,
                                       RowBatch& batch) {
  if (batch.num_columns() != columns_.size()) {
    return InvalidArgument("row batch has " + std::to_string(batch.num_columns()) +
                           " columns, table '" + table_ + "' has " +
                           std::to_string(columns_.size()));
  }
  const size_t needed = payload.size() + simdjson::SIMDJSON_PADDING;
  if (needed > buffer_capacity_) {
    const size_t capacity = std::max({needed, buffer_capacity_ * 2, size_t{4096}});
    buffer_.reset(new char[capacity]);
    buffer_capacity_ = capacity;
  }
  if (!payload.empty()) std::memcpy(buffer_.get(), payload.data(), payload.size());
  std::memset(buffer_.get() + payload.size(), 0, simdjson::SIMDJSON_PADDING);

  const size_t row = batch.AddRow();
  Status status = DecodeRow(payload.size(), meta, row, batch);
  doc_valid_ = false;
  if (!status.ok()) {
    batch.PopRow();
    return status;
  }
  return Status::Ok();  // not `status`: GCC did not elide that move (1.5% of the benchmark)
}

Status JsonRecordDecoder::Impl::DecodeRow(size_t size, const RecordMetadata& meta, size_t row,
                                          RowBatch& batch) {
  doc_valid_ = false;
  if (auto error = parser_.iterate(buffer_.get(), size, buffer_capacity_).get(doc_)) {
    // Stage 1 checks the whole payload's UTF-8 before anything is converted.
    if (error == simdjson::UTF8_ERROR) return NotUtf8(size);
    if (StartsWithBom(size)) return Bom();
    if (error == simdjson::UNCLOSED_STRING) return Incomplete(size, error);
    return Malformed(error);
  }
  doc_valid_ = true;
  od::json_type type;
  if (doc_.type().get(type) != simdjson::SUCCESS) return NotJson(size);
  if (type != od::json_type::object) return NotAnObject(type, size);
  od::object object;
  if (auto error = doc_.get_object().get(object)) {
    // On-Demand checks only that the last token closes the object: trailing data and a
    // truncated record both end up here.
    if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) return Incomplete(size, error);
    return Malformed(error);
  }
  KI_RETURN_IF_ERROR(mapping_ == ColumnMapping::kByPosition ? DecodeByPosition(object, row, batch)
                     : paths_.empty() ? DecodeByName(object, row, batch)
                                      : DecodeByNameWithPaths(object, row, batch));
  // simdjson 3.0.1's document has no at_end(); current_location() is OUT_OF_BOUNDS exactly when
  // every token has been consumed.
  const char* trailing = nullptr;
  if (doc_.current_location().get(trailing) == simdjson::SUCCESS) {
    return MalformedAt("trailing data after the JSON document", trailing);
  }
  KI_RETURN_IF_ERROR(metadata_.Fill(meta, row, batch));
  for (uint32_t col : not_null_columns_) {
    if (batch.IsNull(row, col)) {
      return ColumnError(columns_[col], "NULL or missing value for a NOT NULL column");
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::DecodeByName(od::object& object, size_t row, RowBatch& batch) {
  for (auto field_result : object) {
    // value_unsafe() after the error check: no copy of the field (a measurable cost per key).
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    const int col = Lookup(key);
    if (col >= 0) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), static_cast<uint32_t>(col), row, batch));
    } else if (strict_keys_) {
      return BadRecord("unknown key '" + Shown(key) + "'");
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // ignored, but must be valid
    }
  }
  return Status::Ok();
}

// DecodeByName with --map paths: a separate loop so that the plain one stays as lean as it was
// (the path lookup per key cost ~1% of the sensor benchmark when it was folded in).
Status JsonRecordDecoder::Impl::DecodeByNameWithPaths(od::object& object, size_t row,
                                                      RowBatch& batch) {
  for (auto field_result : object) {
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    const int col = Lookup(key);
    const int node = FindPathChild(paths_[0], key);
    if (node >= 0) {
      if (col >= 0) {
        // The key feeds a column by name and --map paths below it.
        KI_RETURN_IF_ERROR(Tee(field.value(), col, static_cast<uint32_t>(node), true, 1, row,
                               batch));
      } else {
        KI_RETURN_IF_ERROR(DescendPath(field.value(), static_cast<uint32_t>(node), 1, row, batch));
      }
    } else if (col >= 0) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), static_cast<uint32_t>(col), row, batch));
    } else if (strict_keys_) {
      return BadRecord("unknown key '" + Shown(key) + "'");
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // ignored, but must be valid
    }
  }
  return Status::Ok();
}

Status JsonRecordDecoder::Impl::DecodeByPosition(od::object& object, size_t row,
                                                 RowBatch& batch) {
  size_t count = 0;
  for (auto field_result : object) {
    // value_unsafe() after the error check: no copy of the field (a measurable cost per key).
    if (auto error = field_result.error()) return Malformed(error);
    od::field& field = field_result.value_unsafe();
    // The key is not used, but an invalid escape in it is still malformed JSON.
    std::string_view key;
    if (auto error = FieldKey(field, &key)) return Malformed(error);
    if (count < data_columns_.size()) {
      KI_RETURN_IF_ERROR(DecodeValue(field.value(), data_columns_[count], row, batch));
    } else {
      KI_RETURN_IF_ERROR(WalkJson(field.value(), 0, nullptr));  // count on; report all values
    }
    ++count;
  }
  if (count > data_columns_.size()) {
    return BadRecord("record has " + std::to_string(count) + " values, table has " +
                     std::to_string(data_columns_.size()) + " data columns");
  }
  return Status::Ok();
}

int JsonRecordDecoder::Impl::Lookup(std::string_view key) const {
  // Linear scan with an inline compare: for the < 64 columns of a typical table this beats
  // hashing the key (and a call to memcmp per candidate).
  if (!case_collisions_) {
    for (const KeyEntry& e : keys_) {
      if (e.lowered.size() == key.size() && EqualsIgnoreCase(key, e.lowered)) {
        return static_cast<int>(e.column);
      }
    }
    return -1;
  }
  int candidate = -1;
  for (const KeyEntry& e : keys_) {
    if (e.exact.size() != key.size()) continue;
    if (key == e.exact) return static_cast<int>(e.column);  // an exact-case match wins
    if (candidate < 0 && EqualsIgnoreCase(key, e.lowered)) candidate = static_cast<int>(e.column);
  }
  return candidate;
}

// ---- JsonRecordDecoder -----------------------------------------------------------------------

Result<JsonRecordDecoder> JsonRecordDecoder::Create(const TableSchema& schema,
                                                    const DecoderOptions& options) {
  auto impl = std::make_unique<Impl>();
  KI_RETURN_IF_ERROR(impl->Init(schema, options));
  return JsonRecordDecoder(std::move(impl));
}

JsonRecordDecoder::JsonRecordDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonRecordDecoder::JsonRecordDecoder(JsonRecordDecoder&&) noexcept = default;
JsonRecordDecoder& JsonRecordDecoder::operator=(JsonRecordDecoder&&) noexcept = default;
JsonRecordDecoder::~JsonRecordDecoder() = default;

Status JsonRecordDecoder::Decode(std::string_view payload, const RecordMetadata& meta,
                                 RowBatch& batch) {
  return impl_->Decode(payload, meta, batch);
}

}  // namespace ki
