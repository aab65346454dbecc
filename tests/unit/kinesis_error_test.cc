// Tests for reading and classifying Kinesis error responses (src/kinesis/kinesis_error.h).
#include "kinesis/kinesis_error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ki {
namespace {

HttpResponse Response(long status, std::string body, std::vector<HttpHeader> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- ClassifyAwsError ----------------------------------------------------------------------------

TEST(KinesisErrorClassify, ThrottlingIsRetriable) {
  for (const char* type :
       {"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException"}) {
    EXPECT_EQ(ClassifyAwsError(400, type), ErrorKind::kRetriable) << type;
  }
}

TEST(KinesisErrorClassify, ServerErrorsWithoutTypeAreRetriable) {
  for (long status : {500L, 502L, 503L, 504L}) {
    EXPECT_EQ(ClassifyAwsError(status, ""), ErrorKind::kRetriable) << status;
  }
  EXPECT_EQ(ClassifyAwsError(500, "InternalFailure"), ErrorKind::kRetriable);
  EXPECT_EQ(ClassifyAwsError(503, "ServiceUnavailable"), ErrorKind::kRetriable);
  EXPECT_EQ(ClassifyAwsError(429, ""), ErrorKind::kRetriable);
}

TEST(KinesisErrorClassify, ExpiredIteratorHasItsOwnKind) {
  EXPECT_EQ(ClassifyAwsError(400, "ExpiredIteratorException"), ErrorKind::kExpiredIterator);
}

TEST(KinesisErrorClassify, UserErrorsAreFatal) {
  for (const char* type :
       {"ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
        "ValidationException", "InvalidArgumentException"}) {
    EXPECT_EQ(ClassifyAwsError(400, type), ErrorKind::kFatal) << type;
  }
  EXPECT_EQ(ClassifyAwsError(403, "AccessDeniedException"), ErrorKind::kFatal);
  // A 4xx without a type cannot be helped by repeating it either.
  EXPECT_EQ(ClassifyAwsError(400, ""), ErrorKind::kFatal);
}

// --- ParseAwsError -------------------------------------------------------------------------------

TEST(KinesisErrorParse, NamespacePrefixIsStrippedFromType) {
  auto info = ParseAwsError(Response(
      400,
      R"({"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException",)"
      R"("message":"Stream orders under account 000000000000 not found."})"));
  EXPECT_EQ(info.type, "ResourceNotFoundException");
  EXPECT_EQ(info.message, "Stream orders under account 000000000000 not found.");
}

TEST(KinesisErrorParse, PlainTypeAndLowerCaseMessage) {
  auto info = ParseAwsError(
      Response(400, R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})"));
  EXPECT_EQ(info.type, "ProvisionedThroughputExceededException");
  EXPECT_EQ(info.message, "Rate exceeded");
}

TEST(KinesisErrorParse, CapitalisedMessageIsRead) {
  auto info = ParseAwsError(
      Response(400, R"({"__type":"AccessDeniedException","Message":"User is not authorized"})"));
  EXPECT_EQ(info.type, "AccessDeniedException");
  EXPECT_EQ(info.message, "User is not authorized");
}

TEST(KinesisErrorParse, EmptyBody) {
  auto info = ParseAwsError(Response(500, ""));
  EXPECT_EQ(info.type, "");
  EXPECT_EQ(info.message, "");
  EXPECT_EQ(info.request_id, "");
}

TEST(KinesisErrorParse, HtmlBodyFromAProxy) {
  auto info = ParseAwsError(Response(
      502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
      {{"content-type", "text/html"}}));
  EXPECT_EQ(info.type, "");
  EXPECT_EQ(info.message, "");
}

TEST(KinesisErrorParse, JsonThatIsNotAnObject) {
  auto info = ParseAwsError(Response(500, R"(["__type","message"])"));
  EXPECT_EQ(info.type, "");
  EXPECT_EQ(info.message, "");
}

TEST(KinesisErrorParse, RequestIdFromHeader) {
  auto info = ParseAwsError(Response(400, R"({"__type":"ValidationException"})",
                                     {{"content-type", "application/x-amz-json-1.1"},
                                      {"x-amzn-requestid", "c5b6c7e2-1111-2222-3333-444455556666"}}));
  EXPECT_EQ(info.request_id, "c5b6c7e2-1111-2222-3333-444455556666");
  EXPECT_EQ(info.type, "ValidationException");
  EXPECT_EQ(info.message, "");
}

TEST(KinesisErrorParse, TypeFromErrorTypeHeaderWhenBodyHasNone) {
  auto info = ParseAwsError(Response(
      400, "",
      {{"x-amzn-errortype",
        "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.kinesis/"}}));
  EXPECT_EQ(info.type, "ResourceNotFoundException");
}

// The AWS JSON protocol (Smithy awsJson1_1, and every AWS SDK's SanitizeErrorCode) says an error
// code may carry both a "namespace#" prefix and a ":url" suffix, in the body's __type as well as
// in X-Amzn-Errortype, and both must be removed. ParseAwsError strips '#' only from the body type
// and ':' only from the header, so these come out unclassifiable (and thus fatal instead of
// retriable / expired-iterator).
TEST(KinesisErrorParseRegression, BodyTypeWithUrlSuffixIsSanitized) {
  auto info = ParseAwsError(Response(
      400, R"({"__type":"com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException:)"
           R"(http://internal.amazon.com/coral/com.amazon.coral.validate/","message":"Rate exceeded"})"));
  EXPECT_EQ(info.type, "ProvisionedThroughputExceededException");
}

TEST(KinesisErrorParseRegression, HeaderTypeWithNamespaceAndUrlIsSanitized) {
  auto info = ParseAwsError(Response(
      400, "",
      {{"x-amzn-errortype",
        "com.amazonaws.kinesis.v20131202#ExpiredIteratorException:http://internal.amazon.com/"
        "coral/com.amazon.coral.validate/"}}));
  EXPECT_EQ(info.type, "ExpiredIteratorException");
}

// --- AwsErrorStatus ------------------------------------------------------------------------------

TEST(KinesisErrorStatus, MessageNamesEverythingNeededToAct) {
  HttpResponse resp = Response(
      400,
      R"({"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException",)"
      R"("message":"Stream orders not found"})",
      {{"x-amzn-requestid", "req-1234"}});
  Status st = AwsErrorStatus({"GetRecords", "orders", "shardId-000000000007"}, resp,
                             "http://127.0.0.1:4567", "eu-west-1");
  EXPECT_EQ(st.kind(), ErrorKind::kFatal);
  const std::string& m = st.message();
  EXPECT_TRUE(Contains(m, "GetRecords")) << m;
  EXPECT_TRUE(Contains(m, "orders")) << m;
  EXPECT_TRUE(Contains(m, "shardId-000000000007")) << m;
  EXPECT_TRUE(Contains(m, "ResourceNotFoundException")) << m;
  EXPECT_FALSE(Contains(m, "com.amazonaws")) << m;
  EXPECT_TRUE(Contains(m, "Stream orders not found")) << m;
  EXPECT_TRUE(Contains(m, "req-1234")) << m;
  // The hint for an unknown stream names where we looked.
  EXPECT_TRUE(Contains(m, "eu-west-1")) << m;
  EXPECT_TRUE(Contains(m, "http://127.0.0.1:4567")) << m;
}

// Callers react to the detail, never to the message text (issue 9).
TEST(KinesisErrorStatus, DetailCarriesTypeRequestIdStatusAndFlags) {
  Status fatal = AwsErrorStatus(
      {"GetShardIterator", "orders", "shardId-000000000000"},
      Response(400, R"({"__type":"InvalidArgumentException","message":"not from this stream"})",
               {{"x-amzn-requestid", "req-9"}}),
      "http://127.0.0.1:4567", "us-east-1");
  ErrorDetail d = fatal.detail();
  EXPECT_EQ(d.aws_error_type, "InvalidArgumentException");
  EXPECT_EQ(d.request_id, "req-9");
  EXPECT_EQ(d.http_status, 400);
  EXPECT_TRUE(d.fatal);
  EXPECT_FALSE(d.retriable);
  // Context added on the way up keeps the detail.
  EXPECT_EQ(fatal.WithContext("run").detail().aws_error_type, "InvalidArgumentException");
  Status throttled = AwsErrorStatus(
      {"GetRecords", "orders", "shardId-000000000000"},
      Response(400, R"({"__type":"ProvisionedThroughputExceededException"})"),
      "http://127.0.0.1:4567", "us-east-1");
  EXPECT_TRUE(throttled.detail().retriable);
  EXPECT_FALSE(throttled.detail().fatal);
  EXPECT_EQ(throttled.detail().http_status, 400);
}

TEST(KinesisErrorStatus, ThrottlingIsRetriable) {
  Status st = AwsErrorStatus(
      {"PutRecords", "orders", ""},
      Response(400, R"({"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"})"),
      "https://kinesis.us-east-1.amazonaws.com", "us-east-1");
  EXPECT_EQ(st.kind(), ErrorKind::kRetriable);
  EXPECT_TRUE(Contains(st.message(), "PutRecords")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "ProvisionedThroughputExceededException")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "Rate exceeded")) << st.message();
}

TEST(KinesisErrorStatus, EmptyBody500SaysSo) {
  Status st = AwsErrorStatus({"GetRecords", "orders", "shardId-000000000000"}, Response(500, ""),
                             "http://127.0.0.1:4567", "us-east-1");
  EXPECT_EQ(st.kind(), ErrorKind::kRetriable);
  EXPECT_TRUE(Contains(st.message(), "HTTP 500")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "empty body")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "orders")) << st.message();
}

TEST(KinesisErrorStatus, ExpiredIteratorKind) {
  Status st = AwsErrorStatus(
      {"GetRecords", "orders", "shardId-000000000000"},
      Response(400, R"({"__type":"ExpiredIteratorException","message":"Iterator expired"})"),
      "http://127.0.0.1:4567", "us-east-1");
  EXPECT_EQ(st.kind(), ErrorKind::kExpiredIterator);
}

TEST(KinesisErrorStatus, BadCredentialsHint) {
  Status st = AwsErrorStatus(
      {"ListShards", "orders", ""},
      Response(400, R"({"__type":"UnrecognizedClientException","message":"The security token )"
                    R"(included in the request is invalid."})"),
      "https://kinesis.us-east-1.amazonaws.com", "us-east-1");
  EXPECT_EQ(st.kind(), ErrorKind::kFatal);
  EXPECT_TRUE(Contains(st.message(), "credentials")) << st.message();
}

}  // namespace
}  // namespace ki
