#include "sgaudit/service/logging.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "sgaudit/service/scheduled_audits.hpp"

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

// Test that a scheduled run's end is counted in /metrics by outcome and logged, a failure as an error that
// names the schedule and why.
TEST(LoggingTest, ScheduledRunsAreLoggedAndCounted) {
  AppContext context(Config{}, std::nullopt);
  setupLogging("info", LogFormat::Json);
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%v");
  spdlog::default_logger()->sinks() = {sink};
  recordScheduledRun(context, schedule::RunEnded{3, "nightly", 17, false, "cluster prod has no snapshot"});
  recordScheduledRun(context, schedule::RunEnded{3, "nightly", 18, true, "", 42, 1});
  spdlog::drop_all();
  const std::string metrics = context.metrics().render(false);
  EXPECT_THAT(metrics, ::testing::HasSubstr("sgaudit_schedule_runs_total{outcome=\"failed\"} 1"));
  EXPECT_THAT(metrics, ::testing::HasSubstr("sgaudit_schedule_runs_total{outcome=\"succeeded\"} 1"));
  std::istringstream lines(out.str());
  std::string first;
  std::getline(lines, first);
  const auto failed = nlohmann::json::parse(first);
  EXPECT_EQ(failed.at("level"), "error");
  EXPECT_EQ(failed.at("msg"), "scheduled run failed");
  EXPECT_EQ(failed.at("schedule"), "nightly");
  EXPECT_EQ(failed.at("error"), "cluster prod has no snapshot");
}

}  // namespace
}  // namespace sgaudit::service
