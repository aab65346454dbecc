#include "sink/postgres/connection_string.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

#include "sink/postgres/postgres_handles.h"

namespace ki {
namespace {

constexpr char kMask[] = "***";

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsSecretKey(std::string_view key) {
  const std::string k = Lower(key);
  return k == "password" || k == "sslpassword";
}

bool IsUri(const std::string& s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

// Cuts `s` at the first "password" (any case): for strings that do not parse.
std::string CutAtPasswordKeyword(const std::string& s, std::vector<std::string>* secrets) {
  const std::string lower = Lower(s);
  const size_t pos = lower.find("password");
  if (pos == std::string::npos) return s;
  if (secrets != nullptr) {
    // Whatever follows the keyword might be the secret: remember its first word.
    size_t start = lower.find('=', pos);
    if (start != std::string::npos) {
      ++start;
      while (start < s.size() && IsSpace(s[start])) ++start;
      size_t end = start;
      while (end < s.size() && !IsSpace(s[end]) && s[end] != '&') ++end;
      std::string value = s.substr(start, end - start);
      if (value.size() >= 2 && value.front() == '\'') value = value.substr(1);
      if (!value.empty() && value.back() == '\'') value.pop_back();
      if (!value.empty()) secrets->push_back(value);
    }
  }
  return s.substr(0, pos) + "password=" + kMask;
}

// postgresql://[userinfo@][hosts][/dbname][?key=value&...]
std::string RedactUri(const std::string& s, std::vector<std::string>* secrets) {
  const size_t scheme_end = s.find("://") + 3;
  size_t query = s.find('?', scheme_end);
  if (query == std::string::npos) query = s.size();
  std::string out = s.substr(0, scheme_end);
  // The last '@' before the query ends the user info. (libpq takes the first '@' or '/'; taking
  // the last one hides more, never less.)
  const std::string_view before_query(s.data() + scheme_end, query - scheme_end);
  const size_t at = before_query.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = before_query.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) {
      if (secrets != nullptr && colon + 1 < userinfo.size()) {
        secrets->emplace_back(userinfo.substr(colon + 1));
      }
      out.append(userinfo.substr(0, colon));
      out.append(":");
      out.append(kMask);
    } else {
      out.append(userinfo);
    }
    out.append(before_query.substr(at));
  } else {
    out.append(before_query);
  }
  if (query == s.size()) return out;
  out.push_back('?');
  size_t pos = query + 1;
  while (pos <= s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string::npos) amp = s.size();
    const std::string_view param(s.data() + pos, amp - pos);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsSecretKey(param.substr(0, eq))) {
      if (secrets != nullptr && eq + 1 < param.size()) secrets->emplace_back(param.substr(eq + 1));
      out.append(param.substr(0, eq + 1));
      out.append(kMask);
    } else {
      out.append(param);
    }
    if (amp == s.size()) break;
    out.push_back('&');
    pos = amp + 1;
  }
  return out;
}

// key = value settings; values may be single-quoted ('it\'s'), backslash escapes anywhere.
std::string RedactKeyValues(const std::string& s, std::vector<std::string>* secrets) {
  std::string out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    while (i < n && IsSpace(s[i])) out.push_back(s[i++]);
    if (i == n) break;
    const size_t key_start = i;
    while (i < n && s[i] != '=' && !IsSpace(s[i])) ++i;
    const std::string key = s.substr(key_start, i - key_start);
    out.append(key);
    while (i < n && IsSpace(s[i])) out.push_back(s[i++]);
    if (i == n || s[i] != '=') return CutAtPasswordKeyword(s, secrets);
    out.push_back(s[i++]);
    while (i < n && IsSpace(s[i])) out.push_back(s[i++]);
    const size_t value_start = i;
    std::string value;  // unescaped
    if (i < n && s[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (s[i] == '\\' && i + 1 < n) {
          value.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        if (s[i] == '\'') {
          ++i;
          closed = true;
          break;
        }
        value.push_back(s[i++]);
      }
      if (!closed) return CutAtPasswordKeyword(s, secrets);
    } else {
      while (i < n && !IsSpace(s[i])) {
        if (s[i] == '\\' && i + 1 < n) {
          value.push_back(s[i + 1]);
          i += 2;
          continue;
        }
        value.push_back(s[i++]);
      }
    }
    if (IsSecretKey(key)) {
      if (secrets != nullptr) {
        if (!value.empty()) secrets->push_back(value);
        const std::string raw = s.substr(value_start, i - value_start);
        if (!raw.empty() && raw != value) secrets->push_back(raw);
      }
      out.append(kMask);
    } else {
      out.append(s, value_start, i - value_start);
    }
  }
  return out;
}

std::string Redact(const std::string& conninfo, std::vector<std::string>* secrets) {
  return IsUri(conninfo) ? RedactUri(conninfo, secrets) : RedactKeyValues(conninfo, secrets);
}

}  // namespace

std::string RedactConnectionString(const std::string& conninfo) {
  return Redact(conninfo, nullptr);
}

std::vector<std::string> ConnectionStringSecrets(const std::string& conninfo) {
  std::vector<std::string> secrets;
  (void)Redact(conninfo, &secrets);
  // libpq's own reading (percent-decoding in URIs, its escape rules).
  char* error = nullptr;
  PgConninfoOptions options(PQconninfoParse(conninfo.c_str(), &error));
  if (error != nullptr) PQfreemem(error);
  if (options) {
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
      if (o->val != nullptr && *o->val != '\0' && IsSecretKey(o->keyword)) {
        secrets.emplace_back(o->val);
      }
    }
  }
  secrets.erase(std::remove(secrets.begin(), secrets.end(), std::string()), secrets.end());
  // Longest first, so that a secret containing another is replaced whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  return secrets;
}

std::string ScrubSecrets(std::string message, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t pos = message.find(secret); pos != std::string::npos;
         pos = message.find(secret, pos + std::strlen(kMask))) {
      message.replace(pos, secret.size(), kMask);
    }
  }
  return message;
}

}  // namespace ki
