// The table functions the extension registers on load.
#pragma once

#include "common/status.h"
#include "extension/duckdb_api.h"

namespace ki::ext {

// read_kinesis(stream, ...): one row per user record (read_kinesis.cc).
Status RegisterReadKinesis(duckdb_connection connection);
// kinesis_shards(stream, ...): one row per shard (kinesis_shards.cc).
Status RegisterKinesisShards(duckdb_connection connection);

}  // namespace ki::ext
