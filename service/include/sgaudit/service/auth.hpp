#pragma once

// Bearer tokens and roles. Roles nest: an admin may do what ingest may, and ingest what a reader may.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sgaudit/db/database.hpp"

namespace sgaudit::service {

enum class Role { None = 0, Reader = 1, Ingest = 2, Admin = 3 };

std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view text);  // reader, ingest, admin

struct Principal {
  Role role = Role::None;
  std::string token_name;     // for logs; never the token
  std::int64_t token_id = 0;  // the api_tokens row (0: public reads)
  bool from_session = false;  // authenticated by a browser session cookie (service/browser_session.hpp)
};

// `bytes` random bytes from OpenSSL's CSPRNG as unpadded base64url. Throws when none can be drawn.
std::string randomBase64Url(std::size_t bytes);
// A fresh token: "sga_" and 43 characters of base64url (256 random bits).
std::string generateToken();
// Hex SHA-256, what the store keeps.
std::string tokenHash(std::string_view token);

// Creates a token, stores its hash, and returns the token (shown once).
std::string createToken(db::Database& db, std::string_view name, Role role, std::string_view now);

// The principal of an "Authorization: Bearer ..." value; nullopt when the value is malformed or the token is
// unknown or revoked.
std::optional<Principal> authenticate(db::Database& db, std::string_view authorization);
// The principal of a bare token (what a person pastes at /signin); nullopt when unknown or revoked.
std::optional<Principal> authenticateToken(db::Database& db, std::string_view token);

}  // namespace sgaudit::service
