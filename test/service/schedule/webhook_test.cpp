#include "sgaudit/schedule/webhook.hpp"

#include <gtest/gtest.h>

namespace sgaudit::schedule {
namespace {

// Test the HMAC-SHA256 primitive against RFC 4231 test case 2.
TEST(WebhookTest, HmacMatchesRfc4231Case2) {
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Test that the signature covers "<timestamp>.<body>" (vector from `openssl dgst -sha256 -hmac`).
TEST(WebhookTest, SignatureVector) {
  // printf '1700000000.{"event":"test"}' | openssl dgst -sha256 -hmac "it's a secret, 16+"
  EXPECT_EQ(webhookSignature("it's a secret, 16+", 1700000000, R"({"event":"test"})"),
            "sha256=49bd79c11078d57376779ffa74ac42dfae32bdb8110c46507600c79d69a8cb0a");
  EXPECT_NE(webhookSignature("it's a secret, 16+", 1700000001, R"({"event":"test"})"),
            webhookSignature("it's a secret, 16+", 1700000000, R"({"event":"test"})"));
}

// Test which URLs may be targets, with and without allow_private_targets.
TEST(WebhookTest, TargetUrlTable) {
  struct Case {
    std::string_view url;
    bool allowed_public;     // allow_private_targets = false
    bool allowed_private;    // allow_private_targets = true
    std::string_view error;  // with allow_private_targets = false, when refused
  };
  const Case cases[] = {
      {"https://hooks.example.com/sgaudit?x=1", true, true, ""},
      {"http://93.184.216.34:8080/hook", true, true, ""},
      {"HTTPS://Hooks.Example.COM", true, true, ""},
      {"http://[2606:2800:220:1:248:1893:25c8:1946]/", true, true, ""},
      {"ftp://example.com/", false, false, "scheme \"ftp\" is not allowed (http or https only)"},
      {"file:///etc/passwd", false, false, "scheme \"file\" is not allowed (http or https only)"},
      {"example.com/hook", false, false, "expected an http:// or https:// URL"},
      {"http://user:pw@example.com/", false, false, "user information in the URL is not allowed"},
      {"http:///path", false, false, "missing host"},
      {"http://example.com:0/", false, false, "bad port \"0\""},
      {"http://example.com:99999/", false, false, "bad port \"99999\""},
      {"http://example.com:/", false, false, "bad port \"\""},
      {"http://exa mple.com/", false, false, "URL contains spaces or control characters"},
      {"http://169.254.169.254/latest/meta-data/", false, false,
       "host 169.254.169.254 refused: 169.254.169.254 is the cloud metadata service"},
      {"http://169.254.10.1/", false, false,
       "host 169.254.10.1 refused: link-local address (169.254.0.0/16)"},
      {"http://[fd00:ec2::254]/", false, false,
       "host fd00:ec2::254 refused: fd00:ec2::254 is the cloud metadata service"},
      {"http://[fe80::1]/", false, false, "host fe80::1 refused: link-local address (fe80::/10)"},
      {"http://[::ffff:169.254.169.254]/", false, false,
       "host ::ffff:169.254.169.254 refused: 169.254.169.254 is the cloud metadata service"},
      {"http://0.0.0.0/", false, false, "host 0.0.0.0 refused: unspecified address (0.0.0.0/8)"},
      {"http://224.0.0.1/", false, false, "host 224.0.0.1 refused: multicast address (224.0.0.0/4)"},
      {"http://127.0.0.1:9000/", false, true,
       "host 127.0.0.1 refused: loopback address (127.0.0.0/8); the server runs without "
       "--allow-private-webhooks"},
      {"http://[::1]:9000/", false, true,
       "host ::1 refused: loopback address (::1); the server runs without --allow-private-webhooks"},
      {"http://10.1.2.3/", false, true,
       "host 10.1.2.3 refused: private address; the server runs without --allow-private-webhooks"},
      {"http://172.16.0.1/", false, true,
       "host 172.16.0.1 refused: private address; the server runs without --allow-private-webhooks"},
      {"http://192.168.1.1/", false, true,
       "host 192.168.1.1 refused: private address; the server runs without --allow-private-webhooks"},
      {"http://[fd12::1]/", false, true,
       "host fd12::1 refused: private address (fc00::/7); the server runs without --allow-private-webhooks"},
      {"http://localhost:8080/", false, true,
       "host localhost refused: loopback name; the server runs without --allow-private-webhooks"},
      {"http://2130706433/", false, false, "host \"2130706433\" is neither a name nor a dotted IPv4 address"},
      {"http://0x7f.1/", false, false, "host \"0x7f.1\" is neither a name nor a dotted IPv4 address"},
  };
  for (const auto& c : cases) {
    auto strict = parseTargetUrl(c.url, TargetPolicy{false});
    EXPECT_EQ(strict.ok(), c.allowed_public) << c.url;
    if (!strict.ok()) {
      EXPECT_EQ(strict.error().message, c.error) << c.url;
    }
    EXPECT_EQ(parseTargetUrl(c.url, TargetPolicy{true}).ok(), c.allowed_private) << c.url;
  }
  auto parsed = parseTargetUrl("https://Hooks.Example.com:8443/a/b?c=d#frag", {}).value();
  EXPECT_EQ(parsed.scheme, "https");
  EXPECT_EQ(parsed.host, "hooks.example.com");
  EXPECT_EQ(parsed.port, 8443);
  EXPECT_EQ(parsed.target, "/a/b?c=d");
  EXPECT_FALSE(parsed.host_is_address);
  EXPECT_EQ(parseTargetUrl("http://example.com", {}).value().target, "/");
  EXPECT_EQ(parseTargetUrl("http://example.com", {}).value().port, 80);
}

// Test the resolved-address check used at delivery time (DNS rebinding).
TEST(WebhookTest, RefusesResolvedAddresses) {
  EXPECT_FALSE(refuseAddress("93.184.216.34", {}).has_value());
  EXPECT_TRUE(refuseAddress("169.254.169.254", {true}).has_value());
  EXPECT_TRUE(refuseAddress("fe80::1%eth0", {true}).has_value());
  EXPECT_TRUE(refuseAddress("127.0.0.1", {}).has_value());
  EXPECT_FALSE(refuseAddress("127.0.0.1", {true}).has_value());
  EXPECT_TRUE(refuseAddress("not-an-ip", {true}).has_value());
}

// Test exponential backoff with jitter, capped.
TEST(WebhookTest, RetryDelay) {
  RetryPolicy policy;  // 30 s, x2, cap 1 h, jitter 20 %
  EXPECT_EQ(retryDelay(policy, 1, 0.5).count(), 30);
  EXPECT_EQ(retryDelay(policy, 2, 0.5).count(), 60);
  EXPECT_EQ(retryDelay(policy, 3, 0.5).count(), 120);
  EXPECT_EQ(retryDelay(policy, 20, 0.5).count(), 3600);
  EXPECT_EQ(retryDelay(policy, 1, 0.0).count(), 24);
  EXPECT_EQ(retryDelay(policy, 1, 1.0).count(), 36);
}

// Test which responses are retried.
TEST(WebhookTest, ClassifiesResponses) {
  EXPECT_EQ(classifyResponse({204, "", false}), AttemptOutcome::Delivered);
  EXPECT_EQ(classifyResponse({500, "", false}), AttemptOutcome::Retry);
  EXPECT_EQ(classifyResponse({429, "", false}), AttemptOutcome::Retry);
  EXPECT_EQ(classifyResponse({0, "connection refused", false}), AttemptOutcome::Retry);
  EXPECT_EQ(classifyResponse({302, "", false}), AttemptOutcome::Failed);
  EXPECT_EQ(classifyResponse({404, "", false}), AttemptOutcome::Failed);
  EXPECT_EQ(classifyResponse({0, "refused by policy", true}), AttemptOutcome::Failed);
}

}  // namespace
}  // namespace sgaudit::schedule
