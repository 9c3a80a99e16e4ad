#pragma once

// Quoting for the fixes the provider renderers write: shell words and HCL string literals.

#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud {

// A word the shell takes literally, or the text in single quotes with each ' written as '\''.
inline std::string shellQuote(std::string_view text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_-.,:/@%+=") == std::string_view::npos;
  if (plain) return std::string(text);
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// An HCL quoted string: escapes, and `${` / `%{` doubled so Terraform does not template them.
inline std::string hclString(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '$':
      case '%':
        out += c;
        if (i + 1 < text.size() && text[i + 1] == '{') out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// "2 sources", "the members of sg-1 (nodes)", "1 source and the members of sg-1": what an allow plan opens
// to, in a fix's title.
inline std::string sourcesText(const std::vector<core::Cidr>& sources,
                               const std::vector<core::AllowIngressPlan::GroupSource>& groups) {
  std::string text;
  if (!sources.empty())
    text = std::to_string(sources.size()) + (sources.size() == 1 ? " source" : " sources");
  for (std::size_t i = 0; i < groups.size(); ++i) {
    text += text.empty() ? "the members of " : (i == 0 ? " and the members of " : ", ");
    text += groups[i].name.empty() ? groups[i].id : groups[i].id + " (" + groups[i].name + ")";
  }
  return text;
}

}  // namespace sgaudit::cloud
