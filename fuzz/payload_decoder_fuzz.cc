// libFuzzer target for the one entry point of untrusted record bytes: PayloadDecoder (KPL
// de-aggregation, gzip, JSON/NDJSON decoding into typed columns). Build and run: scripts/fuzz.
//
// Input: one selector byte, then one Kinesis record's data. Selector bit 0 picks the format
// (0: kJson, 1: kNdjson); bit 1 asks to repair the MD5 of data that starts with the KPL magic
// before decoding, because mutations of an aggregate almost never keep its MD5 right, and without
// the repair the protobuf parser would only ever see the seeds. (Bit 1 clear keeps the
// bad-MD5 pass-through path covered.) On every input the outcome's invariants are checked too; a
// violation aborts like a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "decode/payload_decoder.h"

namespace {

ki::ColumnSpec Column(const char* name, ki::ColumnType type, const char* type_name) {
  ki::ColumnSpec c;
  c.name = name;
  c.type = type;
  c.type_name = type_name;
  c.metadata = ki::MetadataColumnFromName(c.name);
  return c;
}

ki::TableSchema FuzzTable() {
  ki::ColumnSpec amount = Column("amount", ki::ColumnType::kDecimal, "DECIMAL(38,10)");
  amount.decimal_width = 38;
  amount.decimal_scale = 10;
  ki::ColumnSpec sensor = Column("sensorId", ki::ColumnType::kDecimal, "DECIMAL(18,0)");
  sensor.decimal_width = 18;
  ki::ColumnSpec label = Column("label", ki::ColumnType::kVarchar, "VARCHAR(8)");
  label.max_length = 8;
  ki::TableSchema t;
  t.table = "fuzz";
  t.columns = {
      sensor,
      Column("status", ki::ColumnType::kVarchar, "VARCHAR"),
      label,
      amount,
      Column("count", ki::ColumnType::kBigInt, "BIGINT"),
      Column("small", ki::ColumnType::kSmallInt, "SMALLINT"),
      Column("ratio", ki::ColumnType::kDouble, "DOUBLE"),
      Column("flag", ki::ColumnType::kBoolean, "BOOLEAN"),
      Column("day", ki::ColumnType::kDate, "DATE"),
      Column("at", ki::ColumnType::kTimestamp, "TIMESTAMP"),
      Column("doc", ki::ColumnType::kJson, "JSON"),
      Column("kinesis_shard_id", ki::ColumnType::kVarchar, "VARCHAR"),
      Column("shard_sequence_number", ki::ColumnType::kVarchar, "VARCHAR"),
      Column("kinesis_partition_key", ki::ColumnType::kVarchar, "VARCHAR"),
      Column("kinesis_arrival_time", ki::ColumnType::kTimestampTz, "TIMESTAMPTZ"),
      Column("kinesis_subsequence_number", ki::ColumnType::kBigInt, "BIGINT"),
  };
  return t;
}

struct Decoders {
  ki::TableSchema schema = FuzzTable();
  std::optional<ki::PayloadDecoder> json;
  std::optional<ki::PayloadDecoder> ndjson;
  ki::RowBatch batch{schema.columns.size()};

  Decoders() {
    ki::PayloadOptions options;
    options.deaggregate_kpl = true;
    options.inflate_gzip = true;
    // Small enough that a gzip bomb in the corpus costs milliseconds, not seconds.
    options.max_inflated_bytes = 1 << 20;
    options.format = ki::PayloadFormat::kJson;
    auto j = ki::PayloadDecoder::Create(schema, ki::DecoderOptions{}, options);
    options.format = ki::PayloadFormat::kNdjson;
    auto n = ki::PayloadDecoder::Create(schema, ki::DecoderOptions{}, options);
    if (!j.ok() || !n.ok()) std::abort();
    json.emplace(std::move(j).value());
    ndjson.emplace(std::move(n).value());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Decoders* decoders = new Decoders();  // reused like a reader thread's decoder
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const bool ndjson = (selector & 1) != 0;
  // An exactly sized heap copy: ASan then sees any read past the record's end (a std::string
  // would hide a small overrun in its terminator and spare capacity).
  std::vector<char> bytes(reinterpret_cast<const char*>(data) + 1,
                          reinterpret_cast<const char*>(data) + size);
  constexpr size_t kMagic = 4, kDigest = 16;
  if ((selector & 2) != 0 && bytes.size() > kMagic + kDigest &&
      std::memcmp(bytes.data(), "\xF3\x89\x9A\xC2", kMagic) == 0) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(bytes.data() + kMagic, bytes.size() - kMagic - kDigest, md, &n, EVP_md5(),
                   nullptr) != 1 || n != kDigest) {
      std::abort();
    }
    std::memcpy(bytes.data() + bytes.size() - kDigest, md, kDigest);
  }

  ki::PayloadRecord record;
  record.shard_id = "shardId-000000000000";
  record.sequence_number = "49590338271490256608559692538361571095921575989136588898";
  record.partition_key = "fuzz";
  record.arrival_time_us = 1'700'000'000'000'000;
  record.data = std::string_view(bytes.data(), bytes.size());

  ki::RowBatch& batch = decoders->batch;
  batch.Clear();
  int64_t reported = 0;
  auto on_bad = [&](const ki::BadUserRecord& bad) {
    ++reported;
    if (bad.error.ok() || bad.error.kind() != ki::ErrorKind::kBadRecord) std::abort();
    volatile size_t touch = 0;  // the views must be readable (ASan checks)
    for (char c : bad.payload) touch = touch + static_cast<unsigned char>(c);
    for (char c : bad.partition_key) touch = touch + static_cast<unsigned char>(c);
    return true;
  };
  ki::PayloadDecoder& decoder = ndjson ? *decoders->ndjson : *decoders->json;
  auto outcome = decoder.Decode(record, -1, INT64_MAX, batch, on_bad);
  if (!outcome.ok()) std::abort();  // only internal errors are statuses
  const ki::DecodeOutcome& o = *outcome;
  if (o.bad != reported || o.rows != static_cast<int64_t>(batch.num_rows()) ||
      o.user_records < o.bad || o.last_subsequence_number != -1 || o.stopped) {
    std::abort();
  }

  // Resuming half way and stopping after one user record must stay consistent too.
  batch.Clear();
  auto partial = decoder.Decode(record, 0, 1, batch, [](const ki::BadUserRecord&) { return true; });
  if (!partial.ok() || partial->user_records > 1 ||
      partial->rows != static_cast<int64_t>(batch.num_rows())) {
    std::abort();
  }
  return 0;
}
