// The Kinesis metadata columns (ColumnSpec::metadata != kNone) of a table: which types they may
// have and how a record's metadata goes into them. One rule for every payload format (json,
// ndjson, raw); JsonRecordDecoder and PayloadDecoder's raw path both use this class.
//
// Types (docs/conversion.md, "Metadata columns"):
//   kinesis_shard_id, kinesis_partition_key, kinesis_explicit_hash_key   VARCHAR
//   shard_sequence_number       what holds every sequence number (decimal strings of up to 129
//                               digits) exactly: VARCHAR without a length or with >= 129, or a
//                               numeric with >= 129 integer digits or unconstrained (PostgreSQL
//                               numeric; stored as canonical decimal text). The same rule as
//                               import_run's start-up check (SequenceNumberColumnIsWide).
//   kinesis_subsequence_number  an integer type or DECIMAL; NULL outside KPL aggregates
//   kinesis_arrival_time        TIMESTAMP or TIMESTAMPTZ
// Per record (kBadRecord "column 'x' (TYPE): ..."): a NUL character where the column refuses it,
// a VARCHAR(n) too short, a subsequence number out of the column's range, NULL metadata for a
// NOT NULL column. No allocation in Fill except in error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

// The Kinesis side of one record, as GetRecords (plus KPL de-aggregation) reports it.
struct RecordMetadata {
  std::string_view shard_id;
  std::string_view sequence_number;
  int64_t subsequence_number = -1;  // -1: not from an aggregated record -> NULL
  std::string_view partition_key;
  int64_t arrival_time_us = 0;  // ApproximateArrivalTimestamp, microseconds since the epoch
  std::string_view explicit_hash_key;  // of a KPL user record; empty -> NULL
};

// Kinesis sequence numbers are decimal strings of up to this many digits.
inline constexpr int64_t kMaxSequenceNumberDigits = 129;

// True when `column` can hold every sequence number exactly (the rule above).
bool SequenceNumberColumnIsWide(const ColumnSpec& column);

class MetadataColumns {
 public:
  // Takes the metadata columns of `schema`. kInvalidArgument "table 'T' metadata column 'x'
  // (TYPE) cannot hold its metadata: it needs ..." for a type outside the rule.
  Status Init(const TableSchema& schema);

  // Fills the metadata cells of `row` (the other cells are untouched; on an error some metadata
  // cells may be set: the caller pops the row).
  Status Fill(const RecordMetadata& meta, size_t row, RowBatch& batch);

  bool empty() const { return columns_.empty(); }

 private:
  struct Column {
    uint32_t index = 0;
    MetadataColumn kind = MetadataColumn::kNone;
    ColumnType type = ColumnType::kUnsupported;
    uint16_t width = 0;
    uint16_t scale = 0;
    bool text_decimal = false;
    bool unconstrained = false;
    int64_t max_length = -1;
    bool not_null = false;
    bool rejects_nul = false;
    unsigned __int128 max_value = 0;  // integer and 128-bit DECIMAL columns
    std::string label;                // "'name' (TYPE)", for messages
  };
  Status FillText(const Column& c, std::string_view text, size_t row, RowBatch& batch);
  Status FillNumber(const Column& c, std::string_view digits, size_t row, RowBatch& batch);

  std::vector<Column> columns_;
  std::string decimal_text_;  // reused: no allocation in the steady state
};

}  // namespace ki
