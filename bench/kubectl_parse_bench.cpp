// Streaming kubectl JSON reader against a bare nlohmann SAX pass over the same file.
//
//   bench_kubectl_parse [benchmark flags]      generate (once) $TMPDIR/sgaudit-kubectl-pods-<N>.json, N from
//                                               $SGAUDIT_BENCH_PODS (default 150000), time both passes, print
//                                               MB/s and the ratio
//   bench_kubectl_parse --generate FILE [N [pretty]]
//                                               write the file only (pretty: kubectl's indentation)
//   $SGAUDIT_BENCH_PRETTY=1                     benchmark the indented layout instead of compact JSON
//   bench_kubectl_parse --rss stream|sink|bare|dom FILE
//                                               one pass in a fresh process; print the peak RSS against the
//                                               file size (stream = readKubectlJsonFile, keeping the model;
//                                               sink = streamKubectlJson, dropping each object; dom =
//                                               nlohmann::json::parse of the whole body)

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "generate_kubectl_pods.hpp"
#include "sgaudit/cloud/kubernetes/kubectl_json.hpp"

namespace {

using nlohmann::json;

// Accepts every event: what nlohmann's lexer and parser cost on their own.
struct NoopHandler {
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(std::string&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

// The same block-buffered input iterator the reader uses, so both passes pay the same I/O.
class BufferedInput {
 public:
  explicit BufferedInput(std::istream& in) : in_(in), buffer_(1 << 16) {}
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;
    Iterator() = default;
    explicit Iterator(BufferedInput* input) : input_(input) {
      if (input_->next_ == input_->end_ && !input_->refill()) input_ = nullptr;
    }
    reference operator*() const { return *input_->next_; }
    Iterator& operator++() {
      if (++input_->next_ == input_->end_ && !input_->refill()) input_ = nullptr;
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const Iterator& other) const { return input_ == other.input_; }

   private:
    BufferedInput* input_ = nullptr;
  };
  Iterator begin() { return Iterator(this); }
  Iterator end() { return Iterator(); }

 private:
  bool refill() {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    const auto count = static_cast<std::size_t>(in_.gcount());
    next_ = buffer_.data();
    end_ = next_ + count;
    return count > 0;
  }
  std::istream& in_;
  std::vector<char> buffer_;
  const char* next_ = nullptr;
  const char* end_ = nullptr;
};

bool barePass(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  BufferedInput input(in);
  NoopHandler handler;
  return json::sax_parse(input.begin(), input.end(), &handler);
}

std::size_t streamingPass(const std::filesystem::path& file) {
  auto parsed = sgaudit::cloud::kubernetes::readKubectlJsonFile(file);
  if (!parsed.ok()) {
    std::cerr << parsed.error().toString() << "\n";
    std::exit(1);
  }
  return parsed.value().pods.size();
}

std::filesystem::path benchFile() {
  static const std::filesystem::path file = [] {
    const char* env = std::getenv("SGAUDIT_BENCH_PODS");
    const std::size_t count = env != nullptr ? std::stoul(env) : 150000;
    const bool pretty = std::getenv("SGAUDIT_BENCH_PRETTY") != nullptr;
    const auto path = std::filesystem::temp_directory_path() /
                      ("sgaudit-kubectl-pods-" + std::to_string(count) + (pretty ? "-pretty" : "") + ".json");
    if (!std::filesystem::exists(path)) {
      std::cerr << "generating " << path << " (" << count << " pods)...\n";
      sgaudit::bench::writeKubectlPodsFile(path.string() + ".tmp", count, pretty);
      std::filesystem::rename(path.string() + ".tmp", path);
    }
    return path;
  }();
  return file;
}

void BM_BareSax(benchmark::State& state) {
  const auto file = benchFile();
  for (auto _ : state) {
    if (!barePass(file)) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(std::filesystem::file_size(file)));
}
BENCHMARK(BM_BareSax)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_StreamingReader(benchmark::State& state) {
  const auto file = benchFile();
  std::size_t pods = 0;
  for (auto _ : state) {
    pods = streamingPass(file);
    benchmark::DoNotOptimize(pods);
  }
  state.counters["pods"] = static_cast<double>(pods);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(std::filesystem::file_size(file)));
}
BENCHMARK(BM_StreamingReader)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Prints the throughput ratio after the usual console table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      auto it = run.counters.find("bytes_per_second");
      if (it != run.counters.end()) rates_[run.run_name.function_name] = it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const double bare = rates_["BM_BareSax"];
    const double streaming = rates_["BM_StreamingReader"];
    if (bare > 0 && streaming > 0) {
      std::printf("file: %.1f MB; bare SAX %.1f MB/s, streaming reader %.1f MB/s, ratio %.2f\n",
                  static_cast<double>(std::filesystem::file_size(benchFile())) / 1e6, bare / 1e6,
                  streaming / 1e6, streaming / bare);
    }
  }

 private:
  std::map<std::string, double> rates_;
};

long peakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int rssMode(std::string_view mode, const std::filesystem::path& file) {
  const long before = peakRssKiB();
  std::size_t items = 0;
  if (mode == "stream") {
    items = streamingPass(file);
  } else if (mode == "sink") {
    std::ifstream in(file, std::ios::binary);
    const auto error = sgaudit::cloud::kubernetes::streamKubectlJson(
        in, file.string(),
        [&](sgaudit::cloud::kubernetes::KubernetesObjects&& objects) { items += objects.pods.size(); });
    if (error) {
      std::cerr << error->toString() << "\n";
      return 1;
    }
  } else if (mode == "bare") {
    if (!barePass(file)) return 1;
  } else if (mode == "dom") {
    std::ifstream in(file, std::ios::binary);
    const json document = json::parse(in);
    items = document["items"].size();
  } else {
    std::cerr << "--rss takes stream, sink, bare or dom\n";
    return 2;
  }
  const double file_mb = static_cast<double>(std::filesystem::file_size(file)) / (1024.0 * 1024.0);
  const double peak_mb = static_cast<double>(peakRssKiB()) / 1024.0;
  std::printf(
      "%s: file %.1f MiB, %zu items, peak RSS %.1f MiB (%.1f MiB before parsing), %.1f%% of the file\n",
      std::string(mode).c_str(), file_mb, items, peak_mb, static_cast<double>(before) / 1024.0,
      100.0 * peak_mb / file_mb);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == "--generate") {
    const std::size_t count = argc >= 4 ? std::stoul(argv[3]) : 150000;
    const bool pretty = argc >= 5 && std::string_view(argv[4]) == "pretty";
    const auto size = sgaudit::bench::writeKubectlPodsFile(argv[2], count, pretty);
    std::printf("%s: %zu pods, %zu bytes (%.0f bytes per pod)\n", argv[2], count, size,
                static_cast<double>(size) / static_cast<double>(count));
    return 0;
  }
  if (argc >= 4 && std::string_view(argv[1]) == "--rss") return rssMode(argv[2], argv[3]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
