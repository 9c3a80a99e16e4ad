// `sgaudit migrate`: create the database or upgrade its schema, then exit.
#include <iostream>

#include "command.hpp"
#include "sgaudit/db/migrator.hpp"

namespace sgaudit::cli {
namespace {

class Migrate final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common& common) override {
    auto* migrate = app.add_subcommand("migrate", "Create the database or upgrade its schema, then exit");
    addStoreOptions(*migrate, common);
    return migrate;
  }

  bool wantsLogging() const override { return true; }

  int run(Common& common) override {
    const auto& path = common.config.database_path;
    db::MigrationReport report;
    db::openAndMigrate(path, &report);
    if (report.applied.empty()) {
      std::cout << "database " << path.string() << " is up to date (schema " << report.to_version << ")\n";
    } else {
      std::cout << "database " << path.string() << ": schema " << report.from_version << " -> "
                << report.to_version << " (applied";
      for (const auto& name : report.applied)
        std::cout << ' ' << name;
      std::cout << ")\n";
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> migrateCommand() {
  return std::make_unique<Migrate>();
}

}  // namespace sgaudit::cli
