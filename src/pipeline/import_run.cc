#include "pipeline/import_run.h"

#include "pipeline/engine.h"
#include "pipeline/metered_record_source.h"
#include "pipeline/record_source.h"

namespace ki {

Result<ImportReport> RunImport(KinesisClient& kinesis, Sink& sink, const ImportOptions& options,
                               Clock& clock) {
  KinesisRecordSource kinesis_source(kinesis);
  MeteredRecordSource metered(kinesis_source, options.metrics ? *options.metrics : NoMetrics());
  RecordSource& source = options.metrics ? static_cast<RecordSource&>(metered) : kinesis_source;
  BorrowedSink sinks(sink);
  ImportOptions o = options;
  o.shard_retry = kinesis.config().retry;
  auto report = RunEngine(source, sinks, o, clock);
  // A failed run was rolled back, unless COMMIT went unanswered: then the sink's message says
  // that the outcome is unknown.
  if (!report.ok() && !report.status().detail().commit_outcome_unknown) {
    return report.status().WithContext("run failed, nothing was committed");
  }
  return report;
}

}  // namespace ki
