#pragma once

// Work side by side on the machine's cores, for the audit and for whoever writes its findings.

#include <cstddef>
#include <functional>

namespace sgaudit::core {

// Calls work(i) for every i below count, side by side on up to `threads` threads (0: one per core, at most
// 8), each taking the next i; at least 8 calls a thread. Returns when every call has returned.
void forEach(unsigned threads, std::size_t count, const std::function<void(std::size_t)>& work);

}  // namespace sgaudit::core
