#pragma once

// What every provider's fix renderer writes alike: shell words, HCL string literals, `#` comments, Terraform
// labels, and the words for traffic, groups and counts in a fix's title.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/core/port.hpp"
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

// A `#` comment line (shell and HCL alike): no line break may end it early.
inline std::string comment(std::string_view text) {
  std::string out = "# ";
  for (char c : text)
    out += (c == '\n' || c == '\r') ? ' ' : c;
  return out + "\n";
}

// A piece of a Terraform resource label: letters and digits kept, everything else '_'.
inline std::string labelWord(std::string_view text) {
  std::string out;
  for (char c : text)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// A name Terraform accepts as a resource label: letters, digits and '_', not starting with a digit.
inline std::string terraformLabel(std::string_view text) {
  std::string out = labelWord(text);
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out = "r_" + out;
  return out;
}

// "TCP", "UDP", "ICMPv6", "47": a protocol as a title names it.
inline std::string protocolText(core::Protocol protocol) {
  if (protocol == core::Protocol::icmpv6()) return "ICMPv6";
  std::string name = protocol.name();
  for (auto& c : name)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// "all traffic", "all UDP", "TCP port 80, ports 8000-8080", "ICMP type 8".
inline std::string trafficText(core::Protocol protocol, const core::PortSet& ports) {
  if (protocol.isAny()) return "all traffic";
  if (!protocol.hasKey() || ports.isAll()) return "all " + protocolText(protocol);
  std::string text = protocol.isIcmp() ? "" : protocolText(protocol) + " ";
  for (std::size_t i = 0; i < ports.ranges().size(); ++i) {
    text += (i == 0 ? "" : ", ") + core::describeKeys(protocol, ports.ranges()[i]);
  }
  return text;
}

// "sg-1 (nodes)", or the id alone when the group has no name.
inline std::string groupText(const std::string& id, const std::string& name) {
  return name.empty() ? id : id + " (" + name + ")";
}

// "1 source", "3 sources".
inline std::string countOf(std::size_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
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
