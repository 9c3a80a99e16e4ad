// `sgaudit version`: the version, commit, compiler and database schema this binary was built with.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::cli {
namespace {

class Version final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common&) override {
    auto* version = app.add_subcommand("version", "Print the version, build and schema version");
    version->add_flag("--json", json_, "Print as JSON");
    return version;
  }

  int run(Common&) override {
    const auto info = service::buildInfo();
    if (json_) {
      std::cout << nlohmann::json{{"version", info.version},
                                  {"commit", info.commit},
                                  {"compiler", info.compiler},
                                  {"schema_version", info.schema_version}}
                       .dump()
                << "\n";
    } else {
      std::cout << "sgaudit " << info.version << " (commit " << info.commit << ", " << info.compiler
                << ", database schema " << info.schema_version << ")\n";
    }
    return kExitOk;
  }

 private:
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> versionCommand() {
  return std::make_unique<Version>();
}

}  // namespace sgaudit::cli
