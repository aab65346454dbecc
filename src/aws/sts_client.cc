#include "aws/sts_client.h"

#include <cctype>
#include <cstdio>

#include "aws/aws_config.h"
#include "aws/credentials_json.h"
#include "aws/sigv4.h"

namespace ki {
namespace {

constexpr std::chrono::milliseconds kStsTimeout{10000};

// The text of the first <tag>...</tag> in `xml`, entities decoded; "" when absent. STS answers are
// small, flat and machine-written: a full XML parser would add nothing here.
std::string XmlText(const std::string& xml, const std::string& tag) {
  size_t open = xml.find("<" + tag + ">");
  if (open == std::string::npos) return "";
  size_t start = open + tag.size() + 2;
  size_t close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos) return "";
  std::string raw = xml.substr(start, close - start);
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    size_t semi = raw.find(';', i);
    std::string entity = semi == std::string::npos ? "" : raw.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    else if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else {
      out += '&';
      continue;
    }
    i = semi;
  }
  return out;
}

std::string Printable(std::string text, size_t max) {
  if (text.size() > max) text = text.substr(0, max) + "...";
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

Result<AwsCredentials> Post(HttpClient& http, HttpRequest request, const std::string& action,
                            const std::string& role_arn) {
  Result<HttpResponse> response = http.Send(request);
  if (!response.ok()) {
    return response.status().WithContext("STS " + action + " for role '" + role_arn + "'");
  }
  return ParseStsResponse(response->status, response->body, action, role_arn);
}

HttpRequest FormRequest(const StsTarget& target, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = target.endpoint + "/";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = body;
  request.timeout = kStsTimeout;
  return request;
}

}  // namespace

std::string FormUrlEncode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Result<std::string> ResolveStsEndpoint(const std::string& region, const Environment& env) {
  std::optional<std::string> ignore = GetNonEmpty(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  bool ignored = ignore && (*ignore == "true" || *ignore == "TRUE" || *ignore == "True");
  if (!ignored) {
    if (std::optional<std::string> url = GetNonEmpty(env, "AWS_ENDPOINT_URL_STS")) {
      return ValidateEndpointUrl(*url, "AWS_ENDPOINT_URL_STS");
    }
  }
  std::string r = region.empty() ? "us-east-1" : region;
  for (char c : r) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return InvalidArgument("cannot build the STS endpoint: region '" + r + "' is not a region name");
    }
  }
  return "https://sts." + r + (r.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
}

Result<AwsCredentials> ParseStsResponse(long status, const std::string& body,
                                        const std::string& action, const std::string& role_arn) {
  const std::string where = "STS " + action + " for role '" + role_arn + "'";
  if (status != 200) {
    ErrorDetail detail;
    detail.http_status = static_cast<int>(status);
    detail.aws_error_type = Printable(XmlText(body, "Code"), 80);
    detail.request_id = Printable(XmlText(body, "RequestId"), 80);
    detail.retriable = status >= 500 || status == 429 || detail.aws_error_type == "Throttling" ||
                       detail.aws_error_type == "IDPCommunicationError";
    detail.fatal = !detail.retriable;
    std::string message = Printable(XmlText(body, "Message"), 300);
    std::string text = where + " failed: HTTP " + std::to_string(status) +
                       (detail.aws_error_type.empty() ? "" : " " + detail.aws_error_type) +
                       (message.empty() ? "" : ": " + message) +
                       (detail.request_id.empty() ? "" : " (request id " + detail.request_id + ")");
    return Status::Error(detail.retriable ? ErrorKind::kRetriable : ErrorKind::kFatal, text)
        .WithDetail(detail);
  }
  std::string result = XmlText(body, action + "Result");
  std::string credentials = XmlText(result, "Credentials");
  AwsCredentials creds;
  creds.access_key_id = XmlText(credentials, "AccessKeyId");
  creds.secret_access_key = XmlText(credentials, "SecretAccessKey");
  creds.session_token = XmlText(credentials, "SessionToken");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty() || creds.session_token.empty()) {
    return FatalError(where + ": the answer has no " + action +
                      "Result/Credentials with AccessKeyId, SecretAccessKey and SessionToken");
  }
  std::string expiration = XmlText(credentials, "Expiration");
  if (!expiration.empty()) {
    KI_ASSIGN_OR_RETURN(creds.expiration, ParseExpiration(expiration, where));
  }
  return creds;
}

Result<AwsCredentials> StsAssumeRole(HttpClient& http, Clock& clock, const StsTarget& target,
                                     const AwsCredentials& source, const AssumeRoleRequest& request) {
  std::string body = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + FormUrlEncode(request.role_arn) +
                     "&RoleSessionName=" + FormUrlEncode(request.role_session_name);
  if (!request.external_id.empty()) body += "&ExternalId=" + FormUrlEncode(request.external_id);
  if (request.duration_seconds > 0) {
    body += "&DurationSeconds=" + std::to_string(request.duration_seconds);
  }
  HttpRequest http_request = FormRequest(target, body);
  SigningParams params;
  params.region = target.region.empty() ? "us-east-1" : target.region;
  params.service = "sts";
  params.time = clock.Now();
  KI_RETURN_IF_ERROR(SignHttpRequest(http_request, source, params));
  return Post(http, std::move(http_request), "AssumeRole", request.role_arn);
}

Result<AwsCredentials> StsAssumeRoleWithWebIdentity(HttpClient& http, const StsTarget& target,
                                                    const std::string& role_arn,
                                                    const std::string& role_session_name,
                                                    const std::string& web_identity_token) {
  std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                     FormUrlEncode(role_arn) + "&RoleSessionName=" + FormUrlEncode(role_session_name) +
                     "&WebIdentityToken=" + FormUrlEncode(web_identity_token);
  return Post(http, FormRequest(target, body), "AssumeRoleWithWebIdentity", role_arn);
}

}  // namespace ki
