#include "kinesis/kinesis_error.h"

#include <simdjson.h>

#include "kinesis/cbor.h"

namespace ki {

AwsErrorInfo ParseAwsError(const HttpResponse& response) {
  AwsErrorInfo info;
  info.request_id = response.Header("x-amzn-requestid");
  if (info.request_id.empty()) info.request_id = response.Header("x-amz-request-id");
  if (!response.body.empty() && IsCborContentType(response.Header("content-type"))) {
    // A CBOR request's error: a map {"__type": ..., "message": ...}.
    CborReader r(response.body);
    CborHead map;
    if (r.ReadHead(&map) && map.major == CborMajor::kMap && !map.indefinite) {
      for (uint64_t i = 0; i < map.value; ++i) {
        CborHead k, v;
        std::string_view key, value;
        if (!r.ReadHead(&k) || k.major != CborMajor::kText || !r.ReadStringView(k, &key) || !r.ReadHead(&v)) break;
        if (v.major == CborMajor::kText && !v.indefinite) {
          if (!r.ReadStringView(v, &value)) break;
          if (key == "__type") info.type = value;
          else if (key == "message" || key == "Message") info.message = value;
        } else if (!r.SkipAfterHead(v)) {
          break;
        }
      }
    }
  } else if (!response.body.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!parser.parse(response.body).get(doc) && doc.is_object()) {
      std::string_view s;
      if (!doc["__type"].get_string().get(s)) info.type = s;
      if (!doc["message"].get_string().get(s) || !doc["Message"].get_string().get(s))
        info.message = s;
    }
  }
  // Some errors only carry the type in a header (x-amzn-ErrorType).
  if (info.type.empty()) info.type = response.Header("x-amzn-errortype");
  // Either place may hold "namespace#Type:url" (as the AWS SDKs sanitize it): cut at the first
  // ':', then keep what follows '#'.
  if (auto colon = info.type.find(':'); colon != std::string::npos) info.type.resize(colon);
  if (auto hash = info.type.rfind('#'); hash != std::string::npos) info.type.erase(0, hash + 1);
  return info;
}

ErrorKind ClassifyAwsError(long http_status, std::string_view type) {
  if (type == "ExpiredIteratorException") return ErrorKind::kExpiredIterator;
  if (type == "ProvisionedThroughputExceededException" || type == "LimitExceededException" ||
      type == "ThrottlingException" || type == "Throttling" ||
      type == "ThrottledException" || type == "RequestLimitExceeded" ||
      type == "KMSThrottlingException" || type == "InternalFailure" ||
      type == "ServiceUnavailable" || type == "InternalServerError")
    return ErrorKind::kRetriable;
  if (http_status >= 500) return ErrorKind::kRetriable;
  if (http_status == 429) return ErrorKind::kRetriable;
  // ResourceNotFound, AccessDenied, UnrecognizedClient, InvalidSignature, Validation,
  // InvalidArgument, ResourceInUse, ExpiredToken ...: repeating the call cannot help.
  return ErrorKind::kFatal;
}

namespace {
std::string Hint(std::string_view type, std::string_view endpoint, std::string_view region) {
  std::string where = " (endpoint " + std::string(endpoint) + ", region " + std::string(region) + ")";
  if (type == "ResourceNotFoundException")
    return "check the stream name and the region" + where;
  if (type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
      type == "IncompleteSignature" || type == "SignatureDoesNotMatch")
    return "the AWS credentials were rejected: check the access key and secret";
  if (type == "ExpiredTokenException") return "the session token has expired: refresh the credentials";
  if (type == "AccessDeniedException")
    return "the credentials are not allowed this call: check the IAM policy";
  return "";
}
}  // namespace

Status AwsErrorStatus(const CallContext& ctx, const HttpResponse& response,
                      std::string_view endpoint, std::string_view region) {
  AwsErrorInfo info = ParseAwsError(response);
  ErrorKind kind = ClassifyAwsError(response.status, info.type);
  std::string msg = "Kinesis " + std::string(ctx.operation);
  if (!ctx.stream.empty()) msg += " stream '" + std::string(ctx.stream) + "'";
  if (!ctx.shard.empty()) msg += " shard '" + std::string(ctx.shard) + "'";
  msg += ": ";
  msg += info.type.empty() ? "HTTP " + std::to_string(response.status) : info.type;
  if (!info.message.empty()) msg += ": " + info.message;
  if (info.type.empty() && info.message.empty() && response.body.empty())
    msg += " with an empty body";
  std::string hint = Hint(info.type, endpoint, region);
  if (!hint.empty()) msg += " — " + hint;
  if (!info.request_id.empty()) msg += " [request id " + info.request_id + "]";
  ErrorDetail detail;
  detail.aws_error_type = info.type;
  detail.request_id = info.request_id;
  detail.http_status = static_cast<int>(response.status);
  detail.retriable = kind == ErrorKind::kRetriable;
  detail.fatal = kind == ErrorKind::kFatal;
  return Status::Error(kind, std::move(msg)).WithDetail(std::move(detail));
}

}  // namespace ki
