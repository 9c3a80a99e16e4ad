#pragma once

// Small files the collectors and the agent read whole: credentials (CA certificates, client keys, tokens) and
// configuration. Errors name the file and what it is for, never what it holds.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

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

}  // namespace sgaudit::collect
