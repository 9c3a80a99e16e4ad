// The report renderers on a large synthetic audit (test/report/synthetic_audit.hpp): 5,000 nodes and 50,000
// findings, the target (HTML in under 2 s).
//   bench_report [benchmark flags]                   the benchmarks
//   bench_report --write-html=FILE [NODES FINDINGS]  writes the HTML report of that size (default 5000
//                                                    50000) for bench/report_browser/ and exits
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "report/synthetic_audit.hpp"
#include "sgaudit/report/render.hpp"

namespace {

using json = nlohmann::json;

constexpr int kNodes = 5000;
constexpr int kFindings = 50000;

const json& audit() {
  static const json document = sgaudit::report::synthetic::audit(kNodes, kFindings);
  return document;
}

const sgaudit::report::ReportView& view() {
  static const sgaudit::report::ReportView built = [] {
    auto result =
        sgaudit::report::reportViewFromJson(audit(), {"bench-fleet", "2026-11-25T10:00:00Z", nullptr, {}});
    if (!result) throw std::runtime_error(result.error().message);
    return std::move(result).value();
  }();
  return built;
}

void BM_ReportViewFromJson(benchmark::State& state) {
  for (auto _ : state) {
    auto result =
        sgaudit::report::reportViewFromJson(audit(), {"bench-fleet", "2026-11-25T10:00:00Z", nullptr, {}});
    benchmark::DoNotOptimize(result);
  }
  state.counters["findings"] = kFindings;
}

template <std::string (*Render)(const sgaudit::report::ReportView&)>
void BM_Render(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string out = Render(view());
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.counters["nodes"] = kNodes;
  state.counters["findings"] = kFindings;
}

}  // namespace

BENCHMARK(BM_ReportViewFromJson)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderHtml>)
    ->Name("BM_RenderHtml")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);
BENCHMARK(BM_Render<sgaudit::report::renderSarif>)
    ->Name("BM_RenderSarif")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderCsv>)
    ->Name("BM_RenderCsv")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Render<sgaudit::report::renderJson>)
    ->Name("BM_RenderJson")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

int main(int argc, char** argv) {
  constexpr std::string_view kWrite = "--write-html=";
  if (argc >= 2 && std::string_view(argv[1]).starts_with(kWrite)) {
    const int nodes = argc >= 3 ? std::atoi(argv[2]) : kNodes;
    const int findings = argc >= 4 ? std::atoi(argv[3]) : kFindings;
    if (nodes <= 0 || findings < 0) {
      std::cerr << "usage: bench_report --write-html=FILE [NODES FINDINGS]\n";
      return 2;
    }
    auto view = sgaudit::report::reportViewFromJson(sgaudit::report::synthetic::audit(nodes, findings),
                                                    {"bench-fleet", "2026-11-25T10:00:00Z", nullptr, {}});
    if (!view) {
      std::cerr << view.error().message << "\n";
      return 1;
    }
    const std::string html = sgaudit::report::renderHtml(*view);
    std::ofstream(std::string(std::string_view(argv[1]).substr(kWrite.size())), std::ios::binary) << html;
    std::cout << nodes << " nodes, " << findings << " findings: " << html.size() << " bytes\n";
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
