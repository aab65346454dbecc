// Table inference end to end, for `suggest-table`, `run --create-table` and the missing-table
// error: sample the stream (sample.h), type its keys (type_inference.h), write the statement
// (ddl.h), and create the table when asked. Called from the CLI's thread.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "infer/ddl.h"
#include "infer/sample.h"
#include "kinesis/kinesis_client.h"

namespace ki {

struct InferTableRequest {
  SampleOptions sample;
  std::string table;
  SqlDialect dialect = SqlDialect::kDuckDb;
};

// The dialect of a --db argument: PostgreSQL for a connection string, else DuckDB.
SqlDialect DialectOfDb(const std::string& db);

// Samples the stream and types its keys. Errors: the sample's (Kinesis) and a malformed table
// name (InvalidArgument).
Result<TableSuggestion> InferTableFromStream(KinesisClient& client, Clock& clock,
                                             const InferTableRequest& request);

// The CREATE TABLE statement of InferTableFromStream's suggestion. NotFound when the sample held
// no JSON object (nothing to infer columns from), naming the stream and the start position.
Result<std::string> InferCreateTableSql(KinesisClient& client, Clock& clock,
                                        const InferTableRequest& request, const DdlStyle& style);

// `run --create-table`: when `request.table` does not exist in `db` (a DuckDB file, created if
// missing, or a PostgreSQL connection string), creates it from a sample of the stream with
// CREATE TABLE IF NOT EXISTS in a transaction of its own, committed before the run begins (the
// Sink interface runs a transaction for an existing table only). Returns whether it created the
// table. Errors: the sink's (opening, the catalog, the statement), the sample's, and
// InferCreateTableSql's NotFound for a stream without records.
Result<bool> CreateTableFromStreamIfMissing(KinesisClient& client, Clock& clock,
                                            const std::string& db,
                                            const InferTableRequest& request);

// The missing-table error of `run`: `missing` (the sink's NotFound from DescribeTable, whose
// message ends in a generic template) with the statement inferred from a sample instead, on one
// line, and the hint to use --create-table. When sampling fails or finds no JSON object,
// `missing` itself (the Kinesis error is for the run to report, not this message).
Status MissingTableWithSuggestion(const Status& missing, KinesisClient& client, Clock& clock,
                                  const InferTableRequest& request);

}  // namespace ki
