#include "aws/metadata_credentials.h"

#include <algorithm>
#include <cctype>

#include "aws/aws_config.h"
#include "aws/credentials_json.h"
#include "aws/ini_file.h"

namespace ki {
namespace {

using MaybeCredentials = std::optional<AwsCredentials>;

constexpr std::chrono::milliseconds kImdsTimeout{1000};
constexpr std::chrono::milliseconds kContainerTimeout{2000};
constexpr const char* kImdsDefaultEndpoint = "http://169.254.169.254";
constexpr const char* kImdsCredentialsPath = "/latest/meta-data/iam/security-credentials/";

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string TrimText(std::string s) {
  auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && blank(s.back())) s.pop_back();
  size_t start = 0;
  while (start < s.size() && blank(s[start])) ++start;
  return s.substr(start);
}

bool ImdsDisabled(const Environment& env) {
  std::optional<std::string> v = GetNonEmpty(env, "AWS_EC2_METADATA_DISABLED");
  return v && ToLower(*v) == "true";
}

std::string ImdsEndpoint(const Environment& env) {
  std::string e = GetNonEmpty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(kImdsDefaultEndpoint);
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

HttpRequest ImdsRequest(const std::string& method, const std::string& url, std::string header,
                        std::string value) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.headers.emplace_back(std::move(header), std::move(value));
  request.timeout = kImdsTimeout;
  return request;
}

// The IMDSv2 session token. nullopt + `why` when the service does not answer at all;
// an error when it answers but refuses.
Result<std::optional<std::string>> ImdsToken(HttpClient& http, const std::string& endpoint,
                                             std::string& why) {
  Result<HttpResponse> response =
      http.Send(ImdsRequest("PUT", endpoint + "/latest/api/token",
                            "X-aws-ec2-metadata-token-ttl-seconds", "21600"));
  if (!response.ok()) {
    why = "not reachable";
    return std::optional<std::string>();
  }
  if (response->status != 200 || TrimText(response->body).empty()) {
    return FatalError("instance metadata at " + endpoint + " refused the IMDSv2 token request (HTTP " +
                      std::to_string(response->status) + "); IMDSv1 is not used");
  }
  return std::optional<std::string>(TrimText(response->body));
}

// Loopback or the link-local container endpoints: the only hosts FULL_URI may name over http.
bool IsAllowedHttpContainerHost(std::string host) {
  host = ToLower(host);
  if (host == "localhost" || host == "[::1]" || host == "169.254.170.2" ||
      host == "169.254.170.23" || host == "[fd00:ec2::23]") {
    return true;
  }
  // 127.0.0.0/8: four decimal octets, the first 127.
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    std::string part = host.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) ||
        std::stoi(part) > 255) {
      return false;
    }
    if (parts == 0 && part != "127") return false;
    ++parts;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return parts == 4;
}

std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string authority = url.substr(start, url.find_first_of("/?#", start) - start);
  if (authority.starts_with("[")) return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.rfind(':') == std::string::npos ? authority.size()
                                                                      : authority.rfind(':'));
}

}  // namespace

// --- IMDS ------------------------------------------------------------------------------------

ImdsCredentialsProvider::ImdsCredentialsProvider(HttpClient& http, const Environment& env)
    : http_(http), endpoint_(ImdsEndpoint(env)), disabled_(ImdsDisabled(env)) {}

Result<std::optional<AwsCredentials>> ImdsCredentialsProvider::Load() {
  if (disabled_) {
    last_miss_ = "disabled by AWS_EC2_METADATA_DISABLED";
    return MaybeCredentials();
  }
  KI_ASSIGN_OR_RETURN(std::optional<std::string> token, ImdsToken(http_, endpoint_, last_miss_));
  if (!token) return MaybeCredentials();
  const std::string where = "instance metadata at " + endpoint_;

  Result<HttpResponse> roles = http_.Send(ImdsRequest(
      "GET", endpoint_ + kImdsCredentialsPath, "X-aws-ec2-metadata-token", *token));
  if (!roles.ok()) return roles.status().WithContext(where);
  if (roles->status == 404) {
    last_miss_ = "the instance has no IAM role";
    return MaybeCredentials();
  }
  if (roles->status != 200) {
    return FatalError(where + ": listing the instance's IAM role answered HTTP " +
                      std::to_string(roles->status));
  }
  std::string role = TrimText(roles->body.substr(0, roles->body.find('\n')));
  if (role.empty()) {
    last_miss_ = "the instance has no IAM role";
    return MaybeCredentials();
  }

  Result<HttpResponse> answer = http_.Send(ImdsRequest(
      "GET", endpoint_ + kImdsCredentialsPath + role, "X-aws-ec2-metadata-token", *token));
  if (!answer.ok()) return answer.status().WithContext(where);
  if (answer->status != 200) {
    return FatalError(where + ": the credentials of role '" + role + "' answered HTTP " +
                      std::to_string(answer->status));
  }
  KI_ASSIGN_OR_RETURN(AwsCredentials creds,
                      ParseCredentialsJson(answer->body, where + " (role '" + role + "')", false));
  return MaybeCredentials(std::move(creds));
}

std::string ImdsCredentialsProvider::Describe() const {
  return "EC2 instance metadata (IMDSv2) at " + endpoint_ + (last_miss_.empty() ? "" : " (" + last_miss_ + ")");
}

std::optional<std::string> ImdsRegion(HttpClient& http, const Environment& env) {
  if (ImdsDisabled(env)) return std::nullopt;
  const std::string endpoint = ImdsEndpoint(env);
  std::string why;
  Result<std::optional<std::string>> token = ImdsToken(http, endpoint, why);
  if (!token.ok() || !token->has_value()) return std::nullopt;
  Result<HttpResponse> answer = http.Send(ImdsRequest(
      "GET", endpoint + "/latest/meta-data/placement/region", "X-aws-ec2-metadata-token", **token));
  if (!answer.ok() || answer->status != 200) return std::nullopt;
  std::string region = TrimText(answer->body);
  if (region.empty()) return std::nullopt;
  return region;
}

// --- Container -------------------------------------------------------------------------------

ContainerCredentialsProvider::ContainerCredentialsProvider(HttpClient& http, const Environment& env)
    : http_(http),
      token_file_(GetNonEmpty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
      token_(GetNonEmpty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
  if (std::optional<std::string> relative = GetNonEmpty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url_ = "http://169.254.170.2" + (relative->starts_with("/") ? *relative : "/" + *relative);
    url_origin_ = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
  } else if (std::optional<std::string> full = GetNonEmpty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    url_ = *full;
    url_origin_ = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  }
}

Result<std::optional<AwsCredentials>> ContainerCredentialsProvider::Load() {
  if (!url_) return MaybeCredentials();
  const std::string where = "container credentials at " + *url_ + " (from " + url_origin_ + ")";
  std::string scheme = ToLower(url_->substr(0, url_->find("://")));
  if (scheme != "http" && scheme != "https") {
    return InvalidArgument(url_origin_ + " must be an http:// or https:// URL");
  }
  if (scheme == "http" && !IsAllowedHttpContainerHost(UrlHost(*url_))) {
    return InvalidArgument(url_origin_ + " host '" + UrlHost(*url_) +
                           "' is not allowed over http: use https, a loopback address, "
                           "169.254.170.2, 169.254.170.23 or [fd00:ec2::23]");
  }
  HttpRequest request;
  request.method = "GET";
  request.url = *url_;
  request.timeout = kContainerTimeout;
  if (token_file_) {
    KI_ASSIGN_OR_RETURN(std::optional<std::string> token, ReadTextFileIfExists(*token_file_));
    if (!token) {
      return NotFound("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '" + *token_file_ + "' does not exist");
    }
    request.headers.emplace_back("Authorization", TrimText(*token));
  } else if (token_) {
    request.headers.emplace_back("Authorization", *token_);
  }
  Result<HttpResponse> answer = http_.Send(request);
  if (!answer.ok()) return answer.status().WithContext(where);
  if (answer->status != 200) {
    Status error = Status::Error(answer->status >= 500 ? ErrorKind::kRetriable : ErrorKind::kFatal,
                                 where + " answered HTTP " + std::to_string(answer->status));
    return error;
  }
  KI_ASSIGN_OR_RETURN(AwsCredentials creds, ParseCredentialsJson(answer->body, where, false));
  return MaybeCredentials(std::move(creds));
}

std::string ContainerCredentialsProvider::Describe() const {
  return url_ ? "container credentials at " + *url_
              : std::string("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/"
                            "FULL_URI not set)");
}

}  // namespace ki
