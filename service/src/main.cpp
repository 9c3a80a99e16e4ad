// sgaudit's command line: builds the application from the subcommands (service/src/cli/, one file each),
// parses, and runs the one parsed. Parsing and configuration errors print one line and exit 2; an error
// no command caught is one line (exit 2 for a path that cannot be read or walked, 1 otherwise), never an
// abort.
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "sgaudit/db/database.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/logging.hpp"

#ifdef SGAUDIT_WITH_JEMALLOC
// jemalloc's options, read at its start: a background thread returns freed memory to the system within about
// a second (by default it is returned only as later allocations happen, so a server that refused one large
// upload stayed at that upload's high-water mark: 84 MB resident idle after a 60,000-pod upload, 17 MB with
// this). MALLOC_CONF still overrides it.
extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks for.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

int main(int argc, char** argv) {
  using namespace sgaudit::cli;
  CLI::App app{
      "sgaudit: finds why a pod on the host network cannot be reached or cannot start, by checking\n"
      "every host port against the cloud security groups of the node it runs on.",
      "sgaudit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(sgaudit::service::buildInfo().version));
  app.footer("Configuration: flags, or the SGAUDIT_* environment variables named in each command's --help.");

  Common common;
  auto commands = allCommands();
  std::vector<CLI::App*> subcommands;
  for (auto& command : commands)
    subcommands.push_back(command->add(app, common));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usageError(std::string(e.what()) + " (see sgaudit --help)");
  }
  common.config.log_format = *sgaudit::service::parseLogFormat(common.log_format);

  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (!subcommands[i]->parsed()) continue;
    Command& command = *commands[i];
    if (command.wantsLogging())
      sgaudit::service::setupLogging(common.config.log_level, common.config.log_format);
    try {
      return command.run(common);
    } catch (const sgaudit::db::DbError& e) {
      return usageError(e.what());
    } catch (const std::filesystem::filesystem_error& e) {
      return usageError(e.what());  // a path that cannot be read or walked is the caller's input
    } catch (const std::exception& e) {
      std::cerr << "sgaudit: error: " << e.what() << "\n";
      return kExitFailure;
    }
  }
  return usageError("no command (see sgaudit --help)");
}
