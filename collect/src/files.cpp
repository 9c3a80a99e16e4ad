#include "sgaudit/collect/files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
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

std::variant<StagingFolder, std::string> StagingFolder::create(const std::filesystem::path& folder,
                                                               std::string_view tag) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) return folder.string() + ": cannot create the folder: " + error.message();
  const std::filesystem::path staging =
      folder / (".sgaudit-collect-" + std::string(tag) + (tag.empty() ? "" : "-") + std::to_string(getpid()));
  std::filesystem::remove_all(staging, error);
  std::filesystem::create_directories(staging, error);
  if (error) return staging.string() + ": cannot create the folder: " + error.message();
  return StagingFolder(staging);
}

std::optional<std::string> StagingFolder::writeJson(const std::string& name,
                                                    const nlohmann::ordered_json& document) const {
  const std::filesystem::path path = path_ / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << document.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  out.close();
  if (!out) return path.string() + ": cannot write: " + std::strerror(errno);
  return std::nullopt;
}

std::optional<std::string> StagingFolder::publish(const std::string& name,
                                                  const std::filesystem::path& folder) const {
  const std::filesystem::path target = folder / name;
  std::error_code error;
  std::filesystem::rename(path_ / name, target, error);
  if (error) return target.string() + ": cannot write: " + error.message();
  return std::nullopt;
}

StagingFolder::~StagingFolder() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace sgaudit::collect
