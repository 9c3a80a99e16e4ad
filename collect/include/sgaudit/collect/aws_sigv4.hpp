#pragma once

// AWS Signature Version 4 (AWS4-HMAC-SHA256) for requests in the Authorization header, as the AWS General
// Reference specifies it and its published test suite (aws-sig-v4-test-suite) checks it: the canonical
// request, the string to sign, the signing key derived from the secret key, date, region and service, and
// the headers to add to the request. Not for Amazon S3, whose canonical URI is neither normalised nor
// encoded again.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sgaudit/collect/signable_request.hpp"

namespace sgaudit::collect {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct SigV4Options {
  // Add and sign X-Amz-Content-Sha256 (the payload hash).
  bool sign_content_sha256 = false;
  // Sign X-Amz-Security-Token (the default; STS and EC2 accept it signed). When false it is added after
  // signing, as the test suite's post-sts-header-after does.
  bool sign_session_token = true;
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // lower-case hex
  std::string signed_headers;  // "host;x-amz-date"
  std::string authorization;   // the Authorization header's value
  // What to add to the request, in this order: X-Amz-Date, X-Amz-Security-Token (with a session token),
  // X-Amz-Content-Sha256 (when asked for), Authorization. They replace any of the same name the request has.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Signs `request` (whose headers include Host) at `amz_date` ("20150830T123600Z", UTC). The request's own
// X-Amz-Date, and X-Amz-Security-Token and X-Amz-Content-Sha256 when the signer adds them, are ignored.
// Throws std::invalid_argument when amz_date is not of that form.
SigV4Result signAws(const SignableRequest& request, const AwsCredentials& credentials,
                    std::string_view region, std::string_view service, std::string_view amz_date,
                    const SigV4Options& options = {});

// The canonical URI of a path: normalised (empty and "." segments dropped, ".." removing the one before,
// a trailing '/' kept) and each segment URI-encoded.
std::string awsCanonicalUri(std::string_view path);

// The canonical query string: names and values URI-encoded, sorted by name then value, joined with '&'.
std::string awsCanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// An application/x-www-form-urlencoded body, as the EC2 Query API takes it
// ("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-1"): the fields in the order given, names
// and values URI-encoded as the signature encodes them.
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace sgaudit::collect
