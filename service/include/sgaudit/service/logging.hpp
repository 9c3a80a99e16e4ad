#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/service/config.hpp"

namespace sgaudit::service {

// Sends spdlog's default logger to stderr, as text or one JSON object per line.
void setupLogging(std::string_view level, LogFormat format);

using LogFields = std::vector<std::pair<std::string_view, nlohmann::json>>;

enum class LogLevel { Debug, Info, Warn, Error };

// One structured event: "message key=value ..." in text, {"msg":..., key: value} in JSON.
// Never pass request bodies, tokens or other secrets as fields.
void logEvent(LogLevel level, std::string_view message, const LogFields& fields = {});

}  // namespace sgaudit::service
