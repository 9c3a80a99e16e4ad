#pragma once

// Webhook notifications: which URLs may be targets, how a body is signed, and the HTTP client interface
// the scheduler delivers through.
//
// Signature: each attempt sends
//   X-Sgaudit-Timestamp: <unix seconds of the attempt>
//   X-Sgaudit-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// i.e. the timestamp's decimal text, one '.', then the exact body bytes. Receivers recompute it, compare in
// constant time, and refuse timestamps too far from their clock (replays).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sgaudit/core/result.hpp"

namespace sgaudit::schedule {

struct TargetPolicy {
  // Loopback and private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, 127/8, ::1, fc00::/7) are
  // refused unless this is set. Link-local (169.254/16, fe80::/10), cloud metadata (169.254.169.254,
  // fd00:ec2::254), unspecified, multicast and reserved addresses are always refused.
  bool allow_private_targets = false;
};

// Why `address` (an IPv4 or IPv6 literal) may not receive webhooks; nullopt when it may.
std::optional<std::string> refuseAddress(std::string_view address, const TargetPolicy& policy);

struct TargetUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case; IPv6 without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" at least
  bool host_is_address = false;
};

// Checks what can be checked without DNS: scheme, shape, no user info, and literal addresses against
// the policy. Names are checked again on their resolved addresses at every delivery (DNS rebinding).
core::Result<TargetUrl> parseTargetUrl(std::string_view url, const TargetPolicy& policy);

std::string hmacSha256Hex(std::string_view key, std::string_view message);
// "sha256=<hex>" over "<timestamp>.<body>".
std::string webhookSignature(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

struct WebhookRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                          // JSON
  std::chrono::milliseconds timeout{10000};  // for the whole exchange
};

struct WebhookResponse {
  int status = 0;        // HTTP status; 0 when there was no response
  std::string error;     // transport or policy failure, empty on a response
  bool refused = false;  // the target was refused by policy: retrying will not help
};

// Sends one POST; never follows redirects; never throws.
class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  virtual WebhookResponse post(const WebhookRequest& request) = 0;
};

// When to try again: initial * multiplier^(attempts-1), capped, with +-jitter (random01 in [0, 1)).
struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::seconds initial_delay{30};
  double multiplier = 2.0;
  std::chrono::seconds max_delay{3600};
  double jitter = 0.2;
};
std::chrono::seconds retryDelay(const RetryPolicy& policy, int attempts_made, double random01);

// 2xx delivered; 408, 429, 5xx and transport errors retried; other statuses (3xx included: redirects
// are not followed) and policy refusals fail at once.
enum class AttemptOutcome { Delivered, Retry, Failed };
AttemptOutcome classifyResponse(const WebhookResponse& response);

}  // namespace sgaudit::schedule
