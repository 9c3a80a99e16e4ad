#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/process.hpp"

namespace sgaudit::test {

// A file under test/data, read whole.
inline std::string readTestData(const std::filesystem::path& relative) {
  std::ifstream in(testDataDir() / relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace sgaudit::test
