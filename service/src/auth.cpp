// Bearer tokens: drawing, hashing, and finding the principal a token stands for.
#include "sgaudit/service/auth.hpp"
#include "sgaudit/core/hex.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>
#include <vector>

#include "sgaudit/db/token_store.hpp"

namespace sgaudit::service {

std::string_view toString(Role role) {
  switch (role) {
    case Role::Reader:
      return "reader";
    case Role::Ingest:
      return "ingest";
    case Role::Admin:
      return "admin";
    case Role::None:
      break;
  }
  return "none";
}

std::optional<Role> parseRole(std::string_view text) {
  if (text == "reader") return Role::Reader;
  if (text == "ingest") return Role::Ingest;
  if (text == "admin") return Role::Admin;
  return std::nullopt;
}

std::string randomBase64Url(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw std::runtime_error("cannot draw random bytes");
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  unsigned buffer = 0;
  int bits = 0;
  for (const unsigned char byte : random) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text.push_back(kAlphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) text.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return text;
}

std::string generateToken() {
  return "sga_" + randomBase64Url(32);
}

std::string tokenHash(std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return core::hexLower(digest.data(), digest.size());
}

std::string createToken(db::Database& db, std::string_view name, Role role, std::string_view now) {
  std::string token = generateToken();
  db::TokenStore(db).create(name, toString(role), tokenHash(token), now);
  return token;
}

std::optional<Principal> authenticate(db::Database& db, std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  return authenticateToken(db, token);
}

std::optional<Principal> authenticateToken(db::Database& db, std::string_view token) {
  if (token.empty() || token.size() > 512) return std::nullopt;
  const auto record = db::TokenStore(db).findLive(tokenHash(token));
  if (!record) return std::nullopt;
  const auto role = parseRole(record->role);
  if (!role) return std::nullopt;
  return Principal{*role, record->name, record->id};
}

}  // namespace sgaudit::service
