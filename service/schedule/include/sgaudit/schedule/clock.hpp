#pragma once

// The scheduler's notion of time (Envoy's TimeSource): the real clock in the service, a manual one in
// tests, which advance it by hand and never sleep.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "sgaudit/schedule/time_zone.hpp"

namespace sgaudit::schedule {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Blocks on `cv` (with `lock` held on entry and exit) until now() >= deadline or `cv` is notified.
  // May return early; callers re-check their condition.
  virtual void waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         TimePoint deadline) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  void waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override;
};

// Time that moves only when told. Waiters wake when the time reaches their deadline. Threads that wait
// on it must have stopped waiting before their condition variable and mutex are destroyed.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start) {}
  TimePoint now() const override;
  void waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 TimePoint deadline) override;
  void set(TimePoint time);
  void advance(std::chrono::seconds by);

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mutex;
  };
  mutable std::mutex mutex_;
  TimePoint now_;
  std::vector<Waiter> waiters_;
};

}  // namespace sgaudit::schedule
