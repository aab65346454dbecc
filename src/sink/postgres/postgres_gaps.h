// The PostgreSQL sink's retention gaps: kinesis_import_gaps beside the positions table (in the
// target table's schema), created if missing and filled inside the run's transaction. The sink
// checks that a run is open first.
#pragma once

#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/sink.h"
#include "table/table_schema.h"

namespace ki {

// The Sink's SaveGaps for the run on `schema`: nothing for an empty `gaps`; otherwise creates the
// table if missing (a concurrent creation by another run is retried, PgCreateTableInRun) and
// inserts one row per gap. Empty sequence numbers and a subsequence number of -1 are stored as
// NULL; a detected_at_us of 0 or less as `clock`'s time.
Status SavePgGaps(PostgresConnection& connection, Clock& clock, const TableSchema& schema,
                  const std::vector<RetentionGap>& gaps);

// The Sink's CountGaps: rows of the gaps table for `stream` and the run's table; 0 while the
// table does not exist (to_regclass, so nothing is created and no error aborts the transaction).
Result<int64_t> CountPgGaps(PostgresConnection& connection, const TableSchema& schema,
                            const std::string& stream);

}  // namespace ki
