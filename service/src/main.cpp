// sgaudit's command line: builds the application from the subcommands (service/src/cli/, one file each),
// parses, and runs the one parsed. Parsing and configuration errors print one line and exit 2; an error
// no command caught is one line (exit 2 for a path that cannot be read or walked, 1 otherwise), never an
// abort.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "sgaudit/db/database.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/logging.hpp"

#ifdef SGAUDIT_WITH_JEMALLOC
// jemalloc's options, read when it starts: transparent huge pages for its memory. An audit at fleet size
// touches a gigabyte of fresh memory, and on a virtual machine each 4 KiB page fault is costly: with 2 MiB
// pages the AWS stress fleet's audit took a third less wall time and a quarter of the system time
// (bench/fleet/run.sh). The kernel's default ("madvise") gives huge pages only to memory that asks.
// Memory an audit frees is handed back lazily (MADV_FREE, "muzzy") for 30 s before it is unmapped, so that
// the next step reusing it does not fault it in again: 4-5% off every fleet's wall time at the same peak (the
// kernel reclaims lazily freed pages as soon as it needs them).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf = "thp:always,metadata_thp:always,muzzy_decay_ms:30000";
}
#endif

namespace {

// Edit distance (insertions, deletions, substitutions, transpositions of neighbours).
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The closest of `names` to `word`, when close enough to be a typo.
std::string closest(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& name : names) {
    const std::size_t d = distance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

// CLI11's message, with what the user probably meant: a misspelt command or option gets its suggestion, and a
// bad value that came from an environment variable names the variable.
std::string explainParseError(const CLI::App& app, int argc, char** argv, std::string message) {
  // The command given, and the options of the deepest command that was parsed.
  const CLI::App* command = &app;
  for (const CLI::App* sub = &app; sub != nullptr;) {
    const CLI::App* next = nullptr;
    for (const auto* candidate : sub->get_subcommands([](const CLI::App* s) { return s->parsed(); }))
      next = candidate;
    if (next != nullptr) command = next;
    sub = next;
  }
  std::string hint;
  for (int i = 1; i < argc && hint.empty(); ++i) {
    const std::string_view arg(argv[i]);
    if (arg.starts_with("--")) {
      const std::string_view flag = arg.substr(0, arg.find('='));
      std::vector<std::string> options;
      for (const auto* option : command->get_options()) {
        for (const auto& name : option->get_lnames())
          options.push_back("--" + name);
      }
      if (std::find(options.begin(), options.end(), flag) != options.end()) continue;
      if (const auto best = closest(flag, options); !best.empty()) hint = "did you mean " + best + "?";
    } else if (command == &app && !arg.starts_with("-")) {
      std::vector<std::string> names;
      for (const auto* sub : app.get_subcommands({}))
        names.push_back(sub->get_name());
      if (std::find(names.begin(), names.end(), arg) != names.end()) break;
      message = "unknown command \"" + std::string(arg) + "\"";
      if (const auto best = closest(arg, names); !best.empty()) {
        hint = "did you mean `sgaudit " + best + "`?";
      } else {
        for (const auto& name : names)
          hint += (hint.empty() ? "the commands are " : ", ") + name;
      }
      break;
    }
  }
  // "--workers: Value abc not in range": when --workers was not on the command line, the value came from its
  // environment variable, which is what to fix.
  if (const auto colon = message.find(':');
      hint.empty() && message.starts_with("--") && colon != std::string::npos) {
    const std::string flag = message.substr(0, colon);
    bool given = false;
    for (int i = 1; i < argc; ++i)
      given = given || std::string_view(argv[i]).substr(0, flag.size()) == flag;
    if (!given) {
      for (const auto* option : command->get_options()) {
        const auto& names = option->get_lnames();
        if (std::find(names.begin(), names.end(), flag.substr(2)) == names.end()) continue;
        const std::string env = option->get_envname();
        if (!env.empty() && std::getenv(env.c_str()) != nullptr)
          message = env + " (for " + flag + ")" + message.substr(colon);
      }
    }
  }
  return message + (hint.empty() ? "" : "; " + hint) + " (see sgaudit --help)";
}

}  // namespace

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
    return usageError(explainParseError(app, argc, argv, e.what()));
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
