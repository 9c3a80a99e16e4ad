#pragma once

// A request as the cloud API signers (aws_sigv4.hpp, huawei_signer.hpp) see it, and the URI encoding both
// signing schemes share. Signing is pure: no clock and no network; the caller passes the time and sends the
// request.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sgaudit::collect {

struct SignableRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // as sent on the wire, without the query: "/", "/v1/{project}/servers"
  std::vector<std::pair<std::string, std::string>> query;    // names and values unencoded
  std::vector<std::pair<std::string, std::string>> headers;  // Host included; names in any case
  std::string body;
};

// RFC 3986 percent-encoding as both schemes sign it: the unreserved characters A-Z a-z 0-9 - _ . ~ are kept,
// every other byte (UTF-8 bytes one by one) becomes %XX with upper-case hex digits.
std::string uriEncode(std::string_view bytes);

}  // namespace sgaudit::collect
