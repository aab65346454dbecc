// A temporary directory used as $HOME by the configuration tests; removed at the end of the test.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace ki::testing_support {

class TempHome {
 public:
  TempHome() = default;
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;

  const std::string& path() const { return dir_.path(); }

  // Writes `content` to HOME/relative (creating directories) and returns the full path.
  std::string Write(const std::string& relative, const std::string& content) const {
    std::filesystem::path full = std::filesystem::path(dir_.path()) / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
    return full.string();
  }

 private:
  test::TempDir dir_;
};

}  // namespace ki::testing_support
