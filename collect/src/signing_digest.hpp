#pragma once

// The digests the request signers use (OpenSSL's SHA-256 and HMAC-SHA256), private to collect/src.

#include <string>
#include <string_view>

namespace sgaudit::collect::signing {

std::string sha256Hex(std::string_view data);
// The raw 32-byte MAC.
std::string hmacSha256(std::string_view key, std::string_view data);
std::string hex(std::string_view bytes);  // lower case

}  // namespace sgaudit::collect::signing
