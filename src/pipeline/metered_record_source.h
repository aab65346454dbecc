// A RecordSource that reports each call's outcome to Metrics::KinesisCall, by API, wrapped around
// the real one: the engine sees every GetRecords attempt (it makes them one at a time), so
// throttled and retried attempts of GetRecords are counted one by one; the other calls are
// retried inside the Kinesis client and count only their final outcome.
#pragma once

#include "common/metrics.h"
#include "pipeline/record_source.h"

namespace ki {

// How a call's status maps onto the metric's outcome label.
KinesisCallOutcome ClassifyKinesisCall(const Status& status);

class MeteredRecordSource final : public RecordSource {
 public:
  MeteredRecordSource(RecordSource& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}

  Result<StreamSummary> DescribeStream(const std::string& stream) override;
  Result<std::vector<ShardInfo>> ListShards(const std::string& stream, const CancellationToken* cancel) override;
  Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard_id,
                                       const IteratorStart& start, const CancellationToken* cancel) override;
  Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit, const std::string& stream,
                                      const std::string& shard_id, bool single_attempt,
                                      const CancellationToken* cancel) override;

 private:
  template <typename R>
  R Count(std::string_view api, R result, const CancellationToken* cancel) {
    // A call abandoned because the engine is stopping says nothing about Kinesis.
    if (result.ok() || cancel == nullptr || !cancel->cancelled())
      metrics_.KinesisCall(api, result.ok() ? KinesisCallOutcome::kOk : ClassifyKinesisCall(result.status()));
    return result;
  }

  RecordSource& inner_;
  Metrics& metrics_;
};

}  // namespace ki
