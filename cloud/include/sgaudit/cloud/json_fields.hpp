#pragma once

// Typed reads from a provider's JSON that say exactly where and what was wrong. Readers throw
// FieldError inside a parser; the parser's entry point turns it into an InputError value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"

namespace sgaudit::cloud {

struct FieldError {
  std::string pointer;
  std::string message;
};

// A JSON value and the pointer it was reached by ("/security_group_rules/3/multiport").
class JsonField {
 public:
  JsonField(const nlohmann::json* value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  const std::string& pointer() const { return pointer_; }
  // Absent keys and JSON null both read as "missing": providers print either for an unset field.
  bool missing() const { return value_ == nullptr || value_->is_null(); }
  const nlohmann::json& json() const { return *value_; }

  [[noreturn]] void fail(const std::string& message) const { throw FieldError{pointer_, message}; }

  JsonField operator[](std::string_view key) const {
    const std::string child = pointer_ + "/" + escape(key);
    if (missing()) return {nullptr, child};
    if (!value_->is_object()) fail("expected an object");
    const auto it = value_->find(key);
    return {it == value_->end() ? nullptr : &*it, child};
  }

  JsonField at(std::size_t index) const {
    return {&(*value_)[index], pointer_ + "/" + std::to_string(index)};
  }

  std::size_t arraySize() const {
    if (missing()) return 0;
    if (!value_->is_array()) fail("expected an array");
    return value_->size();
  }

  void requireObject() const {
    if (missing() || !value_->is_object()) fail("expected an object");
  }

  std::string string(std::string_view fallback = {}) const {
    if (missing()) return std::string(fallback);
    if (!value_->is_string()) fail("expected a string, got " + describe());
    return value_->get<std::string>();
  }

  std::string requiredString() const {
    if (missing()) fail("expected a string, but it is missing");
    return string();
  }

  std::optional<long long> integer() const {
    if (missing()) return std::nullopt;
    if (!value_->is_number_integer()) fail("expected an integer, got " + describe());
    return value_->get<long long>();
  }

  // A string or a bare number, as some providers print either ("multiport": "80" or 80).
  std::optional<std::string> stringOrNumber() const {
    if (missing()) return std::nullopt;
    if (value_->is_string()) return value_->get<std::string>();
    if (value_->is_number_integer()) return std::to_string(value_->get<long long>());
    fail("expected a string or an integer, got " + describe());
  }

  std::string describe() const {
    if (missing()) return "nothing";
    std::string text = value_->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
  }

 private:
  static std::string escape(std::string_view key) {
    std::string out;
    for (char c : key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }

  const nlohmann::json* value_;
  std::string pointer_;
};

}  // namespace sgaudit::cloud
