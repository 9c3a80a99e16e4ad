#pragma once

// Small files the collectors and the agent read whole: credentials (CA certificates, client keys, tokens) and
// configuration. Errors name the file and what it is for, never what it holds.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace sgaudit::collect {

struct FileText {
  std::string text;
  std::string error;  // "<what> <path>: <reason>"; empty when read
};

// The file's bytes, when it holds at most `limit` of them.
FileText readSmallFile(const std::filesystem::path& path, std::string_view what, std::uintmax_t limit);

// A file holding one token (a bearer token, a service account's): its text trimmed of surrounding white
// space, refused when empty or holding several words.
FileText readTokenFile(const std::filesystem::path& path, std::string_view what, std::uintmax_t limit);

// Where a collection writes before anything is kept: a folder inside `folder` (created when missing),
// .sgaudit-collect-<tag>-<pid>, emptied first and removed with what is left when this goes. The collector
// renames its documents out of it only once every one was read, so `folder` is all new or as it was.
class StagingFolder {
 public:
  // The folder, or why it cannot be made ("<path>: cannot create the folder: ...").
  static std::variant<StagingFolder, std::string> create(const std::filesystem::path& folder,
                                                         std::string_view tag);
  StagingFolder(StagingFolder&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  StagingFolder& operator=(StagingFolder&&) = delete;
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder();
  const std::filesystem::path& path() const { return path_; }

  // `document` as the file `name` here, indented by 4 as the providers' CLIs print it; or why not
  // ("<file>: cannot write: ...").
  std::optional<std::string> writeJson(const std::string& name, const nlohmann::ordered_json& document) const;
  // The file `name` moved from here into `folder`, replacing the one there; or why not.
  std::optional<std::string> publish(const std::string& name, const std::filesystem::path& folder) const;

 private:
  explicit StagingFolder(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace sgaudit::collect
