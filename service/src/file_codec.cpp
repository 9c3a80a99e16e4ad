#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/core/hex.hpp"

#include <cstdlib>
#include <stdexcept>

#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
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

struct DecodingReader::State {
  std::ifstream source;
  bool gzip = false;
  std::uint64_t limit = 0;
  z_stream stream{};
  bool zlib_started = false;
  std::vector<char> input = std::vector<char>(kChunk * 4);
  bool member_done = false;
  bool any_input = false;
  bool output_full = false;  // zlib may hold more output though all input is consumed
  bool done = false;
  Sha256 hash;
  DecodedFile decoded;
  std::optional<CodecError> error;

  ~State() {
    if (zlib_started) inflateEnd(&stream);
  }
  std::size_t fail(CodecError failure) {
    error = std::move(failure);
    return 0;
  }
  std::size_t refill() {
    source.read(input.data(), static_cast<std::streamsize>(input.size()));
    if (source.bad()) throw std::runtime_error("cannot read a spooled body");
    return static_cast<std::size_t>(source.gcount());
  }
  // Inflates into data[0, size) until something comes out or the input ends.
  std::size_t inflateSome(char* data, std::size_t size) {
    while (true) {
      if (stream.avail_in == 0 && (!output_full || member_done)) {
        const auto got = static_cast<uInt>(refill());
        if (got == 0) {
          if (!any_input) return fail({"the body is empty"});
          if (!member_done) return fail({"the body is not valid gzip: it ends inside a gzip member"});
          done = true;
          return 0;
        }
        any_input = true;
        stream.next_in = reinterpret_cast<Bytef*>(input.data());
        stream.avail_in = got;
      }
      if (member_done) {
        // Another gzip member follows (concatenated gzip, as `cat a.gz b.gz` makes).
        inflateReset(&stream);
        member_done = false;
      }
      stream.next_out = reinterpret_cast<Bytef*>(data);
      stream.avail_out = static_cast<uInt>(size);
      const int rc = inflate(&stream, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return fail({std::string("the body is not valid gzip: ") +
                     (stream.msg != nullptr ? stream.msg : "corrupt data")});
      }
      const std::size_t produced = size - stream.avail_out;
      output_full = stream.avail_out == 0;
      if (rc == Z_BUF_ERROR && produced == 0 && stream.avail_in > 0)
        return fail({"the body is not valid gzip: corrupt data"});
      if (rc == Z_STREAM_END) member_done = true;
      if (produced > 0) return produced;
    }
  }
};

DecodingReader::DecodingReader(const std::filesystem::path& file, bool gzip, std::uint64_t limit)
    : state_(std::make_unique<State>()) {
  state_->source.open(file, std::ios::binary);
  if (!state_->source) throw std::runtime_error("cannot open the spooled body " + file.string());
  state_->gzip = gzip;
  state_->limit = limit;
  if (gzip) {
    if (inflateInit2(&state_->stream, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("cannot start zlib");
    state_->zlib_started = true;
  }
}

DecodingReader::~DecodingReader() = default;

std::size_t DecodingReader::read(char* data, std::size_t size) {
  State& s = *state_;
  if (s.error || s.done || size == 0) return 0;
  // zlib counts in 32 bits.
  size = std::min<std::size_t>(size, std::size_t{1} << 30);
  std::size_t got = 0;
  if (s.gzip) {
    got = s.inflateSome(data, size);
  } else {
    s.source.read(data, static_cast<std::streamsize>(size));
    if (s.source.bad()) throw std::runtime_error("cannot read a spooled body");
    got = static_cast<std::size_t>(s.source.gcount());
    if (got == 0) s.done = true;
  }
  if (got == 0) {
    if (s.done) s.decoded.sha256 = s.hash.hex();
    return 0;
  }
  s.decoded.size += got;
  if (s.decoded.size > s.limit) {
    return s.fail({"the body decodes to more than " + std::to_string(s.limit) +
                       " bytes (--upload-decoded-limit); decoding stopped there",
                   true});
  }
  s.hash.update(data, got);
  return got;
}

std::string DecodingReader::readUpTo(std::size_t size) {
  std::string out(size, '\0');
  std::size_t filled = 0;
  while (filled < size) {
    const std::size_t got = read(out.data() + filled, size - filled);
    if (got == 0) break;
    filled += got;
  }
  out.resize(filled);
  return out;
}

bool DecodingReader::writeRest(std::string_view head, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  std::vector<char> block(std::size_t{1} << 20);
  while (const std::size_t got = read(block.data(), block.size()))
    out.write(block.data(), static_cast<std::streamsize>(got));
  if (error()) return false;
  if (!out.flush())
    throw std::runtime_error("cannot write to the spool folder " + file.parent_path().string());
  return true;
}

const std::optional<CodecError>& DecodingReader::error() const {
  return state_->error;
}

DecodedFile DecodingReader::decoded() const {
  return state_->decoded;
}

// Blocks go from the decoding thread to the reading one through a short queue; spent blocks come back to be
// filled again, so the memory in flight is a few blocks whatever the body's size.
struct DecodedStream::Pipe : std::streambuf {
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  static constexpr std::size_t kAhead = 4;

  DecodingReader& reader;
  std::string head;
  std::optional<std::filesystem::path> pack;
  std::istream in{this};
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::vector<char>> full;    // decoded, not yet read
  std::vector<std::vector<char>> spare;  // read, to be filled again
  std::vector<char> current;             // being read
  bool head_served = false;
  bool decoder_done = false;
  bool stopping = false;
  std::exception_ptr failure;
  std::thread decoder;

  Pipe(DecodingReader& r, std::string h, std::optional<std::filesystem::path> p)
      : reader(r), head(std::move(h)), pack(std::move(p)) {
    decoder = std::thread([this] { decode(); });
  }

  ~Pipe() override { stop(); }

  void stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    if (decoder.joinable()) decoder.join();
  }

  void decode() {
    gzFile packed = nullptr;
    try {
      if (pack) {
        packed = gzopen(pack->c_str(), "wb1");
        if (packed == nullptr) throw std::runtime_error("cannot create " + pack->string());
        gzbuffer(packed, 1 << 18);
        write(packed, head.data(), head.size());
      }
      while (true) {
        std::vector<char> block;
        {
          std::unique_lock lock(mutex);
          changed.wait(lock, [&] { return stopping || full.size() < kAhead; });
          if (stopping) break;
          if (!spare.empty()) {
            block = std::move(spare.back());
            spare.pop_back();
          }
        }
        block.resize(kBlock);
        std::size_t filled = 0;
        while (filled < block.size()) {
          const std::size_t got = reader.read(block.data() + filled, block.size() - filled);
          if (got == 0) break;
          filled += got;
        }
        block.resize(filled);
        if (filled == 0) break;
        if (packed != nullptr) write(packed, block.data(), block.size());
        {
          std::lock_guard lock(mutex);
          full.push_back(std::move(block));
        }
        changed.notify_all();
      }
      if (packed != nullptr) {
        const int rc = gzclose(packed);
        packed = nullptr;
        if (rc != Z_OK) throw std::runtime_error("cannot finish " + pack->string());
      }
    } catch (...) {
      if (packed != nullptr) gzclose(packed);
      std::lock_guard lock(mutex);
      failure = std::current_exception();
    }
    {
      std::lock_guard lock(mutex);
      decoder_done = true;
    }
    changed.notify_all();
  }

  static void write(gzFile packed, const char* data, std::size_t size) {
    if (size > 0 && gzwrite(packed, data, static_cast<unsigned>(size)) != static_cast<int>(size))
      throw std::runtime_error("cannot compress a spooled body");
  }

  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (!head_served) {
      head_served = true;
      if (!head.empty()) {
        setg(head.data(), head.data(), head.data() + head.size());
        return traits_type::to_int_type(*gptr());
      }
    }
    std::unique_lock lock(mutex);
    if (!current.empty() || current.capacity() > 0) spare.push_back(std::move(current));
    current = {};
    changed.notify_all();
    changed.wait(lock, [&] { return !full.empty() || decoder_done; });
    if (full.empty()) {
      setg(nullptr, nullptr, nullptr);
      return traits_type::eof();
    }
    current = std::move(full.front());
    full.pop_front();
    lock.unlock();
    changed.notify_all();
    setg(current.data(), current.data(), current.data() + current.size());
    return traits_type::to_int_type(*gptr());
  }
};

DecodedStream::DecodedStream(DecodingReader& reader, std::string head,
                             std::optional<std::filesystem::path> pack)
    : pipe_(std::make_unique<Pipe>(reader, std::move(head), std::move(pack))) {}

DecodedStream::~DecodedStream() = default;

std::istream& DecodedStream::stream() {
  return pipe_->in;
}

std::optional<CodecError> DecodedStream::finish() {
  std::array<char, 1 << 16> rest{};
  pipe_->in.clear();
  while (pipe_->in.read(rest.data(), rest.size()) || pipe_->in.gcount() > 0) {
  }
  pipe_->stop();
  if (pipe_->failure) std::rethrow_exception(pipe_->failure);
  return pipe_->reader.error();
}

void DecodedStream::stop() {
  pipe_->stop();
  if (pipe_->failure) std::rethrow_exception(pipe_->failure);
}

std::optional<CodecError> gunzipFile(const std::filesystem::path& in, const std::filesystem::path& out,
                                     std::uint64_t limit, DecodedFile& decoded) {
  DecodingReader reader(in, true, limit);
  std::ofstream sink(out, std::ios::binary | std::ios::trunc);
  if (!sink) throw std::runtime_error("cannot open spool files for gzip decoding");
  std::vector<char> output(kChunk * 4);
  while (const std::size_t got = reader.read(output.data(), output.size()))
    sink.write(output.data(), static_cast<std::streamsize>(got));
  decoded = reader.decoded();
  if (reader.error()) return reader.error();
  if (!sink.flush()) throw std::runtime_error("cannot write the decoded body");
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
