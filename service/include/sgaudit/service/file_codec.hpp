#pragma once

// Files in and out of gzip, with their SHA-256, streamed in chunks (uploads may be hundreds of MB).

#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sgaudit::service {

struct DecodedFile {
  std::uint64_t size = 0;
  std::string sha256;  // hex, of the decoded bytes
};

struct CodecError {
  std::string message;
  bool too_large = false;
};

// The bytes of a file, gunzipped when `gzip` (concatenated members allowed), counted and hashed (SHA-256) as
// they are read; more than `limit` decoded bytes, or gzip that does not decode, end the read with an error.
class DecodingReader {
 public:
  DecodingReader(const std::filesystem::path& file, bool gzip, std::uint64_t limit);
  ~DecodingReader();
  DecodingReader(const DecodingReader&) = delete;
  DecodingReader& operator=(const DecodingReader&) = delete;
  // Up to `size` decoded bytes into `data`; 0 at the end, or after an error.
  std::size_t read(char* data, std::size_t size);
  // Reads up to `size` bytes into a string (fewer only at the end or on an error).
  std::string readUpTo(std::size_t size);
  const std::optional<CodecError>& error() const;
  // Writes `head` (bytes already taken from this reader) and everything left to `file`; false when reading
  // failed (see error()). A failure to write the file is thrown.
  bool writeRest(std::string_view head, const std::filesystem::path& file);
  // The size of what was read, and, once read returned 0 without an error, its SHA-256.
  DecodedFile decoded() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A reader's bytes as a std::istream, decoded on a second thread a few blocks ahead of the thread reading the
// stream, so that inflating and hashing overlap with parsing. `head` (bytes already taken from the reader) is
// read first. With `pack`, the bytes are also gzipped (a fast level) into that file as they pass.
class DecodedStream {
 public:
  DecodedStream(DecodingReader& reader, std::string head, std::optional<std::filesystem::path> pack = {});
  ~DecodedStream();  // stops the decoder
  DecodedStream(const DecodedStream&) = delete;
  DecodedStream& operator=(const DecodedStream&) = delete;
  std::istream& stream();
  // Reads what the stream's reader left, waits for the decoder and returns its error, if any (a failure to
  // read or write a file is thrown). Only then are the reader's decoded() and the packed file complete.
  std::optional<CodecError> finish();
  // Stops the decoder where it is; the reader's error() says whether it had failed before.
  void stop();

 private:
  struct Pipe;
  std::unique_ptr<Pipe> pipe_;
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
