#pragma once

// Policies by name, versioned.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

struct PolicyRecord {
  std::string name;
  std::int64_t version = 0;
  std::string body;  // JSON
  std::string created_at;
};

// Policies by name; every put is a new version, so an audit's policy can always be read back.
class PolicyStore {
 public:
  explicit PolicyStore(Database& db) : db_(db) {}

  PolicyRecord put(std::string_view name, std::string_view body, std::string_view now);
  // The newest version, or the given one.
  std::optional<PolicyRecord> get(std::string_view name, std::optional<std::int64_t> version = std::nullopt);
  std::vector<PolicyRecord> versions(std::string_view name);

 private:
  Database& db_;
};

}  // namespace sgaudit::db
