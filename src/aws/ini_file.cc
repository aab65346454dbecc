#include "aws/ini_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ki {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

size_t IndentOf(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && IsBlank(line[n])) ++n;
  return n;
}

Status LineError(const std::string& origin, int line_number, const std::string& what) {
  return InvalidArgument(origin + " line " + std::to_string(line_number) + ": " + what);
}

}  // namespace

Result<IniFile> IniFile::Parse(std::string_view text, const std::string& origin) {
  IniFile ini;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM (Windows editors)

  Section* current = nullptr;
  // Indentation of the last key line in the current section; deeper-indented lines that follow
  // belong to that key (nested settings or continuation lines), as in Python's configparser.
  // (A bool + size_t rather than std::optional: GCC 12+ warns -Wmaybe-uninitialized on the latter.)
  bool after_key = false;
  size_t key_indent = 0;
  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;

    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;

    size_t indent = IndentOf(raw);
    if (after_key && indent > key_indent) continue;  // nested under the previous key

    if (line[0] == '[') {
      size_t close = line.find(']');
      if (close == std::string_view::npos) return LineError(origin, line_number, "missing ']'");
      std::string_view rest = Trim(line.substr(close + 1));
      if (!rest.empty() && rest[0] != '#' && rest[0] != ';') {
        return LineError(origin, line_number, "unexpected text after ']'");
      }
      std::string name(Trim(line.substr(1, close - 1)));
      if (name.empty()) return LineError(origin, line_number, "empty section name");
      auto [it, inserted] = ini.sections_.try_emplace(name);
      if (inserted) ini.order_.push_back(name);
      current = &it->second;
      after_key = false;
      continue;
    }

    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(origin, line_number, "expected '[section]' or 'key = value'");
    }
    std::string_view key = Trim(line.substr(0, eq));
    if (key.empty()) return LineError(origin, line_number, "missing key before '='");
    if (current == nullptr) {
      return LineError(origin, line_number, "'key = value' before the first [section]");
    }
    (*current)[std::string(key)] = std::string(Trim(line.substr(eq + 1)));
    after_key = true;
    key_indent = indent;
  }
  return ini;
}

Result<std::optional<IniFile>> IniFile::LoadIfExists(const std::string& path) {
  KI_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadTextFileIfExists(path));
  if (!text) return std::optional<IniFile>();
  KI_ASSIGN_OR_RETURN(IniFile ini, Parse(*text, path));
  return std::optional<IniFile>(std::move(ini));
}

const IniFile::Section* IniFile::FindSection(std::string_view name) const {
  auto it = sections_.find(name);
  return it == sections_.end() ? nullptr : &it->second;
}

Result<std::optional<std::string>> ReadTextFileIfExists(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) return std::optional<std::string>();
  if (ec) return IoError("cannot access '" + path + "': " + ec.message());
  if (st.type() != fs::file_type::regular) {
    return IoError("cannot read '" + path + "': not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError("cannot read '" + path + "'");
  return std::optional<std::string>(buffer.str());
}

}  // namespace ki
