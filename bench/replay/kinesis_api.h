// The Kinesis JSON 1.1 operations kinesis-replay answers, from a request body to a response, and
// with --cbor the same operations in CBOR (application/x-amz-cbor-1.1, as AWS serves them).
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
  bool cbor = false;  // the body is CBOR (Content-Type application/x-amz-cbor-1.1), else JSON
  std::string head;
  std::string_view middle;
  std::string tail;
  size_t size() const { return head.size() + middle.size() + tail.size(); }
};

class KinesisApi {
 public:
  explicit KinesisApi(ReplayStream& stream) : stream_(stream) {}

  // `target` is the X-Amz-Target header (Kinesis_20131202.<Op>); `cbor_body` whether the
  // Content-Type was application/x-amz-cbor-1.1 (answered in CBOR with --cbor, else refused in
  // JSON). `parser` belongs to the calling connection (simdjson parsers are not thread-safe);
  // everything else may be called from any number of connection threads at once.
  void Handle(std::string_view target, std::string_view body, bool cbor_body,
              simdjson::dom::parser& parser, ApiResponse& response);

 private:
  // `Request` is a decoded JSON or CBOR request (kinesis_api.cc); Request::kCbor picks the
  // answer's format.
  template <class Request> void Dispatch(std::string_view op, const Request& request, ApiResponse& response);
  template <class Request> void ListShards(const Request& request, ApiResponse& response);
  template <class Request> void DescribeStreamSummary(const Request& request, ApiResponse& response);
  template <class Request> void GetShardIterator(const Request& request, ApiResponse& response);
  template <class Request> void GetRecords(const Request& request, ApiResponse& response);
  // True when the request names this stream (StreamName or StreamARN); otherwise fills a
  // ResourceNotFoundException.
  template <class Request> bool CheckStream(const Request& request, ApiResponse& response);
  std::string Arn() const;

  ReplayStream& stream_;
};

}  // namespace replay
