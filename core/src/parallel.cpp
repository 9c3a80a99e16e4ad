#include "sgaudit/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace sgaudit::core {

void forEach(unsigned threads, std::size_t count, const std::function<void(std::size_t)>& work) {
  const std::size_t used = std::min<std::size_t>(
      {threads != 0 ? threads : std::max(1U, std::thread::hardware_concurrency()), 8, (count + 7) / 8});
  std::atomic<std::size_t> next{0};
  auto run = [&] {
    for (std::size_t i = next++; i < count; i = next++)
      work(i);
  };
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < used; ++t)
    workers.emplace_back(run);
  run();
  for (auto& worker : workers)
    worker.join();
}

}  // namespace sgaudit::core
