#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sgaudit::service {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  // "127.0.0.1:8080", "[::1]:8080", "localhost:0", ":8080" (all IPv4 interfaces).
  // Returns nullopt and fills `error` when the text is not HOST:PORT.
  static std::optional<ListenAddress> parse(std::string_view text, std::string* error = nullptr);
  std::string toString() const;
};

enum class LogFormat { Text, Json };

struct Config {
  ListenAddress listen;
  std::filesystem::path database_path = "./var/sgaudit.db";
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  LogFormat log_format = LogFormat::Text;
  unsigned workers = 4;     // threads that run handlers (SQLite, audits), off the I/O threads
  unsigned io_threads = 1;  // threads that move bytes
  std::chrono::milliseconds read_timeout{30'000};
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 8 * 1024 * 1024;
  std::chrono::milliseconds shutdown_grace{10'000};
};

std::optional<LogFormat> parseLogFormat(std::string_view text);
bool isLogLevel(std::string_view text);

}  // namespace sgaudit::service
