#include "sgaudit/schedule/webhook.hpp"
#include "sgaudit/core/hex.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>

namespace sgaudit::schedule {
namespace {

bool inV4(std::uint32_t a, std::uint32_t net, int bits) {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

constexpr std::uint32_t v4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
         (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}

std::optional<std::string> refuseV4(std::uint32_t a, const TargetPolicy& policy) {
  if (a == v4(169, 254, 169, 254)) return "169.254.169.254 is the cloud metadata service";
  if (inV4(a, v4(169, 254, 0, 0), 16)) return "link-local address (169.254.0.0/16)";
  if (inV4(a, 0, 8)) return "unspecified address (0.0.0.0/8)";
  if (inV4(a, v4(224, 0, 0, 0), 4)) return "multicast address (224.0.0.0/4)";
  if (inV4(a, v4(240, 0, 0, 0), 4)) return "reserved address (240.0.0.0/4)";
  if (!policy.allow_private_targets) {
    if (inV4(a, v4(127, 0, 0, 0), 8))
      return "loopback address (127.0.0.0/8); the server runs without --allow-private-webhooks";
    for (auto [net, bits] : {std::pair{v4(10, 0, 0, 0), 8}, std::pair{v4(172, 16, 0, 0), 12},
                             std::pair{v4(192, 168, 0, 0), 16}, std::pair{v4(100, 64, 0, 0), 10},
                             std::pair{v4(192, 0, 0, 0), 24}, std::pair{v4(198, 18, 0, 0), 15}}) {
      if (inV4(a, net, bits)) return "private address; the server runs without --allow-private-webhooks";
    }
  }
  return std::nullopt;
}

std::optional<std::string> refuseV6(const std::array<unsigned char, 16>& b, const TargetPolicy& policy) {
  static constexpr std::array<unsigned char, 16> kMetadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                              0,    0,    0,    0,    0, 0, 0x02, 0x54};
  const bool first10_zero = std::all_of(b.begin(), b.begin() + 10, [](unsigned char c) { return c == 0; });
  if (first10_zero && b[10] == 0xff && b[11] == 0xff) {  // ::ffff:a.b.c.d
    return refuseV4(v4(b[12], b[13], b[14], b[15]), policy);
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
      std::all_of(b.begin() + 4, b.begin() + 12, [](unsigned char c) { return c == 0; })) {  // 64:ff9b::/96
    return refuseV4(v4(b[12], b[13], b[14], b[15]), policy);
  }
  if (b == kMetadata) return "fd00:ec2::254 is the cloud metadata service";
  const bool zero_prefix = std::all_of(b.begin(), b.begin() + 15, [](unsigned char c) { return c == 0; });
  if (zero_prefix && b[15] == 0) return "unspecified address (::)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local address (fe80::/10)";
  if (b[0] == 0xff) return "multicast address (ff00::/8)";
  if (!policy.allow_private_targets) {
    if (zero_prefix && b[15] == 1)
      return "loopback address (::1); the server runs without --allow-private-webhooks";
    if ((b[0] & 0xfe) == 0xfc)
      return "private address (fc00::/7); the server runs without --allow-private-webhooks";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
      return "site-local address (fec0::/10); the server runs without --allow-private-webhooks";
  }
  if (zero_prefix && b[15] != 1) return "reserved address (::/120)";
  return std::nullopt;
}

bool looksNumeric(std::string_view host) {
  // "2130706433" or "0x7f.1" would be read as addresses by the resolver; accept only dotted quads.
  if (host.empty()) return false;
  const char last = host.back();
  return std::isdigit(static_cast<unsigned char>(last)) ||
         (host.size() > 2 && host[0] == '0' && (host[1] == 'x' || host[1] == 'X'));
}

}  // namespace

std::optional<std::string> refuseAddress(std::string_view address, const TargetPolicy& policy) {
  const std::string text(address);
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) return refuseV4(ntohl(a4.s_addr), policy);
  std::string v6 = text;
  if (const auto zone = v6.find('%'); zone != std::string::npos) v6.resize(zone);
  std::array<unsigned char, 16> a6{};
  if (inet_pton(AF_INET6, v6.c_str(), a6.data()) == 1) return refuseV6(a6, policy);
  return "\"" + text + "\" is not an IP address";
}

core::Result<TargetUrl> parseTargetUrl(std::string_view url, const TargetPolicy& policy) {
  auto fail = [](const std::string& why) { return core::Error{why}; };
  if (url.size() > 2048) return fail("URL longer than 2048 characters");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail("URL contains spaces or control characters");
  }
  TargetUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail("expected an http:// or https:// URL");
  for (char c : url.substr(0, scheme_end))
    out.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (out.scheme != "http" && out.scheme != "https") {
    return fail("scheme \"" + out.scheme + "\" is not allowed (http or https only)");
  }
  auto rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, authority_end);
  auto target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  out.target =
      target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
  if (authority.find('@') != std::string_view::npos)
    return fail("user information in the URL is not allowed");
  std::string_view host;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
    out.host_is_address = true;
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return fail("missing host");
  for (char c : host)
    out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty() || (authority.size() > 0 && authority.back() == ':')) {
    int port = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535)
        return fail("bad port \"" + std::string(port_text) + "\"");
      port = port * 10 + (c - '0');
    }
    if (port_text.empty() || port < 1 || port > 65535)
      return fail("bad port \"" + std::string(port_text) + "\"");
    out.port = static_cast<std::uint16_t>(port);
  }
  if (out.host_is_address) {
    if (auto why = refuseAddress(out.host, policy)) return fail("host " + out.host + " refused: " + *why);
    return out;
  }
  in_addr a4{};
  if (inet_pton(AF_INET, out.host.c_str(), &a4) == 1) {
    out.host_is_address = true;
    if (auto why = refuseAddress(out.host, policy)) return fail("host " + out.host + " refused: " + *why);
    return out;
  }
  if (looksNumeric(out.host))
    return fail("host \"" + out.host + "\" is neither a name nor a dotted IPv4 address");
  for (char c : out.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return fail("host \"" + out.host + "\" has characters a DNS name cannot have");
    }
  }
  if (!policy.allow_private_targets && (out.host == "localhost" || out.host.ends_with(".localhost"))) {
    return fail("host " + out.host +
                " refused: loopback name; the server runs without --allow-private-webhooks");
  }
  return out;
}

std::string hmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return core::hexLower(digest, length);
}

std::string webhookSignature(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  std::string signed_content = std::to_string(unix_seconds);
  signed_content.push_back('.');
  signed_content.append(body);
  return "sha256=" + hmacSha256Hex(secret, signed_content);
}

std::chrono::seconds retryDelay(const RetryPolicy& policy, int attempts_made, double random01) {
  double delay = static_cast<double>(policy.initial_delay.count()) *
                 std::pow(policy.multiplier, std::max(0, attempts_made - 1));
  delay = std::min(delay, static_cast<double>(policy.max_delay.count()));
  delay *= 1.0 + policy.jitter * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
  return std::chrono::seconds{std::max<std::int64_t>(1, std::llround(delay))};
}

AttemptOutcome classifyResponse(const WebhookResponse& response) {
  if (response.refused) return AttemptOutcome::Failed;
  if (response.status == 0) return AttemptOutcome::Retry;
  if (response.status >= 200 && response.status < 300) return AttemptOutcome::Delivered;
  if (response.status == 408 || response.status == 429 || response.status >= 500)
    return AttemptOutcome::Retry;
  return AttemptOutcome::Failed;
}

}  // namespace sgaudit::schedule
