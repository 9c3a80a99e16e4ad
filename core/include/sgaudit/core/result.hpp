#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sgaudit::core {

// What was wrong with an input, in words a user can act on ("10.0.0.256/8: octet 4 out of range").
struct Error {
  std::string message;
};

// A value or the reason there is none: how the core reports bad input at its boundary (std::expected is
// C++23).
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace sgaudit::core
