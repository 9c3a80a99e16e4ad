#pragma once

// How the cloud collectors wait before they try a request again (throttling, a 5xx, a lost connection):
// exponential backoff with full jitter, as the AWS SDKs do, a wait drawn from [0, min(max, base * 2^(n-1))]
// before the (n+1)th attempt. The collectors bound the attempts; this counts the retries.

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "sgaudit/collect/http_client.hpp"

namespace sgaudit::collect {

class Backoff {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  // `sleep` empty: the thread sleeps (tests pass one that records the waits).
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, Sleep sleep)
      : base_(base), max_(max), sleep_(std::move(sleep)), random_(std::random_device{}()) {}

  // Waits after the failed attempt `attempt` (1 for the first).
  void wait(int attempt) {
    const auto ceiling = std::min<long long>(max_.count(), base_.count() << std::min(attempt - 1, 20));
    std::uniform_int_distribution<long long> draw(0, std::max<long long>(ceiling, 0));
    const std::chrono::milliseconds wait{draw(random_)};
    ++retries_;
    if (sleep_) {
      sleep_(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
  }

  int retries() const { return retries_; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  Sleep sleep_;
  std::mt19937_64 random_;
  int retries_ = 0;
};

// A transport failure worth another attempt: the connection was refused, lost or timed out (not a TLS or
// settings error, which would fail again).
inline bool retryableTransport(const TransportError& error) {
  return error.kind == TransportError::Kind::Connect || error.kind == TransportError::Kind::Timeout ||
         error.kind == TransportError::Kind::Protocol;
}

}  // namespace sgaudit::collect
