// The registry of the calling thread's scratch pools (scratch.hpp), for retainedScratchBytes.

#include "scratch.hpp"

#include <algorithm>

#include "sgaudit/core/firewall.hpp"

namespace sgaudit::core {
namespace {

// Constructed before the first pool of the thread registers, so destroyed after the last one leaves.
std::vector<const detail::ScratchPoolBase*>& threadPools() {
  thread_local std::vector<const detail::ScratchPoolBase*> pools;
  return pools;
}

}  // namespace

namespace detail {

ScratchPoolBase::ScratchPoolBase() {
  threadPools().push_back(this);
}

ScratchPoolBase::~ScratchPoolBase() {
  auto& pools = threadPools();
  pools.erase(std::remove(pools.begin(), pools.end(), this), pools.end());
}

}  // namespace detail

std::size_t retainedScratchBytes() {
  std::size_t bytes = 0;
  for (const detail::ScratchPoolBase* pool : threadPools())
    bytes += pool->retainedBytes();
  return bytes;
}

}  // namespace sgaudit::core
