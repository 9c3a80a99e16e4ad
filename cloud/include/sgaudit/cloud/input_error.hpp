#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace sgaudit::cloud {

// What was wrong inside one document and where, before the document is named: a JSON pointer
// ("/security_group_rules/3/multiport") and what was expected. The readers throw it while walking a document
// (json_walk.hpp) and return it from a conversion; their boundary names the input and makes it an InputError.
struct FieldError {
  std::string pointer;
  std::string message;
};

// What was wrong with an input and where: the file (or upload name), a JSON pointer or "line N",
// and what was expected. Rendered "rules.json: /security_group_rules/3/multiport: \"80-70\": range start
// after end".
struct InputError {
  std::string source;
  std::string where;
  std::string message;

  std::string toString() const {
    std::string text = source;
    if (!where.empty()) text += (text.empty() ? "" : ": ") + where;
    return text + (text.empty() ? "" : ": ") + message;
  }
};

// A parser's answer: the value, or the error (mamba-style errors as values at the layer boundary).
template <typename T>
class Parsed {
 public:
  Parsed(T value) : state_(std::move(value)) {}           // NOLINT: implicit by design
  Parsed(InputError error) : state_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const InputError& error() const { return std::get<InputError>(state_); }

 private:
  std::variant<T, InputError> state_;
};

}  // namespace sgaudit::cloud
