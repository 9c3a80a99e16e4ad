// `sgaudit audit`: files and folders of inputs audited once, reported, and judged by the exit code.
#include <unistd.h>

#include <cstdlib>

#include "command.hpp"
#include "sgaudit/service/audit_command.hpp"

namespace sgaudit::cli {
namespace {

class Audit final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common&) override {
    auto* audit = app.add_subcommand(
        "audit", "Audit files and folders of inputs once and report (exit 0 clean, 1 findings, 2 bad input)");
    audit->add_option("paths", paths_, "Input files or folders (read recursively)")->required();
    audit
        ->add_option("--policy", options_.policy,
                     "Policy JSON (required sources, sensitive ports, suppressions)")
        ->check(CLI::ExistingFile);
    audit->add_option("--node-map", options_.node_map, "JSON object mapping node names to instance ids")
        ->check(CLI::ExistingFile);
    audit->add_option("--format", options_.format, "text, json, html, sarif or csv")
        ->check(CLI::IsMember({"text", "json", "html", "sarif", "csv"}))
        ->capture_default_str();
    audit->add_option("--output", options_.output,
                      "Write the report here instead of stdout (the console still gets the one-line summary "
                      "and the warnings)");
    audit
        ->add_option("--fail-on", fail_on_,
                     "Exit 1 when a finding is at or above: info, low, medium, high, critical")
        ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
        ->capture_default_str();
    audit->add_option("--today", options_.today,
                      "The date suppressions expire against (YYYY-MM-DD; default today)");
    audit
        ->add_option("--max-objects", options_.max_objects,
                     "Most Kubernetes objects the inputs may hold together (each costs about 1 KB of memory)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))
        ->capture_default_str();
    audit
        ->add_option(
            "--max-document-bytes", options_.max_document_bytes,
            "Largest document read whole (provider JSON, manifests; parsing takes about 10 times it)")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 34))
        ->capture_default_str();
    audit->add_flag(
        "--no-verify-fixes", no_verify_,
        "Do not prove fixes by auditing again with them applied (faster on large fleets; fixes then "
        "carry no \"verified\")");
    audit->add_flag("--timings", options_.timings,
                    "Print each step's wall time and the peak memory to stderr when done");
    return audit;
  }

  int run(Common&) override {
    for (const auto& path : paths_)
      options_.paths.emplace_back(path);
    options_.fail_on = *core::parseSeverity(fail_on_);
    options_.verify_fixes = !no_verify_;
    options_.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    return service::runAuditCommand(options_);
  }

 private:
  service::AuditOptions options_;
  std::vector<std::string> paths_;
  std::string fail_on_ = "low";
  bool no_verify_ = false;
};

}  // namespace

std::unique_ptr<Command> auditCommand() {
  return std::make_unique<Audit>();
}

}  // namespace sgaudit::cli
