#pragma once

// Files in and out of gzip, with their SHA-256, streamed in chunks (uploads may be hundreds of MB).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sgaudit::service {

struct DecodedFile {
  std::uint64_t size = 0;
  std::string sha256;  // hex, of the decoded bytes
};

struct CodecError {
  std::string message;
  bool too_large = false;
};

// Decodes gzip (concatenated members allowed) from `in` to `out`, refusing more than `limit` decoded bytes.
std::optional<CodecError> gunzipFile(const std::filesystem::path& in, const std::filesystem::path& out,
                                     std::uint64_t limit, DecodedFile& decoded);
// Compresses `in` to gzip at `out` (a fast level: stored documents are read rarely).
void gzipFile(const std::filesystem::path& in, const std::filesystem::path& out);
// Size and SHA-256 of a file.
DecodedFile hashFile(const std::filesystem::path& file);

// A folder (spool/collect-XXXXXX) removed with its contents when this goes out of scope.
class TempFolder {
 public:
  explicit TempFolder(const std::filesystem::path& spool);
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A file removed when this goes out of scope.
class TempFile {
 public:
  TempFile(const std::filesystem::path& dir, const std::string& stem);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sgaudit::service
