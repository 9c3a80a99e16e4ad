#pragma once

// sgaudit's subcommands, one file each: a command adds its options to the application and runs when it was
// the one parsed. main() only builds the application, parses and dispatches; what a command does lives in
// its own file (serve.cpp, audit.cpp, agent.cpp, ...).

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sgaudit/service/config.hpp"

namespace sgaudit::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// "sgaudit: error: <message>" on stderr, and the usage exit code.
int usageError(const std::string& message);

// What several commands share: the database, and how logs are written.
struct Common {
  service::Config config;
  std::string log_format = "text";
};

// --db, --log-level and --log-format, with their environment variables.
void addStoreOptions(CLI::App& command, Common& common);

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to `app`; returns it so that main can see whether it was parsed.
  virtual CLI::App* add(CLI::App& app, Common& common) = 0;
  // Runs it after parsing (logging is set up when `wantsLogging`). Returns the process's exit code.
  virtual int run(Common& common) = 0;
  // Whether the command writes service logs (the one-shot commands print their own output only).
  virtual bool wantsLogging() const { return false; }
};

std::unique_ptr<Command> serveCommand();
std::unique_ptr<Command> migrateCommand();
std::unique_ptr<Command> auditCommand();
std::unique_ptr<Command> tokenCommand();
std::unique_ptr<Command> versionCommand();
std::unique_ptr<Command> agentCommand();
std::unique_ptr<Command> collectCommand();

// Every command, in the order `sgaudit --help` lists them.
std::vector<std::unique_ptr<Command>> allCommands();

}  // namespace sgaudit::cli
