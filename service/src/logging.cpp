#include "sgaudit/service/logging.hpp"

#include <atomic>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sgaudit::service {
namespace {

std::atomic<LogFormat> g_format{LogFormat::Text};

spdlog::level::level_enum toSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return spdlog::level::debug;
    case LogLevel::Info:
      return spdlog::level::info;
    case LogLevel::Warn:
      return spdlog::level::warn;
    case LogLevel::Error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

// Text values with spaces, quotes or control characters are quoted and escaped, so that a client's
// bytes (a path with a newline, say) cannot forge a log line.
bool isBareWord(const std::string& text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c == '"' || c == '=' || c == 0x7F || c >= 0x80) return false;
  }
  return true;
}

constexpr auto kDumpReplace = nlohmann::json::error_handler_t::replace;

}  // namespace

void setupLogging(std::string_view level, LogFormat format) {
  spdlog::drop("sgaudit");
  auto logger = spdlog::stderr_logger_mt("sgaudit");
  spdlog::set_default_logger(logger);
  g_format = format;
  if (format == LogFormat::Json) {
    logger->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
}

void logEvent(LogLevel level, std::string_view message, const LogFields& fields) {
  const auto spd = toSpdlog(level);
  if (!spdlog::should_log(spd)) return;
  std::string line;
  if (g_format == LogFormat::Json) {
    nlohmann::json doc = nlohmann::json::object();
    const auto now = std::chrono::system_clock::now();
    doc["time"] = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    doc["level"] = levelName(level);
    doc["msg"] = message;
    for (const auto& [key, value] : fields)
      doc[std::string(key)] = value;
    line = doc.dump(-1, ' ', false, kDumpReplace);
  } else {
    line = std::string(message);
    for (const auto& [key, value] : fields) {
      line += ' ';
      line += key;
      line += '=';
      line += value.is_string() && isBareWord(value.get_ref<const std::string&>())
                  ? value.get<std::string>()
                  : value.dump(-1, ' ', false, kDumpReplace);
    }
  }
  spdlog::log(spd, "{}", line);
}

}  // namespace sgaudit::service
