#include "infer/infer_table.h"

#include "sink/duckdb/duckdb_sql.h"
#include "sink/postgres/postgres_sql.h"
#include "sink/sink_factory.h"

namespace ki {
namespace {

std::string StartText(const IteratorStart& from) {
  switch (from.type) {
    case IteratorType::kTrimHorizon:
      return "trim_horizon";
    case IteratorType::kLatest:
      return "latest";
    case IteratorType::kAtTimestamp:
      return "the given timestamp";
    default:
      return "the given position";
  }
}

}  // namespace

SqlDialect DialectOfDb(const std::string& db) {
  return IsPostgresConnectionString(db) ? SqlDialect::kPostgres : SqlDialect::kDuckDb;
}

Result<TableSuggestion> InferTableFromStream(KinesisClient& client, Clock& clock,
                                             const InferTableRequest& request) {
  KI_ASSIGN_OR_RETURN(StreamSample sample, SampleStream(client, clock, request.sample));
  TableInference inference;
  for (const auto& record : sample.records) inference.AddRecord(record);
  KI_ASSIGN_OR_RETURN(TableSuggestion suggestion,
                      SuggestTable(inference, request.table, request.dialect,
                                   "stream '" + request.sample.stream + "' (" +
                                       std::to_string(sample.shards) + " shard" +
                                       (sample.shards == 1 ? "" : "s") + ", from " +
                                       StartText(request.sample.from) + ")"));
  suggestion.not_objects += sample.unreadable;
  return suggestion;
}

Result<std::string> InferCreateTableSql(KinesisClient& client, Clock& clock,
                                        const InferTableRequest& request, const DdlStyle& style) {
  KI_ASSIGN_OR_RETURN(TableSuggestion suggestion, InferTableFromStream(client, clock, request));
  if (suggestion.records == 0) {
    return NotFound("stream '" + request.sample.stream + "' has no JSON object records from " +
                    StartText(request.sample.from) + " to infer table '" + request.table +
                    "' from (" + std::to_string(suggestion.not_objects) +
                    " records that are not JSON objects); put records first or create the table");
  }
  return CreateTableSql(suggestion, style);
}

Result<bool> CreateTableFromStreamIfMissing(KinesisClient& client, Clock& clock,
                                            const std::string& db,
                                            const InferTableRequest& request) {
  {
    // Closed again before the statement runs: DuckDB allows one open database per file.
    KI_ASSIGN_OR_RETURN(std::unique_ptr<Sink> sink, OpenSink(db, DbAccess::kCreate));
    auto described = sink->DescribeTable(request.table);
    if (described.ok()) return false;
    if (described.status().kind() != ErrorKind::kNotFound) return described.status();
  }
  DdlStyle style;
  style.if_not_exists = true;
  KI_ASSIGN_OR_RETURN(std::string sql, InferCreateTableSql(client, clock, request, style));
  if (request.dialect == SqlDialect::kPostgres) {
    KI_RETURN_IF_ERROR(RunPostgresSql(db, sql).status());
  } else {
    KI_RETURN_IF_ERROR(RunDuckDbSql(db, sql, SqlOutputFormat::kTable).status());
  }
  return true;
}

Status MissingTableWithSuggestion(const Status& missing, KinesisClient& client, Clock& clock,
                                  const InferTableRequest& request) {
  DdlStyle style;
  style.one_line = true;
  auto sql = InferCreateTableSql(client, clock, request, style);
  if (!sql.ok()) return missing;
  // The sinks' message is "<what is missing where>; create it first, for example:\n<template>".
  std::string message = missing.message();
  if (size_t cut = message.find("; create it first"); cut != std::string::npos) message.resize(cut);
  return Status::Error(missing.kind(),
                       message + "; create it first (or run with --create-table), e.g. with this "
                                 "statement inferred from the stream: " +
                           *sql)
      .WithDetail(missing.detail());
}

}  // namespace ki
