// What the subcommands share: the error line, the database and logging options, the list of commands.
#include <iostream>

#include "command.hpp"

namespace sgaudit::cli {

int usageError(const std::string& message) {
  std::cerr << "sgaudit: error: " << message << "\n";
  return kExitUsage;
}

void addStoreOptions(CLI::App& command, Common& common) {
  command
      .add_option("--db", common.config.database_path,
                  "SQLite database file, the server's (created when missing; relative to the current folder)")
      ->envname("SGAUDIT_DB")
      ->capture_default_str();
  command.add_option("--log-level", common.config.log_level, "trace, debug, info, warn, error or off")
      ->envname("SGAUDIT_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  command.add_option("--log-format", common.log_format, "text or json (one object per line)")
      ->envname("SGAUDIT_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

std::vector<std::unique_ptr<Command>> allCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(serveCommand());
  commands.push_back(migrateCommand());
  commands.push_back(auditCommand());
  commands.push_back(collectCommand());
  commands.push_back(agentCommand());
  commands.push_back(tokenCommand());
  commands.push_back(versionCommand());
  return commands;
}

}  // namespace sgaudit::cli
