#include "pipeline/metered_record_source.h"

namespace ki {

KinesisCallOutcome ClassifyKinesisCall(const Status& status) {
  if (status.ok()) return KinesisCallOutcome::kOk;
  if (status.kind() == ErrorKind::kExpiredIterator) return KinesisCallOutcome::kExpiredIterator;
  const std::string& type = status.detail().aws_error_type;
  if (type == "ProvisionedThroughputExceededException" || type == "LimitExceededException" ||
      type == "ThrottlingException" || type == "Throttling" || type == "ThrottledException" ||
      type == "RequestLimitExceeded" || type == "KMSThrottlingException" || status.detail().http_status == 429)
    return KinesisCallOutcome::kThrottled;
  if (status.kind() == ErrorKind::kRetriable || status.detail().retriable) return KinesisCallOutcome::kRetried;
  return KinesisCallOutcome::kError;
}

Result<StreamSummary> MeteredRecordSource::DescribeStream(const std::string& stream) {
  return Count("DescribeStreamSummary", inner_.DescribeStream(stream), nullptr);
}

Result<std::vector<ShardInfo>> MeteredRecordSource::ListShards(const std::string& stream,
                                                               const CancellationToken* cancel) {
  return Count("ListShards", inner_.ListShards(stream, cancel), cancel);
}

Result<std::string> MeteredRecordSource::GetShardIterator(const std::string& stream, const std::string& shard_id,
                                                          const IteratorStart& start,
                                                          const CancellationToken* cancel) {
  return Count("GetShardIterator", inner_.GetShardIterator(stream, shard_id, start, cancel), cancel);
}

Result<GetRecordsResult> MeteredRecordSource::GetRecords(const std::string& iterator, int limit,
                                                         const std::string& stream, const std::string& shard_id,
                                                         bool single_attempt, const CancellationToken* cancel) {
  return Count("GetRecords", inner_.GetRecords(iterator, limit, stream, shard_id, single_attempt, cancel), cancel);
}

}  // namespace ki
