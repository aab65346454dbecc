// The PostgreSQL sink's rejects table: created if missing inside the run's transaction (so it
// disappears with a rolled-back run), tolerating a concurrent creation by another run, checked for
// the expected columns, then one INSERT per rejected record (they are rare). The sink checks that
// a run is open first.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sink/postgres/postgres_connection.h"
#include "sink/sink.h"

namespace ki {

class PgRejects {
 public:
  PgRejects(PostgresConnection& connection, Clock& clock)
      : connection_(&connection), clock_(&clock) {}

  // The Sink's PrepareRejects: an unqualified `rejects_table` goes into `default_schema` (the
  // target table's; empty: the search path).
  Status Prepare(const std::string& rejects_table, const std::string& default_schema);
  bool prepared() const { return !table_sql_.empty(); }
  // The Sink's AppendRejects (after Prepare in the same run).
  Status Append(const std::vector<RejectedRecord>& rejects);
  // The run ended: the next one prepares again.
  void EndRun() { table_sql_.clear(); }

 private:
  PostgresConnection* connection_;
  Clock* clock_;
  std::string table_sql_;  // the prepared table, quoted; empty before Prepare
};

}  // namespace ki
