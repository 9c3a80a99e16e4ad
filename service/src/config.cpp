#include "sgaudit/service/config.hpp"

#include <array>
#include <charconv>

namespace sgaudit::service {

std::optional<ListenAddress> ListenAddress::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<ListenAddress> {
    if (error != nullptr)
      *error = "expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got '" + std::string(text) + "' (" +
               why + ")";
    return std::nullopt;
  };
  ListenAddress address;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail("unclosed '['");
    address.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("missing ':PORT' after ']'");
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing ':PORT'");
    address.host = std::string(text.substr(0, colon));
    if (address.host.find(':') != std::string::npos) return fail("put an IPv6 address in brackets");
    if (address.host.empty()) address.host = "0.0.0.0";
    port_text = text.substr(colon + 1);
  }
  if (address.host.empty()) return fail("empty host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535) {
    return fail("port must be a number from 0 to 65535");
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

std::string ListenAddress::toString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<LogFormat> parseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::Text;
  if (text == "json") return LogFormat::Json;
  return std::nullopt;
}

bool isLogLevel(std::string_view text) {
  static constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                              "warn",  "error", "off"};
  for (auto level : kLevels) {
    if (text == level) return true;
  }
  return false;
}

}  // namespace sgaudit::service
