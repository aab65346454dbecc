// The entry point DuckDB calls on LOAD: kinesis_init_c_api (the file's base name + _init_c_api).
// DUCKDB_EXTENSION_ENTRYPOINT defines it, stores DuckDB's function table (the one global every
// duckdb_* call of the extension goes through) and opens the connection the functions are
// registered on.
#define DUCKDB_EXTENSION_NAME kinesis
#include "extension/duckdb_api.h"
#include "extension/table_functions.h"

DUCKDB_EXTENSION_ENTRYPOINT(duckdb_connection connection, duckdb_extension_info info,
                            struct duckdb_extension_access* access) {
  for (auto reg : {ki::ext::RegisterReadKinesis, ki::ext::RegisterKinesisShards}) {
    ki::Status st = reg(connection);
    if (!st.ok()) {
      access->set_error(info, st.message().c_str());
      return false;
    }
  }
  return true;
}
