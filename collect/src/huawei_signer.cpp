// Huawei Cloud's SDK-HMAC-SHA256 request signature (huawei_signer.hpp), following the Go SDK's
// core/auth/signer/signer.go and the Node.js SDK's auth/AKSKSigner.js where they agree.
#include "sgaudit/collect/huawei_signer.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "signing_digest.hpp"

namespace sgaudit::collect {
namespace {

constexpr std::string_view kAlgorithm = "SDK-HMAC-SHA256";
constexpr std::string_view kContentSha256 = "x-sdk-content-sha256";

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

std::string trimmed(std::string_view text) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

std::string huaweiCanonicalUri(std::string_view path) {
  std::string uri;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (start > 0) uri += '/';
    uri += uriEncode(path.substr(start, end - start));
    start = end + 1;
  }
  if (uri.empty() || uri.back() != '/') uri += '/';
  return uri;
}

std::string huaweiCanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [name, value] : sorted) {
    if (!out.empty()) out += '&';
    out += uriEncode(name);
    out += '=';
    out += uriEncode(value);
  }
  return out;
}

HuaweiSignature signHuawei(const SignableRequest& request, const HuaweiCredentials& credentials,
                           std::string_view sdk_date) {
  if (!signing::compactUtcTime(sdk_date))
    throw std::invalid_argument("Huawei Cloud signer: the date must be of the form 20060102T150405Z");

  HuaweiSignature result;
  result.headers.emplace_back("X-Sdk-Date", std::string(sdk_date));
  if (!credentials.security_token.empty())
    result.headers.emplace_back("X-Security-Token", credentials.security_token);

  // Lower-case names; a name given more than once has one line for each value, values sorted (Go's
  // canonicalHeaders).
  std::map<std::string, std::vector<std::string>> canonical;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = lowercase(name);
    const bool replaced = std::any_of(result.headers.begin(), result.headers.end(),
                                      [&](const auto& added) { return lowercase(added.first) == lower; });
    if (!replaced) canonical[lower].push_back(trimmed(value));
  }
  for (const auto& [name, value] : result.headers)
    canonical[lowercase(name)].push_back(value);

  std::string canonical_headers;
  for (auto& [name, values] : canonical) {
    std::sort(values.begin(), values.end());
    for (const auto& value : values)
      canonical_headers += name + ':' + value + '\n';
    if (!result.signed_headers.empty()) result.signed_headers += ';';
    result.signed_headers += name;
  }

  const auto content_sha256 = canonical.find(std::string(kContentSha256));
  const std::string payload_hash =
      content_sha256 != canonical.end() ? content_sha256->second.front() : signing::sha256Hex(request.body);

  result.canonical_request = request.method + '\n' + huaweiCanonicalUri(request.path) + '\n' +
                             huaweiCanonicalQuery(request.query) + '\n' + canonical_headers + '\n' +
                             result.signed_headers + '\n' + payload_hash;
  result.string_to_sign = std::string(kAlgorithm) + '\n' + std::string(sdk_date) + '\n' +
                          signing::sha256Hex(result.canonical_request);
  result.signature = signing::hex(signing::hmacSha256(credentials.secret_key, result.string_to_sign));
  result.authorization = std::string(kAlgorithm) + " Access=" + credentials.access_key +
                         ", SignedHeaders=" + result.signed_headers + ", Signature=" + result.signature;
  result.headers.emplace_back("Authorization", result.authorization);
  return result;
}

}  // namespace sgaudit::collect
