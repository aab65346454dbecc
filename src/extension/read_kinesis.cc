// read_kinesis(stream, ...): one row per user record of a stream (KPL aggregates and gzip
// unpacked by decode/payload_decoder, as in `kinesis-import run`), with the record's metadata.
//
//   data                        BLOB (the payload), or VARCHAR with format := 'json' (must be
//                               valid JSON); replaced by typed columns with columns := {...}
//   kinesis_shard_id, shard_sequence_number, kinesis_subsequence_number (BIGINT, NULL outside
//   KPL aggregates), kinesis_partition_key, kinesis_arrival_time (TIMESTAMP)
//
// Shards are read one after another on the scan's thread, in the order the shard graph allows
// (kinesis/shard_graph.h, the CLI's rule): a child only after each listed parent was read to its
// end in this query (a shard whose reading stopped early, at max_records or caught up, keeps its
// children for a later query). Each shard is read from after its entry in `positions`, else from
// TRIM_HORIZON when a parent was finished here, else from start_position, until max_records user
// records (a KPL aggregate is never split: the positions are whole sequence numbers), the end of a
// closed shard, or caught up (an empty answer with MillisBehindLatest 0).
//
// Projection pushdown: the decoder is built at init for the columns the query uses, so unused
// typed columns are never converted.
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/sequence_number.h"
#include "common/time_format.h"
#include "decode/payload_decoder.h"
#include "extension/column_types.h"
#include "extension/kinesis_session.h"
#include "extension/table_functions.h"
#include "kinesis/shard_graph.h"

namespace ki::ext {
namespace {

constexpr std::pair<const char*, MetadataColumn> kMetadataColumns[] = {
    {"kinesis_shard_id", MetadataColumn::kShardId},
    {"shard_sequence_number", MetadataColumn::kSequenceNumber},
    {"kinesis_subsequence_number", MetadataColumn::kSubsequenceNumber},
    {"kinesis_partition_key", MetadataColumn::kPartitionKey},
    {"kinesis_arrival_time", MetadataColumn::kArrivalTime},
};
// Empty answers followed while the shard is still behind latest, at most 5 calls/s per shard.
constexpr int kMaxEmptyPollsBehind = 20;
constexpr auto kEmptyPollPause = std::chrono::milliseconds(200);

struct ReadBind {
  std::string stream;
  KinesisSession session;
  IteratorStart start;
  int64_t max_records = std::numeric_limits<int64_t>::max();
  std::map<std::string, std::string> positions;  // shard id -> read after this sequence number
  PayloadOptions payload;
  TableSchema schema;  // the output columns in order: data column(s), then the metadata
};

struct ReadScan {
  // Output column j comes from decoder column out_columns[j] (npos: a column DuckDB asks for
  // that is not ours, e.g. the row id: left NULL).
  std::vector<size_t> out_columns;
  TableSchema decoder_schema;
  std::unique_ptr<PayloadDecoder> decoder;
  ShardGraph graph;
  std::set<std::string> started;  // shards read (or being read) in this query
  std::string shard;              // the shard being read; empty between shards
  std::string iterator;
  int64_t shard_user_records = 0;
  int empty_polls = 0;
  RowBatch batch;
  size_t next_row = 0;  // first row of `batch` not yet returned
  bool done = false;
};

Result<IteratorStart> ParseStart(const std::string& text) {
  std::string lower;
  for (unsigned char c : text) lower += static_cast<char>(std::tolower(c));
  IteratorStart start;
  if (lower == "trim_horizon") return start;
  if (lower == "latest") {
    start.type = IteratorType::kLatest;
    return start;
  }
  if (lower.rfind("at_timestamp:", 0) == 0) {
    KI_ASSIGN_OR_RETURN(int64_t us, ParseIso8601Micros(text.substr(13)));
    start.type = IteratorType::kAtTimestamp;
    start.timestamp = static_cast<double>(us) / 1e6;
    return start;
  }
  return InvalidArgument("start_position '" + text +
                         "' is not trim_horizon, latest or at_timestamp:2024-05-01T12:00:00Z");
}

// positions := MAP {'shardId-000000000000': '4963...', ...}; NULL or absent: none.
Result<std::map<std::string, std::string>> ReadPositions(duckdb_bind_info info) {
  std::map<std::string, std::string> out;
  DuckValue map(duckdb_bind_get_named_parameter(info, "positions"));
  if (map.IsNull()) return out;
  idx_t n = duckdb_get_map_size(map.get());
  for (idx_t i = 0; i < n; ++i) {
    DuckValue key(duckdb_get_map_key(map.get(), i));
    DuckValue value(duckdb_get_map_value(map.get(), i));
    if (key.IsNull() || value.IsNull()) continue;  // a shard without rows yet
    std::string shard = ValueText(key.get()), seq = ValueText(value.get());
    if (!IsValidSequenceNumber(seq))
      return InvalidArgument("positions: shard '" + shard + "' has '" + seq +
                             "', which is not a sequence number (1 to 129 digits)");
    out[shard] = seq;
  }
  return out;
}

// columns := {name: 'TYPE', ...}: the struct's field names and their type texts.
Status ReadColumns(duckdb_bind_info info, std::vector<ColumnSpec>* columns) {
  DuckValue value(duckdb_bind_get_named_parameter(info, "columns"));
  if (value.IsNull()) return Status::Ok();
  duckdb_logical_type type = duckdb_get_value_type(value.get());  // owned by the value
  if (duckdb_get_type_id(type) != DUCKDB_TYPE_STRUCT)
    return InvalidArgument("columns must be a struct of column names and type names, e.g. "
                           "columns := {sensorId: 'DECIMAL(18,0)', status: 'VARCHAR'}");
  idx_t n = duckdb_struct_type_child_count(type);
  for (idx_t i = 0; i < n; ++i) {
    char* name_text = duckdb_struct_type_child_name(type, i);
    std::string name = name_text;
    duckdb_free(name_text);
    DuckValue child(duckdb_get_struct_child(value.get(), i));
    if (child.IsNull()) return InvalidArgument("columns: column '" + name + "' has no type");
    if (MetadataColumnFromName(name) != MetadataColumn::kNone)
      return InvalidArgument("columns: '" + name + "' is a metadata column read_kinesis always returns");
    KI_ASSIGN_OR_RETURN(ColumnSpec spec, DataColumnFromTypeText(name, ValueText(child.get())));
    columns->push_back(std::move(spec));
  }
  if (columns->empty()) return InvalidArgument("columns: give at least one column");
  return Status::Ok();
}

Status BindRead(duckdb_bind_info info, ReadBind* bind) {
  DuckValue stream(duckdb_bind_get_parameter(info, 0));
  bind->stream = stream.IsNull() ? "" : ValueText(stream.get());
  KI_RETURN_IF_ERROR(CheckStreamName(bind->stream));
  std::string start = NamedText(info, "start_position");
  if (!start.empty()) {
    KI_ASSIGN_OR_RETURN(bind->start, ParseStart(start));
  }
  DuckValue max(duckdb_bind_get_named_parameter(info, "max_records"));
  if (!max.IsNull()) {
    bind->max_records = duckdb_get_int64(max.get());
    if (bind->max_records < 1) return InvalidArgument("max_records must be at least 1");
  }
  KI_ASSIGN_OR_RETURN(bind->positions, ReadPositions(info));

  std::vector<ColumnSpec> typed;
  KI_RETURN_IF_ERROR(ReadColumns(info, &typed));
  std::string format = NamedText(info, "format");
  for (auto& c : format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (typed.empty()) {
    // The payload itself: as bytes, or as JSON text (validated, stored as it is).
    ColumnSpec data;
    data.name = "data";
    if (format.empty() || format == "raw") {
      data.type = ColumnType::kBlob;
      data.type_name = "BLOB";
    } else if (format == "json") {
      data.type = ColumnType::kJson;
      data.type_name = "JSON";
    } else {
      return InvalidArgument("format '" + format + "': use raw (data BLOB) or json (data VARCHAR); "
                             "with columns := {...}: json or ndjson");
    }
    bind->payload.format = PayloadFormat::kRaw;
    bind->schema.columns.push_back(std::move(data));
  } else {
    if (format.empty() || format == "json") bind->payload.format = PayloadFormat::kJson;
    else if (format == "ndjson") bind->payload.format = PayloadFormat::kNdjson;
    else return InvalidArgument("format '" + format + "' with columns := {...}: use json or ndjson");
    bind->schema.columns = std::move(typed);
  }
  for (const auto& [name, kind] : kMetadataColumns) bind->schema.columns.push_back(MetadataColumnSpec(name, kind));
  bind->schema.table = bind->stream;  // named in the decoder's messages

  // Checks the schema now, so that a wrong type fails at bind and not at the first record.
  KI_RETURN_IF_ERROR(PayloadDecoder::Create(bind->schema, DecoderOptions{}, bind->payload).status());
  KI_ASSIGN_OR_RETURN(bind->session, OpenKinesisSession(info));
  return Status::Ok();
}

void Bind(duckdb_bind_info info) {
  auto bind = std::make_unique<ReadBind>();
  if (Status st = BindRead(info, bind.get()); !st.ok()) {
    duckdb_bind_set_error(info, ("read_kinesis: " + st.message()).c_str());
    return;
  }
  for (const auto& c : bind->schema.columns)
    duckdb_bind_add_result_column(info, c.name.c_str(), LogicalTypeOf(c).get());
  duckdb_bind_set_bind_data(info, bind.release(), [](void* p) { delete static_cast<ReadBind*>(p); });
}

Status InitScan(duckdb_init_info info, const ReadBind& bind, ReadScan* scan) {
  // The columns the query uses, plus one data column when it uses none (the decoder needs one).
  idx_t n = duckdb_init_get_column_count(info);
  bool has_data = false;
  scan->decoder_schema.table = bind.schema.table;
  for (idx_t j = 0; j < n; ++j) {
    size_t col = duckdb_init_get_column_index(info, j);
    if (col >= bind.schema.columns.size()) {
      scan->out_columns.push_back(std::string::npos);
      continue;
    }
    scan->out_columns.push_back(scan->decoder_schema.columns.size());
    scan->decoder_schema.columns.push_back(bind.schema.columns[col]);
    if (bind.schema.columns[col].metadata == MetadataColumn::kNone) has_data = true;
  }
  if (!has_data) scan->decoder_schema.columns.push_back(bind.schema.columns[0]);
  KI_ASSIGN_OR_RETURN(PayloadDecoder decoder,
                      PayloadDecoder::Create(scan->decoder_schema, DecoderOptions{}, bind.payload));
  scan->decoder = std::make_unique<PayloadDecoder>(std::move(decoder));
  scan->batch.Reset(scan->decoder_schema.columns.size());

  ListShardsRequest req;
  req.stream_name = bind.stream;
  KI_ASSIGN_OR_RETURN(std::vector<ShardInfo> shards, bind.session.client->ListShards(req));
  scan->graph.Update(shards);
  return Status::Ok();
}

void Init(duckdb_init_info info) {
  auto* bind = static_cast<ReadBind*>(duckdb_init_get_bind_data(info));
  auto scan = std::make_unique<ReadScan>();
  if (Status st = InitScan(info, *bind, scan.get()); !st.ok()) {
    duckdb_init_set_error(info, ("read_kinesis: " + st.message()).c_str());
    return;
  }
  duckdb_init_set_init_data(info, scan.release(), [](void* p) { delete static_cast<ReadScan*>(p); });
}

// Opens the next shard the graph allows. False when none is left.
Result<bool> OpenNextShard(const ReadBind& bind, ReadScan* scan) {
  for (const std::string& id : scan->graph.Readable()) {
    if (scan->started.count(id)) continue;
    scan->started.insert(id);
    IteratorStart start = bind.start;
    if (auto p = bind.positions.find(id); p != bind.positions.end()) {
      start.type = IteratorType::kAfterSequenceNumber;
      start.sequence_number = p->second;
    } else if (scan->graph.HasFinishedParent(id)) {
      start = IteratorStart{};  // TRIM_HORIZON: the child's first record follows its parents' last
    }
    KI_ASSIGN_OR_RETURN(scan->iterator, bind.session.client->GetShardIterator(bind.stream, id, start));
    scan->shard = id;
    scan->shard_user_records = 0;
    scan->empty_polls = 0;
    return true;
  }
  return false;
}

// Refills scan->batch with the next records (at least one row unless the scan is done).
Status FetchRows(const ReadBind& bind, ReadScan* scan) {
  scan->batch.Clear();
  scan->next_row = 0;
  while (scan->batch.num_rows() == 0) {
    if (scan->shard.empty()) {
      KI_ASSIGN_OR_RETURN(bool opened, OpenNextShard(bind, scan));
      if (!opened) {
        scan->done = true;
        return Status::Ok();
      }
    }
    int64_t left = bind.max_records - scan->shard_user_records;
    int limit = static_cast<int>(std::min<int64_t>(10000, left));
    KI_ASSIGN_OR_RETURN(GetRecordsResult r,
                        bind.session.client->GetRecords(scan->iterator, limit, bind.stream, scan->shard));
    size_t consumed = 0;
    for (; consumed < r.records.size() && scan->shard_user_records < bind.max_records; ++consumed) {
      const KinesisRecord& rec = r.records[consumed];
      PayloadRecord pr{scan->shard, rec.sequence_number, rec.partition_key, rec.arrival_time_ms * 1000,
                       rec.data};
      // Any bad user record fails the query (there is no error policy in SQL), naming where it is.
      Status bad;
      auto on_bad = [&](const BadUserRecord& b) {
        std::string where = "stream '" + bind.stream + "' shard '" + scan->shard + "' sequence number " +
                            std::string(rec.sequence_number);
        if (b.subsequence_number >= 0) where += " subsequence number " + std::to_string(b.subsequence_number);
        bad = b.error.WithContext(where);
        return false;
      };
      // A whole Kinesis record at a time (never part of an aggregate): positions are sequence
      // numbers, so a query must not stop inside one.
      auto outcome = scan->decoder->Decode(pr, -1, std::numeric_limits<int64_t>::max(), scan->batch, on_bad);
      if (!outcome.ok()) return outcome.status();
      if (!bad.ok()) return bad;
      scan->shard_user_records += outcome->user_records;
    }
    scan->iterator = r.next_shard_iterator;
    bool stopped = consumed < r.records.size() || scan->shard_user_records >= bind.max_records;
    if (!stopped && scan->iterator.empty()) {
      // The end of a closed shard: its children may be read now.
      scan->graph.AddChildren(r.child_shards);
      scan->graph.MarkFinished(scan->shard);
      scan->shard.clear();
    } else if (stopped || scan->iterator.empty()) {
      scan->shard.clear();
    } else if (r.records.empty()) {
      if (r.millis_behind_latest <= 0 || ++scan->empty_polls > kMaxEmptyPollsBehind) scan->shard.clear();
      else std::this_thread::sleep_for(kEmptyPollPause);
    } else {
      scan->empty_polls = 0;
    }
  }
  return Status::Ok();
}

void Scan(duckdb_function_info info, duckdb_data_chunk output) {
  auto* bind = static_cast<ReadBind*>(duckdb_function_get_bind_data(info));
  auto* scan = static_cast<ReadScan*>(duckdb_function_get_init_data(info));
  idx_t capacity = duckdb_vector_size(), filled = 0;
  while (filled < capacity && !(scan->done && scan->next_row >= scan->batch.num_rows())) {
    if (scan->next_row >= scan->batch.num_rows()) {
      if (filled > 0) break;  // return what we have before the next (blocking) call
      if (Status st = FetchRows(*bind, scan); !st.ok()) {
        duckdb_function_set_error(info, ("read_kinesis: " + st.message()).c_str());
        return;
      }
      continue;
    }
    size_t n = std::min<size_t>(capacity - filled, scan->batch.num_rows() - scan->next_row);
    for (size_t j = 0; j < scan->out_columns.size(); ++j) {
      duckdb_vector v = duckdb_data_chunk_get_vector(output, j);
      size_t col = scan->out_columns[j];
      if (col == std::string::npos) {
        duckdb_vector_ensure_validity_writable(v);
        for (size_t i = 0; i < n; ++i) duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), filled + i);
        continue;
      }
      WriteColumn(v, scan->decoder_schema.columns[col], scan->batch, col, scan->next_row, n, filled);
    }
    scan->next_row += n;
    filled += n;
  }
  duckdb_data_chunk_set_size(output, filled);
}

}  // namespace

Status RegisterReadKinesis(duckdb_connection connection) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "read_kinesis");
  DuckType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  DuckType bigint(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
  DuckType any(duckdb_create_logical_type(DUCKDB_TYPE_ANY));
  DuckType positions(duckdb_create_map_type(varchar.get(), varchar.get()));
  duckdb_table_function_add_parameter(f, varchar.get());
  AddAwsParameters(f);
  duckdb_table_function_add_named_parameter(f, "start_position", varchar.get());
  duckdb_table_function_add_named_parameter(f, "max_records", bigint.get());
  duckdb_table_function_add_named_parameter(f, "positions", positions.get());
  duckdb_table_function_add_named_parameter(f, "format", varchar.get());
  duckdb_table_function_add_named_parameter(f, "columns", any.get());
  duckdb_table_function_set_bind(f, Bind);
  duckdb_table_function_set_init(f, Init);
  duckdb_table_function_set_function(f, Scan);
  duckdb_table_function_supports_projection_pushdown(f, true);
  duckdb_state state = duckdb_register_table_function(connection, f);
  duckdb_destroy_table_function(&f);
  if (state == DuckDBError) return FatalError("could not register read_kinesis");
  return Status::Ok();
}

}  // namespace ki::ext
