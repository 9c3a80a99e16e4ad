#pragma once

// Bytes as lower-case hexadecimal, two digits a byte: digests (SHA-256 of tokens, sessions, migrations,
// uploads) and MACs (webhook signatures) are written this way everywhere they are stored or compared.

#include <cstddef>
#include <string>

namespace sgaudit::core {

inline std::string hexLower(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

}  // namespace sgaudit::core
