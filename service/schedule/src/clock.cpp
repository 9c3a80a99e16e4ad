#include "sgaudit/schedule/clock.hpp"

#include <algorithm>

namespace sgaudit::schedule {

TimePoint SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void SystemClock::waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            TimePoint deadline) {
  cv.wait_until(lock, std::chrono::system_clock::time_point(deadline));
}

TimePoint ManualClock::now() const {
  std::lock_guard guard(mutex_);
  return now_;
}

void ManualClock::waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            TimePoint deadline) {
  {
    std::lock_guard guard(mutex_);
    if (now_ >= deadline) return;
    waiters_.push_back({&cv, lock.mutex()});
  }
  // The caller's mutex is held from the check above until wait() releases it, and set() takes that mutex
  // before notifying, so a change of time between the check and the wait cannot be missed.
  cv.wait(lock);
  std::lock_guard guard(mutex_);
  auto it = std::find_if(waiters_.begin(), waiters_.end(), [&](const Waiter& w) { return w.cv == &cv; });
  if (it != waiters_.end()) waiters_.erase(it);
}

void ManualClock::set(TimePoint time) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard guard(mutex_);
    now_ = time;
    waiters = waiters_;
  }
  for (const Waiter& w : waiters) {
    std::lock_guard guard(*w.mutex);
    w.cv->notify_all();
  }
}

void ManualClock::advance(std::chrono::seconds by) {
  set(now() + by);
}

}  // namespace sgaudit::schedule
