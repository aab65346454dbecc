// The Kinesis calls the engine makes, behind one small interface: the real implementation goes
// to a KinesisClient; the pipeline's unit tests script one (trimmed records, throttling storms,
// expired iterators: faults the emulators cannot produce).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "kinesis/kinesis_client.h"
#include "kinesis/kinesis_types.h"

namespace ki {

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual Result<StreamSummary> DescribeStream(const std::string& stream) = 0;
  virtual Result<std::vector<ShardInfo>> ListShards(const std::string& stream,
                                                    const CancellationToken* cancel) = 0;
  virtual Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard_id,
                                               const IteratorStart& start,
                                               const CancellationToken* cancel) = 0;
  // One attempt when `single_attempt`: the engine backs off per shard itself, so one throttled
  // shard never holds a reader thread in a retry sleep while other shards wait.
  virtual Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit,
                                              const std::string& stream, const std::string& shard_id,
                                              bool single_attempt, const CancellationToken* cancel) = 0;
};

// RecordSource over the real API. Keeps a second client with the same configuration and one
// attempt per call for single-attempt GetRecords.
class KinesisRecordSource final : public RecordSource {
 public:
  explicit KinesisRecordSource(KinesisClient& client);

  Result<StreamSummary> DescribeStream(const std::string& stream) override;
  Result<std::vector<ShardInfo>> ListShards(const std::string& stream,
                                            const CancellationToken* cancel) override;
  Result<std::string> GetShardIterator(const std::string& stream, const std::string& shard_id,
                                       const IteratorStart& start,
                                       const CancellationToken* cancel) override;
  Result<GetRecordsResult> GetRecords(const std::string& iterator, int limit, const std::string& stream,
                                      const std::string& shard_id, bool single_attempt,
                                      const CancellationToken* cancel) override;

 private:
  KinesisClient& client_;
  KinesisClient single_attempt_;
};

}  // namespace ki
