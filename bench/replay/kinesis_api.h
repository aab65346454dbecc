// The Kinesis JSON 1.1 operations kinesis-replay answers, from a request body to a response.
// No SigV4 check: like the emulators, any Authorization is accepted.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "replay_stream.h"

namespace replay {

// A response body in up to three pieces, so that GetRecords hands out the pre-rendered records
// (`middle`, a view into the stream's memory) without copying them.
struct ApiResponse {
  int status = 200;
  std::string head;
  std::string_view middle;
  std::string tail;
  size_t size() const { return head.size() + middle.size() + tail.size(); }
};

class KinesisApi {
 public:
  explicit KinesisApi(ReplayStream& stream) : stream_(stream) {}

  // `target` is the X-Amz-Target header (Kinesis_20131202.<Op>). `parser` belongs to the calling
  // connection (simdjson parsers are not thread-safe); everything else may be called from any
  // number of connection threads at once.
  void Handle(std::string_view target, std::string_view body, simdjson::dom::parser& parser,
              ApiResponse& response);

 private:
  void ListShards(simdjson::dom::element request, ApiResponse& response);
  void DescribeStreamSummary(simdjson::dom::element request, ApiResponse& response);
  void GetShardIterator(simdjson::dom::element request, ApiResponse& response);
  void GetRecords(simdjson::dom::element request, ApiResponse& response);
  // True when the request names this stream (StreamName or StreamARN); otherwise fills a
  // ResourceNotFoundException.
  bool CheckStream(simdjson::dom::element request, ApiResponse& response);
  std::string Arn() const;

  ReplayStream& stream_;
};

}  // namespace replay
