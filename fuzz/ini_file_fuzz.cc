// libFuzzer target: the AWS shared configuration and credentials files (the INI dialect of
// ~/.aws/config and ~/.aws/credentials). Build and run: scripts/fuzz.
//
// Every listed section is found again, and every key and value come from the file's bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aws/aws_config.h"
#include "aws/ini_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ini = ki::IniFile::Parse(text, "/fuzz/config");
  if (!ini.ok()) {
    if (ini.status().kind() != ki::ErrorKind::kInvalidArgument) std::abort();
    return 0;
  }
  for (const std::string& name : ini->SectionNames()) {
    const ki::IniFile::Section* section = ini->FindSection(name);
    if (section == nullptr) std::abort();
    if (text.find(name) == std::string::npos) std::abort();
    for (const auto& [key, value] : *section) {
      if (key.empty() || text.find(key) == std::string::npos ||
          text.find(value) == std::string::npos) {
        std::abort();
      }
    }
    (void)ki::FindConfigProfile(*ini, name);
  }
  (void)ki::FindConfigProfile(*ini, "default");
  return 0;
}
