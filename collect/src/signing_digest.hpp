#pragma once

// The digests the request signers use (OpenSSL's SHA-256 and HMAC-SHA256), private to collect/src.

#include <string>
#include <string_view>

namespace sgaudit::collect::signing {

std::string sha256Hex(std::string_view data);
// The raw 32-byte MAC.
std::string hmacSha256(std::string_view key, std::string_view data);
std::string hex(std::string_view bytes);  // lower case

// "20150830T123600Z": the compact UTC time both signers date requests with (X-Amz-Date, X-Sdk-Date).
inline bool compactUtcTime(std::string_view date) {
  if (date.size() != 16 || date[8] != 'T' || date[15] != 'Z') return false;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i == 8) continue;
    if (date[i] < '0' || date[i] > '9') return false;
  }
  return true;
}

}  // namespace sgaudit::collect::signing
