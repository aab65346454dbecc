#include "pipeline/record_source.h"

namespace ki {
namespace {

KinesisClientConfig SingleAttempt(KinesisClientConfig config) {
  config.retry.max_attempts = 1;
  return config;
}

}  // namespace

KinesisRecordSource::KinesisRecordSource(KinesisClient& client)
    : client_(client), single_attempt_(client.http(), client.clock(), SingleAttempt(client.config())) {}

Result<StreamSummary> KinesisRecordSource::DescribeStream(const std::string& stream) {
  return client_.DescribeStreamSummary(stream);
}

Result<std::vector<ShardInfo>> KinesisRecordSource::ListShards(const std::string& stream,
                                                               const CancellationToken* cancel) {
  ListShardsRequest request;
  request.stream_name = stream;
  return client_.ListShards(request, cancel);
}

Result<std::string> KinesisRecordSource::GetShardIterator(const std::string& stream,
                                                          const std::string& shard_id,
                                                          const IteratorStart& start,
                                                          const CancellationToken* cancel) {
  return client_.GetShardIterator(stream, shard_id, start, cancel);
}

Result<GetRecordsResult> KinesisRecordSource::GetRecords(const std::string& iterator, int limit,
                                                         const std::string& stream,
                                                         const std::string& shard_id,
                                                         bool single_attempt,
                                                         const CancellationToken* cancel) {
  KinesisClient& c = single_attempt ? single_attempt_ : client_;
  return c.GetRecords(iterator, limit, stream, shard_id, cancel);
}

}  // namespace ki
