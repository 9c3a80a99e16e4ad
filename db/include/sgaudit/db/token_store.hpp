#pragma once

// API bearer tokens. Only a token's SHA-256 is stored; the token itself is shown once, at creation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

struct TokenRecord {
  std::int64_t id = 0;
  std::string name;
  std::string role;  // reader, ingest or admin
  std::string created_at;
  std::optional<std::string> revoked_at;
};

class TokenStore {
 public:
  explicit TokenStore(Database& db) : db_(db) {}

  std::int64_t create(std::string_view name, std::string_view role, std::string_view token_sha256,
                      std::string_view now);
  // The live (not revoked) token with this hash.
  std::optional<TokenRecord> findLive(std::string_view token_sha256);
  std::vector<TokenRecord> list();
  bool revoke(std::int64_t id, std::string_view now);

 private:
  Database& db_;
};

}  // namespace sgaudit::db
