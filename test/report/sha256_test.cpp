// The SHA-256 and base64 behind the HTML report's Content-Security-Policy hashes.
#include <gtest/gtest.h>

#include "sha256.hpp"

namespace sgaudit::report::detail {
namespace {

std::string hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

// Test the digest against the FIPS 180-2 examples, including the two-block padding case and a long input.
TEST(Sha256Test, PublishedVectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Test base64 with each padding length and the CSP source form.
TEST(Sha256Test, Base64AndCspHash) {
  const auto bytes = [](std::string_view text) { return reinterpret_cast<const std::uint8_t*>(text.data()); };
  EXPECT_EQ(base64(bytes("f"), 1), "Zg==");
  EXPECT_EQ(base64(bytes("fo"), 2), "Zm8=");
  EXPECT_EQ(base64(bytes("foo"), 3), "Zm9v");
  EXPECT_EQ(base64(bytes("foobar"), 6), "Zm9vYmFy");
  EXPECT_EQ(cspHash("abc"), "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
}

}  // namespace
}  // namespace sgaudit::report::detail
