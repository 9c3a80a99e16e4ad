#pragma once

// Walking a provider's JSON with a JSON pointer at hand for every complaint. A wrong type or value throws
// `Failure`, which the provider's `parse` catches at its boundary and returns as an InputError: the parsers
// then read like the documents they walk instead of threading an error through every field.
//
// The one walker of every provider's reader (and the Kubernetes objects' conversion): a complaint is a
// `Failure` (pointer + message) here, an InputError (source + pointer + message) at the reader's boundary.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"

namespace sgaudit::cloud::json_walk {

using Failure = FieldError;

[[noreturn]] inline void fail(std::string pointer, std::string message) {
  throw Failure{std::move(pointer), std::move(message)};
}

// A value as a message shows it: strings quoted and cut at 40 characters, containers by kind.
inline std::string describe(const nlohmann::json& value) {
  using nlohmann::json;
  switch (value.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::null:
      return "null";
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      // Replace invalid UTF-8 rather than throw from dump().
      if (text.size() > 40)
        return json(text.substr(0, 40)).dump(-1, ' ', false, json::error_handler_t::replace) + "...";
      return value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    default:
      return value.dump();
  }
}

inline std::string pointerToken(std::string_view key) {
  std::string result;
  for (char c : key) {
    if (c == '~') {
      result += "~0";
    } else if (c == '/') {
      result += "~1";
    } else {
      result += c;
    }
  }
  return result;
}

inline constexpr std::size_t kMaxStringBytes = 64 * 1024;

// A value (or its absence) and where it sits. Absent and null members read as absent: the CLIs print null
// for unset fields and omit them alike.
class Cursor {
 public:
  Cursor(const nlohmann::json* value, std::string pointer) : value_(value), pointer_(std::move(pointer)) {}

  const std::string& pointer() const { return pointer_; }
  bool present() const { return value_ != nullptr && !value_->is_null(); }
  bool missing() const { return !present(); }
  const nlohmann::json& json() const { return *value_; }

  // The value as a message shows it, or "nothing".
  std::string describe() const { return present() ? json_walk::describe(*value_) : "nothing"; }

  [[noreturn]] void fail(std::string message) const { json_walk::fail(pointer_, std::move(message)); }
  [[noreturn]] void expected(std::string_view what) const {
    fail("expected " + std::string(what) + ", got " + describe());
  }

  // A member; absent when this is absent. A member of something present that is no object is a Failure:
  // {"security_group": "x"} does not silently read as a group with no fields.
  Cursor operator[](std::string_view key) const {
    std::string pointer = pointer_ + "/" + pointerToken(key);
    if (!present()) return {nullptr, std::move(pointer)};
    if (!value_->is_object()) expected("an object");
    auto it = value_->find(key);
    return {it == value_->end() ? nullptr : &*it, std::move(pointer)};
  }

  Cursor operator[](std::size_t index) const {
    return {&(*value_)[index], pointer_ + "/" + std::to_string(index)};
  }

  // Checks the kind of a present value; `required` also refuses absence.
  const Cursor& object(bool required = false) const {
    if ((required || present()) && !(present() && value_->is_object())) expected("an object");
    return *this;
  }
  // Elements of an array (0 when absent).
  std::size_t array(bool required = false) const {
    if (!present()) {
      if (required) expected("an array");
      return 0;
    }
    if (!value_->is_array()) expected("an array");
    return value_->size();
  }

  std::optional<std::string> optionalString() const {
    if (!present()) return std::nullopt;
    if (!value_->is_string()) expected("a string");
    const auto& text = value_->get_ref<const std::string&>();
    if (text.size() > kMaxStringBytes) {
      fail("string of " + std::to_string(text.size()) + " bytes is longer than the limit of " +
           std::to_string(kMaxStringBytes));
    }
    return text;
  }
  std::string string(std::string_view fallback = {}) const {
    return optionalString().value_or(std::string(fallback));
  }
  std::string requiredString() const {
    auto text = optionalString();
    if (!text || text->empty()) expected("a non-empty string");
    return std::move(*text);
  }

  // A string or a bare integer, as some providers print either ("multiport": "80" or 80).
  std::optional<std::string> stringOrNumber() const {
    if (!present()) return std::nullopt;
    if (value_->is_number_integer()) return value_->dump();
    if (!value_->is_string()) expected("a string or an integer");
    return optionalString();
  }

  std::optional<bool> optionalBoolean() const {
    if (!present()) return std::nullopt;
    if (!value_->is_boolean()) expected("true or false");
    return value_->get<bool>();
  }

  // An integer within [min, max]; `what` names the expectation ("an integer -1..65535").
  std::optional<std::int64_t> optionalInteger(std::int64_t min, std::int64_t max,
                                              std::string_view what) const {
    if (!present()) return std::nullopt;
    std::optional<std::int64_t> number;
    if (value_->is_number_unsigned()) {
      const auto unsigned_number = value_->get<std::uint64_t>();
      if (unsigned_number <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        number = static_cast<std::int64_t>(unsigned_number);
      }
    } else if (value_->is_number_integer()) {
      number = value_->get<std::int64_t>();
    }
    if (!number || *number < min || *number > max) expected(what);
    return number;
  }
  std::optional<std::int64_t> integer() const {
    return optionalInteger(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                           "an integer");
  }

 private:
  const nlohmann::json* value_;
  std::string pointer_;
};

}  // namespace sgaudit::cloud::json_walk
