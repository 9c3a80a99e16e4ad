#include "sgaudit/service/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sgaudit::service {
namespace {

// Test that the listen forms the README documents parse to host and port.
TEST(ListenAddressTest, ParsesDocumentedForms) {
  auto v4 = ListenAddress::parse("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = ListenAddress::parse("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(v6->toString(), "[::1]:0");
  auto any = ListenAddress::parse(":9000");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "0.0.0.0");
  auto name = ListenAddress::parse("localhost:65535");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->port, 65535);
}

// Test that malformed listen addresses are refused with a message that shows the input and the expected form.
TEST(ListenAddressTest, RejectsMalformedWithClearMessage) {
  for (const char* bad : {"", "8080", "host:", "host:http", "host:65536", "host:-1", "::1:80", "[::1]80",
                          "[::1:80", "[]:80", "host:80 "}) {
    std::string error;
    EXPECT_FALSE(ListenAddress::parse(bad, &error)) << bad;
    EXPECT_THAT(error, ::testing::HasSubstr("expected HOST:PORT")) << bad;
    EXPECT_THAT(error, ::testing::HasSubstr(std::string("'") + bad + "'")) << bad;
  }
}

// Test that only the documented log formats and levels are accepted.
TEST(ConfigTest, LogFormatAndLevel) {
  EXPECT_EQ(parseLogFormat("json"), LogFormat::Json);
  EXPECT_EQ(parseLogFormat("text"), LogFormat::Text);
  EXPECT_FALSE(parseLogFormat("JSON"));
  EXPECT_TRUE(isLogLevel("warn"));
  EXPECT_FALSE(isLogLevel("verbose"));
}

}  // namespace
}  // namespace sgaudit::service
