#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "sgaudit/schedule/webhook.hpp"

namespace sgaudit::schedule {

struct BeastTransportOptions {
  TargetPolicy policy;
  bool verify_tls = true;                        // https: verify the chain and the host name
  std::optional<std::filesystem::path> ca_file;  // default: the system's trust store
  std::size_t response_limit = 64 * 1024;        // bytes of response read (and dropped)
};

// HTTP/1.1 POST over Boost.Beast, http and https (OpenSSL). Resolves the host, refuses the request if any
// resolved address is refused by the policy, and connects only to the checked addresses. The request's
// timeout covers resolve, connect, handshake, write and read. Redirects are returned, not followed.
std::unique_ptr<WebhookTransport> makeBeastWebhookTransport(BeastTransportOptions options = {});

}  // namespace sgaudit::schedule
