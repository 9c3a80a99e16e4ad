#include "sgaudit/service/audit_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <tuple>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/inputs/loader.hpp"
#include "sgaudit/report/render.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/scope_audit.hpp"

namespace sgaudit::service {
namespace {

using json = nlohmann::json;

std::string todayUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(now)};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::optional<std::string> readWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Whether a one-shot audit leaves its memory to the process's exit (see runAuditCommand): not under
// AddressSanitizer or LeakSanitizer, which would report it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kLeaveToExit = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
constexpr bool kLeaveToExit = false;
#else
constexpr bool kLeaveToExit = true;
#endif
#else
constexpr bool kLeaveToExit = true;
#endif

// `--timings`: each step's wall time and the peak memory so far at its end, printed to stderr when the
// command ends.
class StepTimes {
 public:
  explicit StepTimes(bool on) : on_(on) {}
  StepTimes(const StepTimes&) = delete;
  StepTimes& operator=(const StepTimes&) = delete;
  ~StepTimes() {
    if (!on_) return;
    begin("");
    double total = 0;
    std::string line;
    for (const auto& [name, seconds, peak] : steps_) {
      total += seconds;
      char text[64];
      std::snprintf(text, sizeof text, "%.2f s (%ld MB)", seconds, peak);
      line += (line.empty() ? "" : ", ") + name + " " + text;
    }
    char text[96];
    std::snprintf(text, sizeof text, "; total %.2f s, peak memory %ld MB", total, peakResidentMb());
    std::cerr << "timings: " << line << text << "\n";
  }
  // Ends the step under way and begins `name` (none when empty).
  void begin(std::string_view name) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!current_.empty())
      steps_.emplace_back(current_, std::chrono::duration<double>(now - started_).count(), peakResidentMb());
    current_ = name;
    started_ = now;
  }

 private:
  static long peakResidentMb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("VmHWM:")) return std::atol(line.c_str() + 6) / 1024;
    }
    return -1;
  }

  bool on_;
  std::string current_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::tuple<std::string, double, long>> steps_;  // name, seconds, peak memory at its end
};

int badInput(const std::string& message) {
  std::cerr << "sgaudit: error: " << message << "\n";
  return kAuditBadInput;
}

const char* colorOf(core::Severity severity) {
  switch (severity) {
    case core::Severity::Critical:
      return "\033[1;35m";
    case core::Severity::High:
      return "\033[1;31m";
    case core::Severity::Medium:
      return "\033[33m";
    case core::Severity::Low:
      return "\033[36m";
    case core::Severity::Info:
      return "\033[2m";
  }
  return "";
}

// Warnings listed in text; the JSON report has them all.
constexpr std::size_t kWarningsListed = 20;

std::string auditSummaryLine(const core::AuditResult& result, bool color) {
  const std::string reset = color ? "\033[0m" : "";
  const std::string bold = color ? "\033[1m" : "";
  std::map<core::Severity, int> counts;
  int suppressed = 0;
  for (const auto& finding : result.findings)
    finding.suppressed ? ++suppressed : ++counts[finding.severity];
  std::string out =
      bold + "sgaudit: " + std::to_string(result.findings.size() - static_cast<std::size_t>(suppressed)) +
      " finding(s)" + reset;
  std::string breakdown;
  for (auto it = counts.rbegin(); it != counts.rend(); ++it) {
    breakdown += (breakdown.empty() ? "" : ", ") + std::to_string(it->second) + " " +
                 std::string(core::toString(it->first));
  }
  if (!breakdown.empty()) out += " (" + breakdown + ")";
  if (suppressed > 0) out += ", " + std::to_string(suppressed) + " suppressed";
  if (!result.warnings.empty()) out += ", " + std::to_string(result.warnings.size()) + " warning(s)";
  return out;
}

std::string renderAuditWarnings(const core::AuditResult& result, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < result.warnings.size() && i < limit; ++i)
    out += "warning: " + result.warnings[i] + "\n";
  if (result.warnings.size() > limit) {
    out += "warning: and " + std::to_string(result.warnings.size() - limit) +
           " more (the JSON report lists them all)\n";
  }
  return out;
}

}  // namespace

std::string renderAuditText(const core::AuditResult& result, bool color) {
  const std::string reset = color ? "\033[0m" : "";
  const std::string bold = color ? "\033[1m" : "";
  std::string out = auditSummaryLine(result, color) + "\n";
  for (const auto& node : result.nodes) {
    out += "  node " + node.node +
           (node.instance_id.empty() ? ": not matched (" + node.method + ")"
                                     : " = " + node.instance_id + " (by " + node.method + ")") +
           "\n";
  }
  // What the audit could not judge comes before what it found: a finding count means little when half the
  // inputs were not used.
  if (!result.warnings.empty()) out += "\n" + renderAuditWarnings(result, kWarningsListed);
  for (const auto& finding : result.findings) {
    const std::string severity(core::toString(finding.severity));
    out += "\n" + (color ? std::string(colorOf(finding.severity)) : "") + "[" + severity + "]" + reset + " " +
           bold + finding.check_id + reset +
           (finding.suppressed ? " (suppressed: " + finding.suppression_reason + ")" : "") + "\n  " +
           finding.title + "\n";
    if (!finding.detail.empty()) out += "  " + finding.detail + "\n";
    for (const auto& evidence : finding.evidence) {
      std::string where;
      if (!evidence.source.file.empty()) {
        where = " (" + evidence.source.file +
                (evidence.source.line > 0 ? ":" + std::to_string(evidence.source.line) : "") + ")";
      }
      out += "    - " + evidence.kind + ": " + evidence.text + where + "\n";
    }
    for (const auto& fix : finding.fixes) {
      out += "    fix [" + fix.tool + "] " + fix.title + "\n";
      std::size_t start = 0;
      while (start < fix.content.size()) {
        const auto end = fix.content.find('\n', start);
        out += "        " +
               fix.content.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
    out += "    fingerprint " + finding.fingerprint + "\n";
  }
  return out;
}

namespace {

// The JSON document, compact, written a finding at a time: a fleet's report is a hundred megabytes of
// findings, whose DOM alone took several times that. `document` is the rest of it, in key order.
bool writeReportJson(std::ostream& out, const core::AuditResult& result, const json& document) {
  writeAuditJson(out, document, [&result](std::ostream& stream) {
    stream << '[';
    // In blocks, two turned into text side by side (the audit's threads are done) while the one before
    // them is written: on a fleet, writing was a single core's second.
    const auto& findings = result.findings;
    constexpr std::size_t kBlock = 256;
    auto text = [&findings](std::size_t begin) {
      std::string block;
      for (std::size_t i = begin; i < std::min(findings.size(), begin + kBlock); ++i) {
        if (i > 0) block += ',';
        core::appendJson(block, findings[i]);
      }
      return block;
    };
    std::deque<std::future<std::string>> pending;
    std::size_t next = 0;
    auto launch = [&] {
      if (next >= findings.size()) return;
      pending.push_back(std::async(std::launch::async, text, next));
      next += kBlock;
    };
    launch();
    launch();
    while (!pending.empty()) {
      const std::string block = pending.front().get();
      pending.pop_front();
      launch();
      stream << block;
    }
    stream << ']';
  });
  out << "\n";
  return static_cast<bool>(out.flush());
}

// YYYY-MM-DD, a real day of the Gregorian calendar.
bool validDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (text[i] < '0' || text[i] > '9') return false;
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

}  // namespace

int runAuditCommand(const AuditOptions& options) {
  if (options.format != "text" && options.format != "json" && options.format != "html" &&
      options.format != "sarif" && options.format != "csv") {
    return badInput("unknown format \"" + options.format + "\": expected text, json, html, sarif or csv");
  }
  if (!options.today.empty() && !validDate(options.today)) {
    // Suppressions expire against it: a date that is none would expire every one without a word.
    return badInput("--today \"" + options.today + "\": expected a date YYYY-MM-DD");
  }
  StepTimes times(options.timings);
  times.begin("read inputs");
  // The audit's inputs and result. A one-shot audit ends the process: what they hold (on a fleet, half a
  // gigabyte of pods, rules and findings) goes back to the system in one go when it exits, not object by
  // object here (0.2 s on the Huawei stress fleet). Freed as usual under a leak checker.
  struct Held {
    core::AuditInput input;
    core::AuditResult result;
  };
  auto held = std::make_unique<Held>();
  struct LeftToExit {
    std::unique_ptr<Held>& held;
    ~LeftToExit() {
      if (kLeaveToExit) (void)held.release();  // NOLINT: left to the process's exit, on purpose
    }
  } left_to_exit{held};
  core::AuditInput& input = held->input;
  json policy_document;  // shown in the HTML report as given
  input.today = options.today.empty() ? todayUtc() : options.today;
  input.verify_fixes = options.verify_fixes;
  if (options.policy) {
    const auto text = readWhole(*options.policy);
    if (!text) return badInput(options.policy->string() + ": cannot read the policy");
    const json document = json::parse(*text, nullptr, false);
    if (document.is_discarded()) return badInput(options.policy->string() + ": not valid JSON");
    policy_document = document;
    auto policy = core::parsePolicy(document);
    if (!policy) return badInput(options.policy->string() + ": " + policy.error().message);
    input.policy = *policy;
  }
  if (options.node_map) {
    const auto text = readWhole(*options.node_map);
    const json document = text ? json::parse(*text, nullptr, false) : json();
    if (!document.is_object()) {
      return badInput(options.node_map->string() + ": expected a JSON object of node name -> instance id");
    }
    for (const auto& [node, instance] : document.items()) {
      if (!instance.is_string())
        return badInput(options.node_map->string() + ": /" + node + ": expected a string");
      input.node_instance_map[node] = instance.get<std::string>();
    }
  }
  cloud::inputs::InputLoader loader;
  loader.setObjectBudget(options.max_objects);
  loader.setDocumentLimit(options.max_document_bytes);
  std::vector<std::filesystem::path> skip;
  if (options.policy) skip.push_back(*options.policy);
  if (options.node_map) skip.push_back(*options.node_map);
  std::vector<cloud::InputError> errors;
  for (const auto& path : options.paths) {
    if (isatty(STDERR_FILENO) != 0) std::cerr << "reading " << path.string() << "...\r" << std::flush;
    for (auto& error : loader.addPath(path, skip))
      errors.push_back(std::move(error));
  }
  if (isatty(STDERR_FILENO) != 0) std::cerr << "\033[K";
  if (!errors.empty()) {
    for (const auto& error : errors)
      std::cerr << "sgaudit: error: " << error.toString() << "\n";
    return kAuditBadInput;
  }
  cloud::inputs::Inventory inventory = loader.take();
  if (inventory.inputs.empty()) return badInput("no inputs found in the given paths");
  input.cluster = std::move(inventory.cluster);
  input.cloud = std::move(inventory.cloud);

  if (options.timings) input.on_step = [&times](std::string_view step) { times.begin(step); };
  held->result = core::runAudit(input);
  core::AuditResult& result = held->result;
  times.begin("render fixes");
  cloud::inputs::renderCloudFixes(result.findings);
  // What the readers warned of, and the files of a folder that were not inputs, come before what the audit
  // could not judge.
  std::vector<std::string> warnings = inventory.warnings;
  constexpr std::size_t kSkippedListed = 50;
  for (std::size_t i = 0; i < inventory.skipped.size() && i < kSkippedListed; ++i)
    warnings.push_back("skipped " + inventory.skipped[i].name + ": " + inventory.skipped[i].reason);
  if (inventory.skipped.size() > kSkippedListed) {
    warnings.push_back("skipped " + std::to_string(inventory.skipped.size() - kSkippedListed) +
                       " more files that are not inputs (the JSON report lists them all)");
  }
  result.warnings.insert(result.warnings.begin(), warnings.begin(), warnings.end());

  times.begin("write the report");
  auto documentOf = [&](bool with_findings) {
    json document = auditDocument(result, inventory.inputs, with_findings);
    for (const auto& skipped : inventory.skipped)
      document["inputs"].push_back({{"name", skipped.name}, {"kind", "skipped"}, {"reason", skipped.reason}});
    return document;
  };
  auto summarise = [&] {
    // The report went to a file; the console still gets the verdict and what could not be judged.
    std::cout << auditSummaryLine(result, false) << ", written to " << options.output->string() << "\n"
              << renderAuditWarnings(result, kWarningsListed);
  };
  auto exitCode = [&] {
    for (const auto& finding : result.findings) {
      if (!finding.suppressed && finding.severity >= options.fail_on) return kAuditFindings;
    }
    return kAuditClean;
  };
  // JSON for a person at a terminal is indented; for a file or a pipe it is compact and streamed.
  if (options.format == "json" && (options.output || isatty(STDOUT_FILENO) == 0)) {
    const json document = documentOf(false);
    if (!options.output) {
      writeReportJson(std::cout, result, document);
      return exitCode();
    }
    std::ofstream out(*options.output, std::ios::binary | std::ios::trunc);
    if (!out || !writeReportJson(out, result, document))
      return badInput(options.output->string() + ": cannot write");
    summarise();
    return exitCode();
  }
  std::string text;
  if (options.format == "text") {
    text = renderAuditText(result, options.color && !options.output);
    if (!inventory.skipped.empty()) {
      text += "\n" + std::to_string(inventory.inputs.size()) + " input(s) read, " +
              std::to_string(inventory.skipped.size()) + " file(s) skipped as not inputs\n";
    }
  } else {
    json document = documentOf(true);
    if (options.format == "json") {
      text = document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    } else {
      report::ReportMeta meta;
      for (const auto& path : options.paths) {
        auto normal = std::filesystem::absolute(path).lexically_normal();
        if (normal.filename().empty()) normal = normal.parent_path();  // "cce-seed/"
        meta.scope += (meta.scope.empty() ? "" : ", ") + normal.filename().string();
      }
      meta.audited_at = input.today;
      meta.policy = policy_document;
      auto view = report::reportViewFromJson(document, std::move(meta));
      if (!view) return badInput("cannot build the report: " + view.error().message);
      text = options.format == "html"    ? report::renderHtml(*view)
             : options.format == "sarif" ? report::renderSarif(*view)
                                         : report::renderCsv(*view);
    }
  }
  if (options.output) {
    std::ofstream out(*options.output, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text)) return badInput(options.output->string() + ": cannot write");
    summarise();
  } else {
    std::cout << text;
  }
  return exitCode();
}

}  // namespace sgaudit::service
