#include "sgaudit/service/logging.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace sgaudit::service {
namespace {

std::string capture(LogFormat format, std::string_view message, const LogFields& fields) {
  setupLogging("info", format);
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%v");
  spdlog::default_logger()->sinks() = {sink};
  logEvent(LogLevel::Info, message, fields);
  spdlog::drop_all();
  return out.str();
}

// Test that JSON logs are one parseable object per line carrying every field.
TEST(LoggingTest, JsonLineHasFields) {
  const auto line = capture(LogFormat::Json, "http", {{"path", "/healthz"}, {"status", 200}});
  const auto doc = nlohmann::json::parse(line);
  EXPECT_EQ(doc.at("msg"), "http");
  EXPECT_EQ(doc.at("path"), "/healthz");
  EXPECT_EQ(doc.at("status"), 200);
  EXPECT_EQ(doc.at("level"), "info");
}

// Test that text logs quote values with spaces or newlines, so a client's path cannot forge a log line.
TEST(LoggingTest, TextQuotesHostileValues) {
  const auto line = capture(LogFormat::Text, "http", {{"path", "/a\nfake=1 level=error"}, {"status", 404}});
  EXPECT_EQ(line, "http path=\"/a\\nfake=1 level=error\" status=404\n");
}

}  // namespace
}  // namespace sgaudit::service
