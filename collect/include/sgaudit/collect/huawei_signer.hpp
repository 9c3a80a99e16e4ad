#pragma once

// Huawei Cloud's API Gateway signature (SDK-HMAC-SHA256), as Huawei's SDKs compute it
// (huaweicloud-sdk-go-v3 core/auth/signer, @huaweicloud/huaweicloud-sdk-core auth/AKSKSigner): a canonical
// request much like AWS's, signed with HMAC-SHA256 keyed by the secret key itself.
//
//   canonical request = method \n canonical URI \n canonical query \n canonical headers \n signed headers
//                       \n hex(SHA-256(body))
//   canonical URI     = each '/'-separated segment of the path URI-encoded, always ending with '/'
//   canonical query   = name=value pairs sorted by the unencoded name, then value, both URI-encoded
//   canonical headers = "name:value\n" for each header: lower-case names sorted, values trimmed
//   string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(SHA-256(canonical request))
//   Authorization     = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex(HMAC-SHA256(SK, sts))"
//
// Every header of the request is signed, with X-Sdk-Date and, for temporary credentials, X-Security-Token.
// An X-Sdk-Content-Sha256 header (UNSIGNED-PAYLOAD) stands for the body's hash, as in the SDKs.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sgaudit/collect/signable_request.hpp"

namespace sgaudit::collect {

struct HuaweiCredentials {
  std::string access_key;
  std::string secret_key;
  std::string security_token;  // empty for permanent keys
};

struct HuaweiSignature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lower-case hex
  std::string signed_headers;  // "host;x-sdk-date"
  std::string authorization;   // the Authorization header's value
  // What to add to the request, in this order: X-Sdk-Date, X-Security-Token (with a security token),
  // Authorization. They replace any of the same name the request has.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Signs `request` (whose headers include Host) at `sdk_date` ("20060102T150405Z", UTC). Throws
// std::invalid_argument when sdk_date is not of that form.
HuaweiSignature signHuawei(const SignableRequest& request, const HuaweiCredentials& credentials,
                           std::string_view sdk_date);

std::string huaweiCanonicalUri(std::string_view path);
std::string huaweiCanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace sgaudit::collect
