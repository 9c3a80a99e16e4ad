#pragma once

// Scratch space kept per thread between calls, so that inner loops allocate little, and given back when a
// call leaves more than kScratchKeptBytes in it: one large question (a firewall of a million ranges) does not
// pin its memory for the life of the thread, and a server's workers live as long as the server.
//
//   thread_local ThreadScratch<Scratch> pool;  // T: default-constructible, with capacityBytes()
//   auto scratch = pool.lease();               // the thread's T until the lease ends; then trimmed
//
// A lease is not reentrant: a function that leases must not be called while its lease is held.

#include <cassert>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace sgaudit::core {

inline constexpr std::size_t kScratchKeptBytes = std::size_t{4} << 20;

// The heap bytes a vector holds, its elements' own included when they are vectors or have capacityBytes().
template <class T>
std::size_t capacityBytes(const std::vector<T>& values);

template <class T>
std::size_t elementBytes(const T& value) {
  if constexpr (requires { value.capacityBytes(); }) {
    return value.capacityBytes();
  } else if constexpr (requires { capacityBytes(value); }) {
    return capacityBytes(value);
  } else {
    return 0;
  }
}

template <class T>
std::size_t capacityBytes(const std::vector<T>& values) {
  std::size_t bytes = values.capacity() * sizeof(T);
  if constexpr (!std::is_trivially_copyable_v<T>) {
    for (const T& value : values)
      bytes += elementBytes(value);
  }
  return bytes;
}

namespace detail {
class ScratchPoolBase {
 public:
  virtual std::size_t retainedBytes() const = 0;

 protected:
  ScratchPoolBase();
  ~ScratchPoolBase();
  ScratchPoolBase(const ScratchPoolBase&) = delete;
  ScratchPoolBase& operator=(const ScratchPoolBase&) = delete;
};
}  // namespace detail

template <class T>
class ThreadScratch final : detail::ScratchPoolBase {
 public:
  class Lease {
   public:
    explicit Lease(ThreadScratch& pool) : pool_(pool) {
      assert(!pool_.leased_);
      pool_.leased_ = true;
    }
    ~Lease() {
      if (pool_.value_.capacityBytes() > kScratchKeptBytes) pool_.value_ = T{};
      pool_.leased_ = false;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    T& operator*() { return pool_.value_; }
    T* operator->() { return &pool_.value_; }

   private:
    ThreadScratch& pool_;
  };

  Lease lease() { return Lease(*this); }
  std::size_t retainedBytes() const override { return value_.capacityBytes(); }

 private:
  T value_{};
  bool leased_ = false;
};

}  // namespace sgaudit::core
