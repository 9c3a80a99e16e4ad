// AWS Signature Version 4 (aws_sigv4.hpp): canonical request, string to sign, signing key and signature, as
// the AWS General Reference's "Create a signed AWS API request" specifies them.
#include "sgaudit/collect/aws_sigv4.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "signing_digest.hpp"

namespace sgaudit::collect {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// One line of a header value: leading and trailing white space dropped, runs of white space made one space.
std::string collapsedLine(std::string_view line) {
  std::string out;
  bool pending_space = false;
  for (const char c : line) {
    if (isSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// A header value as the canonical headers hold it; a value folded over several lines (the suite's
// get-header-value-multiline) becomes its lines joined with ','.
std::string canonicalValue(std::string_view value) {
  std::string out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find('\n', start);
    if (end == std::string_view::npos) end = value.size();
    const std::string line = collapsedLine(value.substr(start, end - start));
    if (!line.empty()) {
      if (!out.empty()) out += ',';
      out += line;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string awsCanonicalUri(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string uri = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) uri += '/';
    uri += uriEncode(segments[i]);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') uri += '/';
  return uri;
}

std::string awsCanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(uriEncode(name), uriEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += uriEncode(name);
    out += '=';
    out += uriEncode(value);
  }
  return out;
}

SigV4Result signAws(const SignableRequest& request, const AwsCredentials& credentials,
                    std::string_view region, std::string_view service, std::string_view amz_date,
                    const SigV4Options& options) {
  if (!signing::compactUtcTime(amz_date))
    throw std::invalid_argument("AWS SigV4: the date must be of the form 20150830T123600Z");
  const std::string payload_hash = signing::sha256Hex(request.body);
  const bool with_token = !credentials.session_token.empty();

  // The headers the signer sets replace the request's own.
  std::vector<std::pair<std::string, std::string>> added;
  added.emplace_back("X-Amz-Date", std::string(amz_date));
  if (with_token) added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  if (options.sign_content_sha256) added.emplace_back("X-Amz-Content-Sha256", payload_hash);
  const auto replaced = [&](const std::string& name) {
    return std::any_of(added.begin(), added.end(),
                       [&](const auto& header) { return lowercase(header.first) == name; });
  };

  // Lower-case names in order; a repeated header's values joined with ',' in the order they came.
  std::map<std::string, std::string> canonical;
  const auto add = [&](const std::string& name, std::string_view value) {
    auto [entry, inserted] = canonical.try_emplace(name, canonicalValue(value));
    if (!inserted) entry->second += ',' + canonicalValue(value);
  };
  for (const auto& [name, value] : request.headers) {
    const std::string lower = lowercase(name);
    if (!replaced(lower)) add(lower, value);
  }
  for (const auto& [name, value] : added) {
    if (name == "X-Amz-Security-Token" && !options.sign_session_token) continue;
    add(lowercase(name), value);
  }

  SigV4Result result;
  std::string canonical_headers;
  for (const auto& [name, value] : canonical) {
    canonical_headers += name + ':' + value + '\n';
    if (!result.signed_headers.empty()) result.signed_headers += ';';
    result.signed_headers += name;
  }
  result.canonical_request = request.method + '\n' + awsCanonicalUri(request.path) + '\n' +
                             awsCanonicalQuery(request.query) + '\n' + canonical_headers + '\n' +
                             result.signed_headers + '\n' + payload_hash;

  const std::string_view date = amz_date.substr(0, 8);
  const std::string scope =
      std::string(date) + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  result.string_to_sign = std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' + scope + '\n' +
                          signing::sha256Hex(result.canonical_request);

  std::string key = signing::hmacSha256("AWS4" + credentials.secret_access_key, date);
  key = signing::hmacSha256(key, region);
  key = signing::hmacSha256(key, service);
  key = signing::hmacSha256(key, "aws4_request");
  result.signature = signing::hex(signing::hmacSha256(key, result.string_to_sign));

  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' + scope +
                         ", SignedHeaders=" + result.signed_headers + ", Signature=" + result.signature;
  result.headers = std::move(added);
  result.headers.emplace_back("Authorization", result.authorization);
  return result;
}

}  // namespace sgaudit::collect
