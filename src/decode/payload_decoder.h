// From the bytes of one Kinesis record to rows: KPL de-aggregation, gzip, the payload format
// (one JSON object, NDJSON, raw), then the column conversion of JsonRecordDecoder. The one entry
// point for untrusted record bytes (fuzzed in fuzz/).
//
// Pipeline per Kinesis record: KPL de-aggregation (kpl_aggregation.h; an aggregate with a bad MD5
// is a plain record, as in the KCL; a malformed one is one bad user record with subsequence
// number -1 and the whole record as payload; an empty one, with a valid MD5 but no user records,
// yields zero user records: the record is consumed and its position advances), then per user
// record gzip (gzip.h; detected by its magic, so compressed and plain payloads may be mixed),
// then the payload format. A record that is not an aggregate but gzip is inflated first and, if
// the inflated bytes are a KPL aggregate, de-aggregated as above (a gzip-wrapped aggregate; its
// entries may be gzip again); if they are not, they are the payload (inflated once, not again).
// A gzip record that does not inflate is one bad user record with subsequence number -1.
//
// User records and subsequence numbers (what resume_after_subsequence, max_user_records and
// DecodeOutcome count, and what the kinesis_subsequence_number column receives):
//   plain record, kJson/kRaw     one user record, subsequence number -1 (column NULL)
//   KPL aggregate, kJson/kRaw    one user record per entry, subsequence numbers 0..n-1
//   plain record, kNdjson        one user record per non-blank line, numbered 0..n-1 in order
//                                (blank: empty or only spaces/tabs/CR; a trailing CR is removed);
//                                a record of blank lines only yields nothing. A gzip payload is
//                                inflated first; if that fails the record is one bad user record
//                                with subsequence number -1.
//   KPL aggregate, kNdjson       NDJSON inside an aggregate is not split further: entry j is ONE
//                                user record j whose lines all become rows with subsequence number
//                                j, all or nothing (one bad line makes the whole entry one bad
//                                user record, its message starting "NDJSON line k: ", and none of
//                                its rows are kept). Positions stay a single (sequence number,
//                                subsequence number) pair, and stopping inside an entry is never
//                                needed.
// Explicit hash keys of aggregate entries are read (and validated) but not exposed.
// Not thread-safe: one PayloadDecoder per reader thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/status.h"
#include "decode/json_decoder.h"
#include "table/row_batch.h"
#include "table/table_schema.h"

namespace ki {

enum class PayloadFormat {
  kJson,    // one JSON object per user record (default)
  kNdjson,  // several newline-separated JSON objects per user record -> several rows
  kRaw,     // the whole payload into the one data column (VARCHAR if valid UTF-8, or BLOB)
};

struct PayloadOptions {
  PayloadFormat format = PayloadFormat::kJson;
  bool deaggregate_kpl = true;  // magic f3 89 9a c2 + protobuf + MD5
  bool inflate_gzip = true;     // magic 1f 8b
  size_t max_inflated_bytes = 64u << 20;  // a bigger payload is a bad record (gzip bombs)
};

// The Kinesis record as the pipeline has it.
struct PayloadRecord {
  std::string_view shard_id;
  std::string_view sequence_number;
  std::string_view partition_key;
  int64_t arrival_time_us = 0;
  std::string_view data;
};

// A user record that could not be converted. Views are valid during the callback only.
struct BadUserRecord {
  int64_t subsequence_number = -1;
  std::string_view partition_key;
  // The user record's bytes as received (before decompression); for a line of a plain NDJSON
  // record, that line (after decompression); for an entry of a gzip-wrapped aggregate, the
  // entry's bytes in the inflated aggregate.
  std::string_view payload;
  Status error;  // kBadRecord; message names the column / reason, not the position
};

// A non-owning reference to the caller's bad-record callback. Decode runs once per record; a
// std::function built from a capturing lambda there would allocate once per record. The callable
// must outlive the Decode call (a lambda passed directly does).
class BadRecordHandler {
 public:
  template <typename F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, BadRecordHandler> &&
             std::is_invocable_r_v<bool, F&, const BadUserRecord&>)
  BadRecordHandler(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert, as to std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, const BadUserRecord& bad) -> bool {
          return (*static_cast<std::remove_reference_t<F>*>(o))(bad);
        }) {}
  bool operator()(const BadUserRecord& bad) const { return call_(object_, bad); }

 private:
  void* object_;
  bool (*call_)(void*, const BadUserRecord&);
};

struct DecodeOutcome {
  int64_t user_records = 0;  // consumed in this call, good and bad
  int64_t rows = 0;          // appended to the batch
  int64_t bad = 0;           // reported through on_bad
  // Where the record was left: -1 when it was consumed completely, else the subsequence number
  // of the last consumed user record (stopped by max_user_records inside an aggregate/NDJSON).
  int64_t last_subsequence_number = -1;
  bool stopped = false;  // on_bad returned false
};

class PayloadDecoder {
 public:
  // kJson/kNdjson: fails as JsonRecordDecoder::Create does. kRaw: the table must have exactly one
  // data column, of type VARCHAR (payload must be valid UTF-8), JSON (payload must be valid JSON;
  // stored as it is) or BLOB (any bytes), and its metadata columns follow the one rule of
  // MetadataColumns (decode/metadata_columns.h), as with kJson; otherwise kInvalidArgument
  // naming the columns.
  static Result<PayloadDecoder> Create(const TableSchema& schema, const DecoderOptions& decoder,
                                       const PayloadOptions& payload);
  PayloadDecoder(PayloadDecoder&&) noexcept;
  PayloadDecoder& operator=(PayloadDecoder&&) noexcept;
  ~PayloadDecoder();

  // Decodes `record` into rows of `batch`, skipping user records with a subsequence number
  // <= `resume_after_subsequence` (-1: skip none; used to resume inside an aggregate) and
  // stopping after `max_user_records` user records (>= 1; use INT64_MAX for no limit). User
  // records with subsequence number -1 count as number 0. Every bad user record is passed to
  // `on_bad` (the batch is left without its row); if on_bad returns false, decoding stops at once
  // and the outcome says how far it got (the bad user record counts as consumed). A non-OK Status
  // is for internal errors only (kInvalidArgument for a batch of the wrong width or
  // max_user_records < 1, kInternal from zlib).
  Result<DecodeOutcome> Decode(const PayloadRecord& record, int64_t resume_after_subsequence,
                               int64_t max_user_records, RowBatch& batch,
                               BadRecordHandler on_bad);

  class Impl;

 private:
  explicit PayloadDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ki
