#include "sgaudit/collect/files.hpp"

#include <fstream>
#include <sstream>

namespace sgaudit::collect {

FileText readSmallFile(const std::filesystem::path& path, std::string_view what, std::uintmax_t limit) {
  const std::string name = std::string(what) + " " + path.string();
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return {{}, name + ": " + error.message()};
  if (size > limit) return {{}, name + ": larger than " + std::to_string(limit) + " bytes"};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && size > 0) return {{}, name + ": cannot be read"};
  return {text.str(), {}};
}

FileText readTokenFile(const std::filesystem::path& path, std::string_view what, std::uintmax_t limit) {
  FileText file = readSmallFile(path, what, limit);
  if (!file.error.empty()) return file;
  const auto first = file.text.find_first_not_of(" \t\r\n");
  const auto last = file.text.find_last_not_of(" \t\r\n");
  file.text = first == std::string::npos ? std::string() : file.text.substr(first, last - first + 1);
  if (file.text.empty() || file.text.find_first_of(" \t\r\n") != std::string::npos)
    return {{}, std::string(what) + " " + path.string() + ": expected one token"};
  return file;
}

}  // namespace sgaudit::collect
