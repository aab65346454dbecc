#include "decode/payload_decoder.h"

#include <algorithm>

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "common/utf8.h"
#include "decode/gzip.h"
#include "decode/metadata_columns.h"
#include "kinesis/kpl_aggregation.h"

namespace ki {
namespace {

// Non-blank lines of an NDJSON payload, in order, with a trailing CR removed.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  bool Next(std::string_view* line) {
    while (pos_ < text_.size()) {
      size_t end = text_.find('\n', pos_);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view l = text_.substr(pos_, end - pos_);
      pos_ = end + 1;  // may pass size(): the loop condition ends it
      ++line_number_;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t\r") != std::string_view::npos) {
        *line = l;
        return true;
      }
    }
    return false;
  }
  // 1-based number of the line last returned, counting blank lines.
  int64_t line_number() const { return line_number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_number_ = 0;
};

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string ColumnLabel(const ColumnSpec& c) {
  return "'" + c.name + "' (" + (c.type_name.empty() ? std::string("?") : c.type_name) + ")";
}

// The state of one Decode call.
struct Call {
  const PayloadRecord& record;
  int64_t resume_after;
  int64_t max_user_records;
  RowBatch& batch;
  BadRecordHandler on_bad;
  DecodeOutcome outcome;

  // A plain record's single user record (subsequence -1) counts as number 0: a stored position
  // with a subsequence number is never on a plain record, and a position derived by counting
  // rows (ShardPosition::derived) skips it when the table holds its row.
  bool Skipped(int64_t subsequence) const {
    return resume_after >= 0 && std::max<int64_t>(subsequence, 0) <= resume_after;
  }
  // No further user record may be consumed in this call.
  bool Done() const { return outcome.stopped || outcome.user_records >= max_user_records; }
};

}  // namespace

class PayloadDecoder::Impl {
 public:
  Status Init(const TableSchema& schema, const DecoderOptions& decoder,
              const PayloadOptions& payload);
  Result<DecodeOutcome> Decode(const PayloadRecord& record, int64_t resume_after_subsequence,
                               int64_t max_user_records, RowBatch& batch,
                               BadRecordHandler on_bad);

 private:
  Status InitRaw(const TableSchema& schema);
  // One user record of kJson/kRaw, or one aggregate entry of kNdjson. `inflated`: the payload
  // when `data` (a plain record) was inflated already.
  Status DecodeUserRecord(Call& call, int64_t subsequence, std::string_view partition_key,
                          std::string_view data, std::string_view explicit_hash_key = {},
                          const std::string_view* inflated = nullptr);
  // A plain (not aggregated) record in kNdjson: one user record per line.
  Status DecodeNdjsonRecord(Call& call, const std::string_view* inflated);
  Status DecodeNdjsonEntry(std::string_view payload, const RecordMetadata& meta, RowBatch& batch,
                           int64_t* rows);
  Status DecodeRaw(std::string_view payload, const RecordMetadata& meta, RowBatch& batch);
  // Inflates `data` into inflated_ when it is gzip (and that is enabled); `*payload` is the
  // result either way. `inflated` non-null: `data` was inflated already, that is the payload.
  Status MaybeInflate(std::string_view data, const std::string_view* inflated,
                      std::string_view* payload);
  // Counts a consumed user record that could not be converted and tells on_bad. Passes on an
  // `error` that is not kBadRecord (an internal error) instead.
  Status Bad(Call& call, int64_t subsequence, std::string_view partition_key,
             std::string_view payload, const Status& error);
  static RecordMetadata Metadata(const Call& call, int64_t subsequence,
                                 std::string_view partition_key,
                                 std::string_view explicit_hash_key = {}) {
    RecordMetadata meta;
    meta.shard_id = call.record.shard_id;
    meta.sequence_number = call.record.sequence_number;
    meta.subsequence_number = subsequence;
    meta.partition_key = partition_key;
    meta.arrival_time_us = call.record.arrival_time_us;
    meta.explicit_hash_key = explicit_hash_key;
    return meta;
  }

  PayloadOptions options_;
  size_t num_columns_ = 0;
  std::string table_;
  std::optional<JsonRecordDecoder> json_;  // kJson, kNdjson

  // kRaw
  uint32_t raw_column_ = 0;
  ColumnType raw_type_ = ColumnType::kBlob;
  int64_t raw_max_length_ = -1;
  bool raw_rejects_nul_ = false;         // ColumnSpec::rejects_nul of the data column
  bool raw_rejects_nul_escape_ = false;  // ColumnSpec::rejects_nul_escape of the data column
  std::string raw_label_;
  MetadataColumns raw_metadata_;  // the same rule as JsonRecordDecoder's
  simdjson::dom::parser json_validator_;  // JSON data column
  std::string padded_;                    // payload + SIMDJSON_PADDING for json_validator_

  // Reused across calls: the steady state does not allocate here.
  std::vector<KplUserRecord> user_records_;
  std::string kpl_why_;
  GzipInflater inflater_;
  std::string inflated_;
  std::string outer_inflated_;  // a gzip-compressed record (which may hold a KPL aggregate)
};

Status PayloadDecoder::Impl::Init(const TableSchema& schema, const DecoderOptions& decoder,
                                  const PayloadOptions& payload) {
  options_ = payload;
  num_columns_ = schema.columns.size();
  table_ = schema.QualifiedName();
  if (payload.format == PayloadFormat::kRaw) return InitRaw(schema);
  KI_ASSIGN_OR_RETURN(JsonRecordDecoder json, JsonRecordDecoder::Create(schema, decoder));
  json_.emplace(std::move(json));
  return Status::Ok();
}

Status PayloadDecoder::Impl::InitRaw(const TableSchema& schema) {
  KI_RETURN_IF_ERROR(raw_metadata_.Init(schema));
  std::vector<uint32_t> data_columns;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSpec& c = schema.columns[i];
    if (c.metadata == MetadataColumn::kNone) data_columns.push_back(static_cast<uint32_t>(i));
  }
  if (data_columns.size() != 1) {
    std::string names;
    for (uint32_t i : data_columns) {
      names += (names.empty() ? "" : ", ") + ColumnLabel(schema.columns[i]);
    }
    return InvalidArgument("table '" + table_ +
                           "': the raw payload format needs exactly one data column (besides "
                           "the Kinesis metadata columns), found " +
                           std::to_string(data_columns.size()) +
                           (names.empty() ? std::string() : ": " + names));
  }
  const ColumnSpec& data = schema.columns[data_columns[0]];
  if (data.type != ColumnType::kVarchar && data.type != ColumnType::kJson &&
      data.type != ColumnType::kBlob) {
    return InvalidArgument("table '" + table_ + "' column " + ColumnLabel(data) +
                           ": the raw payload format needs a VARCHAR, JSON or BLOB column");
  }
  raw_column_ = data_columns[0];
  raw_type_ = data.type;
  raw_max_length_ = data.max_length;
  raw_rejects_nul_ = data.rejects_nul;
  raw_rejects_nul_escape_ = data.rejects_nul_escape;
  raw_label_ = ColumnLabel(data);
  return Status::Ok();
}

Result<DecodeOutcome> PayloadDecoder::Impl::Decode(
    const PayloadRecord& record, int64_t resume_after_subsequence, int64_t max_user_records,
    RowBatch& batch, BadRecordHandler on_bad) {
  if (batch.num_columns() != num_columns_) {
    return InvalidArgument("row batch has " + std::to_string(batch.num_columns()) +
                           " columns, table '" + table_ + "' has " +
                           std::to_string(num_columns_));
  }
  if (max_user_records < 1) {
    return InvalidArgument("max_user_records must be at least 1, not " +
                           std::to_string(max_user_records));
  }
  Call call{record, resume_after_subsequence, max_user_records, batch, on_bad, DecodeOutcome{}};

  KplResult kpl = KplResult::kNotAggregated;
  if (options_.deaggregate_kpl) kpl = Deaggregate(record.data, user_records_, &kpl_why_);
  // A gzip-compressed record may hold a KPL aggregate: inflated once here (into its own buffer,
  // as the user records point into it and may be gzip themselves), then de-aggregated; if it is
  // no aggregate, the inflated bytes are the payload (not inflated again).
  const std::string_view* inflated = nullptr;
  std::string_view outer;
  if (kpl == KplResult::kNotAggregated && options_.deaggregate_kpl && options_.inflate_gzip &&
      LooksGzipped(record.data)) {
    if (Status s = inflater_.Inflate(record.data, outer_inflated_, options_.max_inflated_bytes);
        !s.ok()) {
      KI_RETURN_IF_ERROR(Bad(call, -1, record.partition_key, record.data, s));
      return call.outcome;
    }
    outer = outer_inflated_;
    inflated = &outer;
    kpl = Deaggregate(outer, user_records_, &kpl_why_);
    if (kpl == KplResult::kMalformed) kpl_why_ = "gzip-compressed record: " + kpl_why_;
  }
  switch (kpl) {
    case KplResult::kMalformed:
      if (call.Skipped(-1)) return call.outcome;
      KI_RETURN_IF_ERROR(Bad(call, -1, record.partition_key, record.data, BadRecord(kpl_why_)));
      return call.outcome;
    case KplResult::kNotAggregated:
      if (options_.format == PayloadFormat::kNdjson) {
        KI_RETURN_IF_ERROR(DecodeNdjsonRecord(call, inflated));
      } else if (!call.Skipped(-1)) {
        KI_RETURN_IF_ERROR(
            DecodeUserRecord(call, -1, record.partition_key, record.data, {}, inflated));
      }
      return call.outcome;
    case KplResult::kAggregated: {
      int64_t last_consumed = -1;
      for (const KplUserRecord& u : user_records_) {
        if (call.Skipped(u.subsequence_number)) continue;
        if (call.Done()) {
          // Stopped with user records left: the position is inside the aggregate.
          call.outcome.last_subsequence_number = last_consumed;
          return call.outcome;
        }
        KI_RETURN_IF_ERROR(
            DecodeUserRecord(call, u.subsequence_number, u.partition_key, u.data,
                             u.explicit_hash_key));
        last_consumed = u.subsequence_number;
      }
      return call.outcome;
    }
  }
  return InternalError("unknown KPL de-aggregation result");
}

Status PayloadDecoder::Impl::MaybeInflate(std::string_view data, const std::string_view* inflated,
                                          std::string_view* payload) {
  if (inflated != nullptr) {
    *payload = *inflated;
    return Status::Ok();
  }
  *payload = data;
  if (!options_.inflate_gzip || !LooksGzipped(data)) return Status::Ok();
  KI_RETURN_IF_ERROR(inflater_.Inflate(data, inflated_, options_.max_inflated_bytes));
  *payload = inflated_;
  return Status::Ok();
}

Status PayloadDecoder::Impl::DecodeUserRecord(Call& call, int64_t subsequence,
                                              std::string_view partition_key,
                                              std::string_view data,
                                              std::string_view explicit_hash_key,
                                              const std::string_view* inflated) {
  std::string_view payload;
  if (Status s = MaybeInflate(data, inflated, &payload); !s.ok()) {
    return Bad(call, subsequence, partition_key, data, s);
  }
  const RecordMetadata meta = Metadata(call, subsequence, partition_key, explicit_hash_key);
  Status status;
  int64_t rows = 1;
  switch (options_.format) {
    case PayloadFormat::kJson:
      status = json_->Decode(payload, meta, call.batch);
      break;
    case PayloadFormat::kRaw:
      status = DecodeRaw(payload, meta, call.batch);
      break;
    case PayloadFormat::kNdjson:
      status = DecodeNdjsonEntry(payload, meta, call.batch, &rows);
      break;
  }
  if (!status.ok()) return Bad(call, subsequence, partition_key, data, status);
  ++call.outcome.user_records;
  call.outcome.rows += rows;
  return Status::Ok();
}

Status PayloadDecoder::Impl::DecodeNdjsonRecord(Call& call, const std::string_view* inflated) {
  const PayloadRecord& record = call.record;
  std::string_view payload;
  if (Status s = MaybeInflate(record.data, inflated, &payload); !s.ok()) {
    return Bad(call, -1, record.partition_key, record.data, s);
  }
  LineReader lines(payload);
  std::string_view line;
  int64_t index = -1;
  int64_t last_consumed = -1;
  while (lines.Next(&line)) {
    ++index;
    if (call.Skipped(index)) continue;
    if (call.Done()) {
      call.outcome.last_subsequence_number = last_consumed;  // lines are left
      return Status::Ok();
    }
    const Status status = json_->Decode(line, Metadata(call, index, record.partition_key),
                                        call.batch);
    if (status.ok()) {
      ++call.outcome.user_records;
      ++call.outcome.rows;
    } else {
      KI_RETURN_IF_ERROR(Bad(call, index, record.partition_key, line, status));
    }
    last_consumed = index;
  }
  return Status::Ok();
}

Status PayloadDecoder::Impl::DecodeNdjsonEntry(std::string_view payload,
                                               const RecordMetadata& meta, RowBatch& batch,
                                               int64_t* rows) {
  const size_t rows_before = batch.num_rows();
  LineReader lines(payload);
  std::string_view line;
  int64_t count = 0;
  while (lines.Next(&line)) {
    Status status = json_->Decode(line, meta, batch);
    if (!status.ok()) {
      while (batch.num_rows() > rows_before) batch.PopRow();  // all or nothing
      if (status.kind() != ErrorKind::kBadRecord) return status;
      return BadRecord("NDJSON line " + std::to_string(lines.line_number()) + ": " +
                       status.message());
    }
    ++count;
  }
  *rows = count;
  return Status::Ok();
}

Status PayloadDecoder::Impl::DecodeRaw(std::string_view payload, const RecordMetadata& meta,
                                       RowBatch& batch) {
  if (raw_type_ != ColumnType::kBlob) {
    if (!IsValidUtf8(payload)) {
      return BadRecord("column " + raw_label_ + ": payload is not valid UTF-8");
    }
    if (raw_type_ == ColumnType::kJson) {
      // The database would refuse invalid JSON for the whole batch; here it is one bad record.
      padded_.assign(payload);
      padded_.append(simdjson::SIMDJSON_PADDING, '\0');
      simdjson::dom::element ignored;
      if (auto error = json_validator_.parse(padded_.data(), payload.size(), false).get(ignored)) {
        return BadRecord("column " + raw_label_ + ": payload is not valid JSON: " +
                         simdjson::error_message(error));
      }
      if (raw_rejects_nul_escape_ && JsonTextHasNulEscape(payload)) {
        return BadRecord("column " + raw_label_ +
                         ": payload contains the escape \\u0000 (a NUL character), which this "
                         "column cannot store");
      }
    } else if (raw_rejects_nul_ && std::memchr(payload.data(), '\0', payload.size()) != nullptr) {
      return BadRecord("column " + raw_label_ +
                       ": payload contains a NUL character (U+0000), which this column cannot "
                       "store");
    } else if (raw_max_length_ >= 0 && payload.size() > static_cast<uint64_t>(raw_max_length_)) {
      const size_t length = CountCodePoints(payload);
      if (length > static_cast<uint64_t>(raw_max_length_)) {
        return BadRecord("column " + raw_label_ + ": value of " + std::to_string(length) +
                         " characters is too long");
      }
    }
  }
  const size_t row = batch.AddRow();
  batch.SetString(row, raw_column_, payload);
  Status status = raw_metadata_.Fill(meta, row, batch);
  if (!status.ok()) batch.PopRow();
  return status;
}

Status PayloadDecoder::Impl::Bad(Call& call, int64_t subsequence, std::string_view partition_key,
                                 std::string_view payload, const Status& error) {
  if (error.kind() != ErrorKind::kBadRecord) return error;
  ++call.outcome.user_records;
  ++call.outcome.bad;
  BadUserRecord bad;
  bad.subsequence_number = subsequence;
  bad.partition_key = partition_key;
  bad.payload = payload;
  bad.error = error;
  if (!call.on_bad(bad)) call.outcome.stopped = true;
  return Status::Ok();
}

// ---- PayloadDecoder --------------------------------------------------------------------------

Result<PayloadDecoder> PayloadDecoder::Create(const TableSchema& schema,
                                              const DecoderOptions& decoder,
                                              const PayloadOptions& payload) {
  auto impl = std::make_unique<Impl>();
  KI_RETURN_IF_ERROR(impl->Init(schema, decoder, payload));
  return PayloadDecoder(std::move(impl));
}

PayloadDecoder::PayloadDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PayloadDecoder::PayloadDecoder(PayloadDecoder&&) noexcept = default;
PayloadDecoder& PayloadDecoder::operator=(PayloadDecoder&&) noexcept = default;
PayloadDecoder::~PayloadDecoder() = default;

Result<DecodeOutcome> PayloadDecoder::Decode(
    const PayloadRecord& record, int64_t resume_after_subsequence, int64_t max_user_records,
    RowBatch& batch, BadRecordHandler on_bad) {
  return impl_->Decode(record, resume_after_subsequence, max_user_records, batch, on_bad);
}

}  // namespace ki
