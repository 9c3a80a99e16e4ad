// `sgaudit token create|list|revoke`: the API's bearer tokens, managed on the database directly.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>

#include "command.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/token_store.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/auth.hpp"

namespace sgaudit::cli {
namespace {

class Token final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common& common) override {
    auto* token = app.add_subcommand("token", "Create, list or revoke API bearer tokens");
    token->require_subcommand(1);
    create_ = token->add_subcommand("create", "Create a token and print it (it is shown only once)");
    create_->add_option("--role", role_, "reader, ingest or admin")
        ->required()
        ->check(CLI::IsMember({"reader", "ingest", "admin"}));
    create_->add_option("--name", name_, "A label for logs and listings")->capture_default_str();
    addStoreOptions(*create_, common);
    list_ = token->add_subcommand("list", "List tokens (never the tokens themselves)");
    addStoreOptions(*list_, common);
    auto* revoke = token->add_subcommand("revoke", "Revoke a token by its id");
    revoke->add_option("id", revoke_id_, "The token's id (from `token list`)")->required();
    addStoreOptions(*revoke, common);
    return token;
  }

  bool wantsLogging() const override { return true; }

  int run(Common& common) override {
    auto db = db::openAndMigrate(common.config.database_path);
    const std::string now = service::isoTime(std::chrono::system_clock::now());
    db_path_ = common.config.database_path;
    if (create_->parsed()) return create(db, now);
    if (list_->parsed()) return list(db);
    if (!db::TokenStore(db).revoke(revoke_id_, now)) {
      std::cerr << "sgaudit: error: no live token with id " << revoke_id_ << "\n";
      return kExitFailure;
    }
    std::cout << "revoked token " << revoke_id_ << "\n";
    return kExitOk;
  }

 private:
  int create(db::Database& db, const std::string& now) const {
    if (name_.empty() || name_.size() > 128) return usageError("--name is 1-128 characters");
    // The token goes to stdout alone, so `TOKEN=$(sgaudit token create ...)` works.
    std::cout << service::createToken(db, name_, *service::parseRole(role_), now) << "\n";
    // Which database: a token made in another folder's ./var/sgaudit.db than the server's is worth nothing.
    std::cerr << "sgaudit: created " << (role_ == "reader" ? "a " : "an ") << role_ << " token \"" << name_
              << "\" in " << databaseLabel(db_path_) << "; it is not shown again\n";
    return kExitOk;
  }

  static std::string databaseLabel(const std::filesystem::path& path) {
    std::error_code error;
    const auto absolute = std::filesystem::absolute(path, error);
    return (error ? path : absolute.lexically_normal()).string();
  }

  static int list(db::Database& db) {
    for (const auto& record : db::TokenStore(db).list()) {
      std::cout << record.id << "\t" << record.role << "\t" << record.name << "\t" << record.created_at
                << (record.revoked_at ? "\trevoked " + *record.revoked_at : std::string()) << "\n";
    }
    return kExitOk;
  }

  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  std::string role_;
  std::string name_ = "cli";
  std::filesystem::path db_path_;
  std::int64_t revoke_id_ = 0;
};

}  // namespace

std::unique_ptr<Command> tokenCommand() {
  return std::make_unique<Token>();
}

}  // namespace sgaudit::cli
