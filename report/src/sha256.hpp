#pragma once

// SHA-256 and base64, for the Content-Security-Policy hashes of the HTML report's inline style and script
// (the report layer may use only the core, so no crypto library).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sgaudit::report::detail {

std::array<std::uint8_t, 32> sha256(std::string_view bytes);
std::string base64(const std::uint8_t* data, std::size_t size);

// "'sha256-<base64>'" as a CSP source expression.
std::string cspHash(std::string_view text);

}  // namespace sgaudit::report::detail
