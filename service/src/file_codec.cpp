#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/core/hex.hpp"

#include <cstdlib>
#include <stdexcept>

#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <atomic>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace sgaudit::service {
namespace {

constexpr std::size_t kChunk = 1 << 16;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("cannot start SHA-256");
    }
  }
  void update(const void* data, std::size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned length = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length);
    return core::hexLower(digest.data(), length);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace

std::optional<CodecError> gunzipFile(const std::filesystem::path& in, const std::filesystem::path& out,
                                     std::uint64_t limit, DecodedFile& decoded) {
  std::ifstream source(in, std::ios::binary);
  std::ofstream sink(out, std::ios::binary | std::ios::trunc);
  if (!source || !sink) throw std::runtime_error("cannot open spool files for gzip decoding");
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("cannot start zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, &inflateEnd);
  Sha256 hash;
  std::vector<char> input(kChunk);
  std::vector<unsigned char> output(kChunk);
  bool member_done = false;
  bool any_input = false;
  bool output_full = false;  // zlib may hold more output though all input is consumed
  decoded = {};
  while (true) {
    if (stream.avail_in == 0 && (!output_full || member_done)) {
      source.read(input.data(), static_cast<std::streamsize>(input.size()));
      const auto got = static_cast<uInt>(source.gcount());
      if (got == 0) break;
      any_input = true;
      stream.next_in = reinterpret_cast<Bytef*>(input.data());
      stream.avail_in = got;
    }
    if (member_done) {
      // Another gzip member follows (concatenated gzip, as `cat a.gz b.gz` makes).
      inflateReset(&stream);
      member_done = false;
    }
    stream.next_out = output.data();
    stream.avail_out = static_cast<uInt>(output.size());
    const int rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return CodecError{std::string("the body is not valid gzip: ") +
                        (stream.msg != nullptr ? stream.msg : "corrupt data")};
    }
    const std::size_t produced = output.size() - stream.avail_out;
    output_full = stream.avail_out == 0;
    if (rc == Z_BUF_ERROR && produced == 0 && stream.avail_in > 0) {
      return CodecError{"the body is not valid gzip: corrupt data"};
    }
    decoded.size += produced;
    if (decoded.size > limit) {
      return CodecError{"the body decodes to more than " + std::to_string(limit) +
                            " bytes (--upload-decoded-limit); decoding stopped there",
                        true};
    }
    hash.update(output.data(), produced);
    sink.write(reinterpret_cast<const char*>(output.data()), static_cast<std::streamsize>(produced));
    if (rc == Z_STREAM_END) member_done = true;
  }
  if (!any_input) return CodecError{"the body is empty"};
  if (!member_done) return CodecError{"the body is not valid gzip: it ends inside a gzip member"};
  if (!sink.flush()) throw std::runtime_error("cannot write the decoded body");
  decoded.sha256 = hash.hex();
  return std::nullopt;
}

void gzipFile(const std::filesystem::path& in, const std::filesystem::path& out) {
  std::ifstream source(in, std::ios::binary);
  gzFile sink = gzopen(out.c_str(), "wb1");
  if (!source || sink == nullptr) {
    if (sink != nullptr) gzclose(sink);
    throw std::runtime_error("cannot open files to compress " + in.string());
  }
  std::vector<char> buffer(kChunk);
  while (source) {
    source.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<unsigned>(source.gcount());
    if (got == 0) break;
    if (gzwrite(sink, buffer.data(), got) != static_cast<int>(got)) {
      gzclose(sink);
      throw std::runtime_error("cannot compress " + in.string());
    }
  }
  if (gzclose(sink) != Z_OK) throw std::runtime_error("cannot finish compressing " + in.string());
}

DecodedFile hashFile(const std::filesystem::path& file) {
  std::ifstream source(file, std::ios::binary);
  if (!source) throw std::runtime_error("cannot read " + file.string());
  Sha256 hash;
  DecodedFile result;
  std::vector<char> buffer(kChunk);
  while (source) {
    source.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(source.gcount());
    if (got == 0) break;
    hash.update(buffer.data(), got);
    result.size += got;
  }
  result.sha256 = hash.hex();
  return result;
}

TempFile::TempFile(const std::filesystem::path& dir, const std::string& stem) {
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::create_directories(dir);
  path_ = dir / ("sgaudit-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
}

TempFile::~TempFile() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

TempFolder::TempFolder(const std::filesystem::path& spool) {
  std::filesystem::create_directories(spool);
  std::string pattern = (spool / "collect-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot create a folder in " + spool.string());
  path_ = pattern;
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace sgaudit::service
