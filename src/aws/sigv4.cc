#include "aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace ki {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kAmzDate = "x-amz-date";
constexpr std::string_view kSecurityToken = "x-amz-security-token";
constexpr std::string_view kContentSha256 = "x-amz-content-sha256";
constexpr std::string_view kAuthorization = "authorization";

using Sha256Digest = std::array<unsigned char, 32>;

// OpenSSL only fails here on allocation failure or a digest disabled by configuration; a signer
// that silently produced a wrong signature would be worse than stopping.
[[noreturn]] void DieOnOpenSslFailure(const char* what) {
  std::fprintf(stderr, "kinesis-import: OpenSSL %s failed while signing a request\n", what);
  std::abort();
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    DieOnOpenSslFailure("SHA-256");
  }
  return out;
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  Sha256Digest out;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    DieOnOpenSslFailure("HMAC-SHA256");
  }
  return out;
}

std::string_view AsView(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string Hex(const Sha256Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (unsigned char c : d) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

// ASCII only on purpose: <cctype> depends on the locale, the signature must not.
char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendUriEncoded(std::string& out, std::string_view in, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (unsigned char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Malformed escapes stay literal, so they get encoded as "%25..." like the SDKs do.
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) path = "/";
  std::string plain;
  if (normalize) {
    std::vector<std::string_view> segments;
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) slash = path.size();
      std::string_view segment = path.substr(start, slash - start);
      if (segment == "..") {
        if (!segments.empty()) segments.pop_back();
      } else if (!segment.empty() && segment != ".") {
        segments.push_back(segment);
      }
      start = slash + 1;
    }
    plain = "/";
    for (size_t i = 0; i < segments.size(); ++i) {
      if (i > 0) plain += '/';
      plain += segments[i];
    }
    if (!segments.empty() && path.back() == '/') plain += '/';
  } else {
    plain = path;
  }
  std::string out;
  out.reserve(plain.size() + 16);
  AppendUriEncoded(out, plain, /*keep_slash=*/true);
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view param = query.substr(start, amp - start);
    start = amp + 1;
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    std::string encoded_key, encoded_value;
    AppendUriEncoded(encoded_key, PercentDecode(key), /*keep_slash=*/false);
    AppendUriEncoded(encoded_value, PercentDecode(value), /*keep_slash=*/false);
    params.emplace_back(std::move(encoded_key), std::move(encoded_value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

// Trims, turns CR/LF (folded multi-line values) into spaces and collapses whitespace runs.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Headers that proxies and HTTP stacks add, drop or rewrite; signing them would break requests
// in transit. Same list as @smithy/signature-v4 (ALWAYS_UNSIGNABLE_HEADERS + proxy-*, sec-*).
bool IsUnsignable(std::string_view lower_name) {
  static constexpr std::string_view kUnsignable[] = {
      "authorization", "cache-control",     "connection", "expect",  "from",
      "keep-alive",    "max-forwards",      "pragma",     "referer", "te",
      "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id"};
  for (std::string_view name : kUnsignable)
    if (lower_name == name) return true;
  return lower_name.starts_with("proxy-") || lower_name.starts_with("sec-");
}

struct SigningKeyMaterial {
  std::string secret;  // "AWS4" + secret access key
  Sha256Digest key;
  ~SigningKeyMaterial() {
    OPENSSL_cleanse(secret.data(), secret.size());
    OPENSSL_cleanse(key.data(), key.size());
  }
};

}  // namespace

std::string Sha256Hex(std::string_view data) { return Hex(Sha256(data)); }

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(time);
  const auto day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

SigningResult SignV4(std::string_view method, std::string_view path, std::string_view query,
                     const std::vector<HttpHeader>& headers, std::string_view body,
                     const AwsCredentials& creds, const SigningParams& params) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string payload_hash = Sha256Hex(body);
  const bool has_token = !creds.session_token.empty();

  // Headers the signer generates replace any copies the caller passed in.
  auto generated = [&](std::string_view lower_name) {
    return lower_name == kAmzDate || lower_name == kAuthorization ||
           (has_token && lower_name == kSecurityToken) ||
           (params.add_content_sha256_header && lower_name == kContentSha256);
  };

  std::vector<HttpHeader> canonical;
  canonical.reserve(headers.size() + 3);
  for (const auto& [name, value] : headers) {
    std::string lower = ToLowerAscii(name);
    if (generated(lower) || IsUnsignable(lower)) continue;
    canonical.emplace_back(std::move(lower), CanonicalHeaderValue(value));
  }
  canonical.emplace_back(std::string(kAmzDate), amz_date);
  if (has_token && params.sign_session_token)
    canonical.emplace_back(std::string(kSecurityToken), CanonicalHeaderValue(creds.session_token));
  if (params.add_content_sha256_header)
    canonical.emplace_back(std::string(kContentSha256), payload_hash);
  // Stable: repeated names keep their order of appearance when joined below.
  std::stable_sort(canonical.begin(), canonical.end(),
                   [](const HttpHeader& a, const HttpHeader& b) { return a.first < b.first; });

  std::string header_block;
  std::string signed_headers;
  for (size_t i = 0; i < canonical.size();) {
    const std::string& name = canonical[i].first;
    header_block += name;
    header_block += ':';
    header_block += canonical[i].second;
    size_t j = i + 1;
    for (; j < canonical.size() && canonical[j].first == name; ++j) {
      header_block += ',';
      header_block += canonical[j].second;
    }
    header_block += '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
    i = j;
  }

  SigningResult result;
  std::string& cr = result.canonical_request;
  cr.append(method);
  cr += '\n';
  cr += CanonicalUri(path, params.normalize_path);
  cr += '\n';
  cr += CanonicalQuery(query);
  cr += '\n';
  cr += header_block;
  cr += '\n';
  cr += signed_headers;
  cr += '\n';
  cr += payload_hash;

  const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  result.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                          Sha256Hex(result.canonical_request);

  SigningKeyMaterial km;
  km.secret = "AWS4" + creds.secret_access_key;
  km.key = HmacSha256(km.secret, date);
  km.key = HmacSha256(AsView(km.key), params.region);
  km.key = HmacSha256(AsView(km.key), params.service);
  km.key = HmacSha256(AsView(km.key), "aws4_request");
  result.signature = Hex(HmacSha256(AsView(km.key), result.string_to_sign));

  result.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" +
                         scope + ", SignedHeaders=" + signed_headers +
                         ", Signature=" + result.signature;

  result.headers_to_add.emplace_back("X-Amz-Date", amz_date);
  if (has_token) result.headers_to_add.emplace_back("X-Amz-Security-Token", creds.session_token);
  if (params.add_content_sha256_header)
    result.headers_to_add.emplace_back("X-Amz-Content-Sha256", payload_hash);
  result.headers_to_add.emplace_back("Authorization", result.authorization);
  return result;
}

namespace {

struct UrlParts {
  std::string host_header;  // as libcurl sends it
  std::string path;
  std::string query;
};

Result<UrlParts> SplitUrl(std::string_view url) {
  auto error = [&](const std::string& why) {
    return InvalidArgument("SigV4 signing of '" + std::string(url) + "': " + why);
  };
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return error("URL has no scheme");
  const std::string scheme = ToLowerAscii(url.substr(0, sep));
  int default_port = 0;
  if (scheme == "http") {
    default_port = 80;
  } else if (scheme == "https") {
    default_port = 443;
  } else {
    return error("unsupported scheme '" + scheme + "' (http or https)");
  }

  std::string_view rest = url.substr(sep + 3);
  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail = rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return error("user info in the URL is not supported");

  std::string_view host;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return error("unterminated '[' in host");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return error("unexpected text after ']' in host");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return error("URL has no host");

  // libcurl formats the port as a number and leaves it out when it is the scheme default.
  int port = default_port;
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return error("bad port '" + std::string(port_text) + "'");
    port = std::stoi(std::string(port_text));
    if (port < 1 || port > 65535) return error("bad port '" + std::string(port_text) + "'");
  }

  UrlParts parts;
  parts.host_header = std::string(host);
  if (port != default_port) parts.host_header += ":" + std::to_string(port);
  tail = tail.substr(0, tail.find('#'));  // fragments are never sent
  const size_t question = tail.find('?');
  parts.path = std::string(tail.substr(0, question));
  if (parts.path.empty()) parts.path = "/";
  if (question != std::string_view::npos) parts.query = std::string(tail.substr(question + 1));
  return parts;
}

}  // namespace

Status SignHttpRequest(HttpRequest& request, const AwsCredentials& creds,
                       const SigningParams& params) {
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return InvalidArgument("SigV4 signing of '" + request.url +
                           "': credentials from " +
                           (creds.source.empty() ? std::string("an unknown source") : creds.source) +
                           " have no access key id or no secret access key");
  }
  KI_ASSIGN_OR_RETURN(UrlParts parts, SplitUrl(request.url));

  // Drop what an earlier signing added, so a retried request can be signed again.
  std::erase_if(request.headers, [&](const HttpHeader& h) {
    const std::string lower = ToLowerAscii(h.first);
    return lower == kAuthorization || lower == kAmzDate || lower == kSecurityToken ||
           (params.add_content_sha256_header && lower == kContentSha256);
  });

  // A Host header set by the caller replaces curl's, so it is the one to sign.
  const bool has_host = std::any_of(request.headers.begin(), request.headers.end(),
                                    [](const HttpHeader& h) { return ToLowerAscii(h.first) == "host"; });
  std::vector<HttpHeader> to_sign = request.headers;
  if (!has_host) to_sign.emplace_back("Host", parts.host_header);

  SigningResult signed_request = SignV4(request.method, parts.path, parts.query, to_sign,
                                        request.body, creds, params);
  for (auto& header : signed_request.headers_to_add) request.headers.push_back(std::move(header));
  return Status::Ok();
}

}  // namespace ki
