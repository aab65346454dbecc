// The one place that decides what a failed Kinesis call means: retry it, re-acquire the iterator,
// or stop and tell the user. Callers look at Status::kind(), never at message text.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "http/http_client.h"

namespace ki {

struct AwsErrorInfo {
  std::string type;        // "ResourceNotFoundException" (namespace prefix removed)
  std::string message;     // the server's message, may be empty
  std::string request_id;  // x-amzn-RequestId, may be empty
};

// Extracts __type/message from an error body ({"__type": ..., "message"|"Message": ...}); tolerates
// an empty or non-JSON body.
AwsErrorInfo ParseAwsError(const HttpResponse& response);

// Classification by HTTP status and error type.
ErrorKind ClassifyAwsError(long http_status, std::string_view type);

// Where the call happened, for messages.
struct CallContext {
  std::string_view operation;  // "GetRecords"
  std::string_view stream;
  std::string_view shard;
  bool cbor = false;  // the request body is CBOR (application/x-amz-cbor-1.1)
};

// Builds the Status for an unsuccessful HTTP response: kind from ClassifyAwsError and a message
// naming operation, stream, shard, type, the server's message, a hint the user can act on and the
// request id.
Status AwsErrorStatus(const CallContext& ctx, const HttpResponse& response,
                      std::string_view endpoint, std::string_view region);

}  // namespace ki
