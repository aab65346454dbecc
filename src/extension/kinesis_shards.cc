// kinesis_shards(stream, region := ..., endpoint_url := ..., ...): the stream's shards as
// ListShards reports them, one row each, with the columns of `kinesis-import shards --output json`.
#include <memory>
#include <vector>

#include "extension/kinesis_session.h"
#include "extension/table_functions.h"

namespace ki::ext {
namespace {

constexpr const char* kColumns[] = {
    "shard_id",        "parent_shard_id",          "adjacent_parent_shard_id",
    "state",           "starting_sequence_number", "ending_sequence_number",
    "starting_hash_key", "ending_hash_key"};

struct ShardsBind {
  std::vector<ShardInfo> shards;
};
struct ShardsScan {
  size_t next = 0;
};

void Bind(duckdb_bind_info info) {
  DuckValue stream_value(duckdb_bind_get_parameter(info, 0));
  std::string stream = stream_value.IsNull() ? "" : ValueText(stream_value.get());
  auto fail = [&](const Status& st) {
    duckdb_bind_set_error(info, ("kinesis_shards: " + st.message()).c_str());
  };
  if (Status st = CheckStreamName(stream); !st.ok()) return fail(st);
  auto session = OpenKinesisSession(info);
  if (!session.ok()) return fail(session.status());
  ListShardsRequest req;
  req.stream_name = stream;
  auto shards = session->client->ListShards(req);
  if (!shards.ok()) return fail(shards.status());
  DuckType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  for (const char* name : kColumns) duckdb_bind_add_result_column(info, name, varchar.get());
  auto* bind = new ShardsBind{std::move(*shards)};
  duckdb_bind_set_cardinality(info, bind->shards.size(), true);
  duckdb_bind_set_bind_data(info, bind, [](void* p) { delete static_cast<ShardsBind*>(p); });
}

void Init(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new ShardsScan, [](void* p) { delete static_cast<ShardsScan*>(p); });
}

void Scan(duckdb_function_info info, duckdb_data_chunk output) {
  auto* bind = static_cast<ShardsBind*>(duckdb_function_get_bind_data(info));
  auto* scan = static_cast<ShardsScan*>(duckdb_function_get_init_data(info));
  idx_t n = 0;
  auto put = [&](idx_t col, const std::string& text, bool null_when_empty) {
    duckdb_vector v = duckdb_data_chunk_get_vector(output, col);
    if (text.empty() && null_when_empty) {
      duckdb_vector_ensure_validity_writable(v);
      duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), n);
    } else {
      duckdb_vector_assign_string_element_len(v, n, text.data(), text.size());
    }
  };
  for (; n < duckdb_vector_size() && scan->next < bind->shards.size(); ++n, ++scan->next) {
    const ShardInfo& s = bind->shards[scan->next];
    put(0, s.shard_id, false);
    put(1, s.parent_shard_id, true);
    put(2, s.adjacent_parent_shard_id, true);
    put(3, s.is_open() ? "open" : "closed", false);
    put(4, s.starting_sequence_number, false);
    put(5, s.ending_sequence_number, true);
    put(6, s.starting_hash_key, false);
    put(7, s.ending_hash_key, false);
  }
  duckdb_data_chunk_set_size(output, n);
}

}  // namespace

Status RegisterKinesisShards(duckdb_connection connection) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "kinesis_shards");
  DuckType varchar(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
  duckdb_table_function_add_parameter(f, varchar.get());
  AddAwsParameters(f);
  duckdb_table_function_set_bind(f, Bind);
  duckdb_table_function_set_init(f, Init);
  duckdb_table_function_set_function(f, Scan);
  duckdb_state state = duckdb_register_table_function(connection, f);
  duckdb_destroy_table_function(&f);
  if (state == DuckDBError) return FatalError("could not register kinesis_shards");
  return Status::Ok();
}

}  // namespace ki::ext
