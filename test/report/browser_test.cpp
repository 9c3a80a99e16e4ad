// The HTML report in real headless Chromium (/usr/bin/chromium driven by playwright-core from tools/npm):
// what a person sees, the filters, and that hostile values run no script.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <sstream>

#include "html_options.hpp"
#include "report/synthetic_audit.hpp"
#include "report_fixture.hpp"
#include "sgaudit/report/render.hpp"

namespace sgaudit::report {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::filesystem::path findProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = findProgram("node");
    ASSERT_FALSE(node_.empty()) << "node is not on PATH: run scripts/install-deps.sh";
    ASSERT_TRUE(
        std::filesystem::exists(std::filesystem::path(SGAUDIT_NPM_DIR) / "node_modules/playwright-core"))
        << "tools/npm/node_modules/playwright-core is missing: run scripts/install-deps.sh";
    const char* chromium = std::getenv("SGAUDIT_CHROMIUM");
    ASSERT_TRUE(std::filesystem::exists(chromium ? chromium : "/usr/bin/chromium"))
        << "Chromium is missing: apt-get install chromium (scripts/install-deps.sh)";
    std::filesystem::create_directories(artifacts());
  }

  static std::filesystem::path artifacts() { return SGAUDIT_ARTIFACT_DIR; }

  // Writes the pages, opens them in one Chromium (a fresh context each) and returns what the script saw,
  // one object per page. The pages and their screenshots are kept under the build folder
  // (test/report/artifacts/) as the test's artefacts.
  std::vector<json> inBrowser(const std::vector<std::pair<std::string, std::string>>& pages,
                              const std::string& script = "browser_check.cjs") {
    std::vector<std::string> command = {"/usr/bin/timeout",
                                        "--kill-after=10",
                                        "150",
                                        node_.string(),
                                        std::string(SGAUDIT_REPORT_TEST_DIR) + "/" + script,
                                        SGAUDIT_NPM_DIR};
    std::vector<std::filesystem::path> screenshots;
    for (const auto& [name, html] : pages) {
      const auto page = artifacts() / (name + ".html");
      screenshots.push_back(artifacts() / (name + ".png"));
      std::ofstream(page, std::ios::binary) << html;
      std::filesystem::remove(screenshots.back());
      command.push_back(page.string());
      command.push_back(screenshots.back().string());
    }
    // timeout(1) ends a hung browser, so the test fails instead of blocking CI.
    const auto result = test::runProcess(command);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    if (result.exit_code != 0) return std::vector<json>(pages.size(), json::object());
    for (const auto& screenshot : screenshots)
      EXPECT_TRUE(std::filesystem::exists(screenshot) && std::filesystem::file_size(screenshot) > 0);
    const json out = json::parse(result.out);
    return out.is_array() ? out.get<std::vector<json>>() : std::vector<json>{out};
  }

  json inBrowser(const std::string& name, const std::string& html,
                 const std::string& script = "browser_check.cjs") {
    return inBrowser({{name, html}}, script).front();
  }

  std::filesystem::path node_;
};

const json* filterResult(const json& facts, const std::string& key, const std::string& value) {
  for (const auto& item : facts.at("filters")) {
    if (item.contains(key) && item.at(key) == value) return &item;
  }
  return nullptr;
}

// Test the cce-seed report as a person sees it: its own script runs under the CSP, nothing is fetched, the
// summary says 6 findings (1 critical, 3 high, 2 medium), the matrix shows 80/TCP blocked from the internet
// on node 10.1.0.55, the severity filter narrows the list and clearing it restores it, a copy button copies.
TEST_F(BrowserTest, CceSeedReport) {
  const ReportView view = fixture::seedView();
  const json facts = inBrowser("cce-seed", renderHtml(view));
  ASSERT_FALSE(facts.empty());
  EXPECT_TRUE(facts.at("script_ran"));
  EXPECT_THAT(facts.at("csp_violations"), IsEmpty());
  EXPECT_THAT(facts.at("external_requests"), IsEmpty());
  EXPECT_THAT(facts.at("page_errors"), IsEmpty());
  EXPECT_THAT(facts.at("dialogs"), IsEmpty());
  EXPECT_EQ(facts.at("scope"), "cce-seed");
  EXPECT_EQ(facts.at("total"), std::to_string(view.findings.size()));
  EXPECT_EQ(facts.at("total"), "6");
  EXPECT_EQ(facts.at("by_severity"),
            (json{{"critical", "1"}, {"high", "3"}, {"medium", "1"}, {"low", "0"}, {"info", "1"}}));
  EXPECT_EQ(facts.at("by_check").at("sg.port-blocked"), "1");
  EXPECT_FALSE(facts.at("by_check").contains("sg.nodepool-inconsistent"));  // no table of zeros

  // Above the fold at 1400x900: the critical finding first, then the three high ones, each with a fix.
  const json& fold = facts.at("above_the_fold");
  ASSERT_EQ(fold.size(), 4U);
  EXPECT_EQ(fold[0].at("severity"), "critical");
  EXPECT_THAT(fold[0].at("title").get<std::string>(), HasSubstr("22/TCP is open to the whole internet"));
  for (const json& item : fold) {
    EXPECT_TRUE(item.at("visible")) << item.dump();
    EXPECT_THAT(item.at("fix").get<std::string>(), Not(IsEmpty())) << item.dump();
  }
  EXPECT_EQ(fold[1].at("severity"), "high");

  // Every port a finding is about: SSH 22, exposed, and 80, partly blocked as its finding says.
  ASSERT_EQ(facts.at("matrix").size(), 2U);
  const json& ssh = facts.at("matrix")[0];
  EXPECT_EQ(ssh.at("column"), "22/TCP");
  EXPECT_THAT(ssh.at("text").get<std::string>(), HasSubstr("exposed to the internet"));
  EXPECT_TRUE(ssh.at("visible"));
  const json& cell = facts.at("matrix")[1];
  EXPECT_EQ(cell.at("node"), "10.1.0.55");
  EXPECT_EQ(cell.at("column"), "80/TCP");
  EXPECT_THAT(cell.at("text").get<std::string>(), HasSubstr("partly blocked"));
  EXPECT_THAT(cell.at("text").get<std::string>(), HasSubstr("blocked from the internet"));
  EXPECT_THAT(cell.at("text").get<std::string>(), HasSubstr("CONFLICT"));
  EXPECT_TRUE(cell.at("visible"));
  EXPECT_NE(cell.at("background"), "rgba(0, 0, 0, 0)");  // coloured by the style sheet the CSP admitted
  EXPECT_NE(ssh.at("background"), cell.at("background"));

  EXPECT_EQ(facts.at("findings_visible"), 6);
  const json* high = filterResult(facts, "severity", "high");
  ASSERT_NE(high, nullptr);
  EXPECT_EQ(high->at("visible"), 3);
  EXPECT_EQ(high->at("shown"), "3");
  const json* blocked = filterResult(facts, "check", "sg.port-blocked");
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->at("visible"), 1);
  const json* no_namespace = filterResult(facts, "namespace", "ns:");
  ASSERT_NE(no_namespace, nullptr);
  EXPECT_EQ(no_namespace->at("visible"), 1);  // the sshd finding is about a node, not a namespace
  EXPECT_EQ(facts.at("findings_visible_after_reset"), 6);

  EXPECT_EQ(facts.at("copy_button").at("before"), "Copy huawei-api");
  EXPECT_NE(facts.at("copy_button").at("after"), facts.at("copy_button").at("before"));
  EXPECT_EQ(facts.at("script_elements"), 1);
}

// Test the report of hostile input, in both layouts (details as HTML, and as a JSON data island that the
// script builds from when every group and finding is opened): no dialog opens and no injected script or
// handler runs while every section is open and the mouse passes over the values, and the text shows
// literally.
TEST_F(BrowserTest, HostileReportRunsNoScript) {
  const ReportView view = fixture::hostileView();
  const auto pages =
      inBrowser({{"hostile", renderHtml(view)}, {"hostile-island", detail::renderHtml(view, {0})}});
  ASSERT_EQ(pages.size(), 2U);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    SCOPED_TRACE(i == 0 ? "details as HTML" : "details as a data island");
    const json& facts = pages[i];
    ASSERT_FALSE(facts.empty());
    EXPECT_TRUE(facts.at("script_ran"));
    EXPECT_THAT(facts.at("dialogs"), IsEmpty());
    EXPECT_FALSE(facts.at("injected_global"));
    EXPECT_THAT(facts.at("csp_violations"), IsEmpty());
    EXPECT_THAT(facts.at("external_requests"), IsEmpty());
    EXPECT_THAT(facts.at("page_errors"), IsEmpty());
    EXPECT_EQ(facts.at("handler_attributes"), 0);
    EXPECT_EQ(facts.at("javascript_links"), 0);
    EXPECT_EQ(facts.at("scope"), "<script>alert(1)</script> scope");
    EXPECT_EQ(facts.at("audited_at"), "\" onmouseover=\"alert(2)");
    const std::string text = facts.at("body_text");
    EXPECT_THAT(text, HasSubstr("<script>alert(1)</script>"));
    EXPECT_THAT(text, HasSubstr("\" onmouseover=\"alert(2)"));
    EXPECT_THAT(text, HasSubstr("javascript:alert(3)"));
    EXPECT_THAT(text, HasSubstr("<img src=x onerror=\"window.__sgauditInjected=1\">"));
    EXPECT_THAT(text, HasSubstr("{{scope}} <!-- </details> -->"));        // a finding's detail
    EXPECT_THAT(text, HasSubstr("Copy kubernetes-patch"));                // a fix's copy button
    EXPECT_THAT(text, HasSubstr("name: \"\" onmouseover=\"alert(2)\""));  // the fix itself
    const json* check = filterResult(facts, "check", "custom.<script>alert(1)</script>");
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->at("shown"), "1");
  }
  EXPECT_EQ(pages[0].at("script_elements"), 1);
  EXPECT_EQ(filterResult(pages[0], "check", "custom.<script>alert(1)</script>")->at("visible"), 1);
  EXPECT_EQ(pages[1].at("script_elements"), 2);  // the page's script and the data island, which never runs
}

// Test that a large matrix (its groups built by the page's script from a data island when opened) reads
// exactly as the tables the template writes inline: the same groups, and in each the same rows, cells,
// classes, data attributes, tooltips, verdicts and badges; that no table is there before a group is opened;
// and that a small matrix stays inline, readable without the script.
TEST_F(BrowserTest, LargeMatrixIsBuiltAsTheTemplateWritesIt) {
  json audit = synthetic::audit(300, 40);
  // Nodes that read differently (a port of their own each), so that there are several collapsed groups.
  for (std::size_t i = 3; i < audit["matrix"].size(); i += 4)
    audit["matrix"][i]["port"] = 9000 + static_cast<int>(i / 4 % 150);
  audit["matrix"][0]["status"] = "blocked";
  auto built = reportViewFromJson(audit, {"fleet", "2026-11-25T10:00:00Z", nullptr, {}});
  ASSERT_TRUE(built) << built.error().message;
  detail::HtmlOptions lazy;
  lazy.inline_matrix_rows_up_to = 0;
  const std::vector<json> pages =
      inBrowser({{"matrix-inline", renderHtml(*built)}, {"matrix-lazy", detail::renderHtml(*built, lazy)}},
                "browser_matrix_check.cjs");
  ASSERT_EQ(pages.size(), 2U);
  const json& inline_page = pages[0];
  const json& lazy_page = pages[1];
  for (const json& page : pages) {
    ASSERT_FALSE(page.empty());
    EXPECT_TRUE(page.at("script_ran"));
    EXPECT_THAT(page.at("page_errors"), IsEmpty());
    EXPECT_THAT(page.at("csp_violations"), IsEmpty());
  }
  EXPECT_GE(inline_page.at("groups").get<int>(), 2);
  EXPECT_EQ(inline_page.at("groups_open"), 0);
  EXPECT_FALSE(inline_page.at("data_island"));
  EXPECT_EQ(inline_page.at("tables_before"), inline_page.at("groups"));
  EXPECT_TRUE(lazy_page.at("data_island"));
  EXPECT_EQ(lazy_page.at("tables_before"), 0);
  ASSERT_EQ(lazy_page.at("tables").size(), inline_page.at("tables").size());
  for (std::size_t g = 0; g < inline_page.at("tables").size(); ++g) {
    const json& expected = inline_page.at("tables")[g];
    ASSERT_TRUE(expected.is_string());
    EXPECT_THAT(expected.get<std::string>(), HasSubstr("data-port=\"9"));
    const std::string want = expected.get<std::string>();
    const std::string got =
        lazy_page.at("tables")[g].is_string() ? lazy_page.at("tables")[g].get<std::string>() : "";
    std::size_t at = 0;
    while (at < want.size() && at < got.size() && want[at] == got[at])
      ++at;
    const std::size_t from = at < 200 ? 0 : at - 200;
    EXPECT_EQ(got, want) << "group " << g << " differs at " << at << ": inline \"" << want.substr(from, 400)
                         << "\", built \"" << got.substr(from, 400) << "\"";
  }
}

// Test that a report of 500 nodes and 5,000 findings stays usable: it opens with every check group
// collapsed and no finding built, the matrix merges nodes that read the same, the filters count all 5,000
// findings, opening a group builds its first 250, a filter hides the built ones that do not match,
// opening a finding shows its subjects, evidence, deciding rule and a copy button per fix, and a link to a
// finding nobody opened reveals it; printing shows every finding the filters show, with its details.
TEST_F(BrowserTest, LargeReportStaysUsable) {
  auto built =
      reportViewFromJson(synthetic::audit(500, 5000), {"fleet", "2026-11-25T10:00:00Z", nullptr, {}});
  ASSERT_TRUE(built) << built.error().message;
  const ReportView& view = *built;
  std::size_t high = 0;
  std::size_t conflicts = 0;
  std::size_t team3 = 0;
  for (const auto& finding : view.findings) {
    high += finding.severity == core::Severity::High;
    conflicts += finding.check_id == "hostport.conflict";
    team3 += finding.namespace_name == "team-3";
  }
  const json facts = inBrowser("large", renderHtml(view), "browser_scale_check.cjs");
  ASSERT_FALSE(facts.empty());
  EXPECT_TRUE(facts.at("script_ran"));
  EXPECT_THAT(facts.at("page_errors"), IsEmpty());
  EXPECT_THAT(facts.at("csp_violations"), IsEmpty());
  EXPECT_THAT(facts.at("external_requests"), IsEmpty());
  EXPECT_THAT(facts.at("dialogs"), IsEmpty());
  EXPECT_EQ(facts.at("executable_scripts"), 1);
  EXPECT_EQ(facts.at("total"), "5000");
  EXPECT_EQ(facts.at("shown"), "5000");
  EXPECT_EQ(facts.at("groups"), 8);
  EXPECT_EQ(facts.at("groups_open"), 0);
  EXPECT_EQ(facts.at("finding_elements"), 0);
  EXPECT_EQ(facts.at("matrix_nodes"), 500);
  EXPECT_LE(facts.at("matrix_rows").get<int>(), 20);

  const json& filters = facts.at("filters");
  EXPECT_EQ(filters.at("high"), std::to_string(high));
  EXPECT_EQ(filters.at("check"), std::to_string(conflicts));
  EXPECT_EQ(filters.at("groups_visible_for_check"), json::array({"hostport.conflict"}));
  EXPECT_EQ(filters.at("namespace"), std::to_string(team3));
  EXPECT_EQ(filters.at("after_reset"), "5000");

  EXPECT_EQ(facts.at("built_after_opening"), 250);
  EXPECT_EQ(facts.at("visible_after_opening"), 250);
  EXPECT_GT(facts.at("visible_high_in_open_chunk").get<int>(), 0);
  EXPECT_EQ(facts.at("visible_not_high_in_open_chunk"), 0);

  const json& opened = facts.at("opened");
  EXPECT_EQ(opened.at("headings"), json::array({"Subjects", "Deciding rule", "Evidence", "Fixes"}));
  EXPECT_EQ(opened.at("facts"), json::array({"Check", "Namespace", "Node", "Port", "Fingerprint"}));
  EXPECT_EQ(opened.at("subjects"), 3);
  EXPECT_EQ(opened.at("evidence"), 2);
  EXPECT_EQ(opened.at("rules"),
            json::array({"not admitted: 0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8 (no rule matched: default deny)"}));
  EXPECT_EQ(opened.at("copy_buttons"), json::array({"Copy huawei-api", "Copy hcloud", "Copy terraform"}));
  EXPECT_THAT(opened.at("fix_text").get<std::string>(),
              HasSubstr("POST /v3/{project_id}/vpc/security-group-rules"));
  EXPECT_NE(facts.at("copy_button").at("after"), facts.at("copy_button").at("before"));
  EXPECT_EQ(facts.at("revealed"), (json{{"open", true}, {"visible", true}, {"body", true}}));
  EXPECT_EQ(facts.at("print"), (json{{"findings", team3}, {"with_details", team3}, {"other_namespaces", 0}}));
}

// Test that the checks above would catch an injection: the same page with a raw payload inserted opens a
// dialog and sets the global when the CSP is removed, and is stopped by the CSP (a reported violation, no
// dialog) when it stays.
TEST_F(BrowserTest, InjectedPayloadWouldBeDetected) {
  const std::string html = renderHtml(fixture::hostileView());
  const std::string payload =
      "<img src=\"missing.png\" onerror=\"window.__sgauditInjected=1;alert('injected')\">";
  std::string with_csp = html;
  with_csp.insert(with_csp.find("<main>"), payload);
  std::string without_csp = with_csp;
  const auto meta = without_csp.find("<meta http-equiv=\"Content-Security-Policy\"");
  ASSERT_NE(meta, std::string::npos);
  without_csp.erase(meta, without_csp.find('>', meta) + 1 - meta);

  const auto pages = inBrowser({{"control-without-csp", without_csp}, {"control-with-csp", with_csp}});
  ASSERT_EQ(pages.size(), 2U);
  const json& open = pages[0];
  ASSERT_FALSE(open.empty());
  EXPECT_TRUE(open.at("injected_global"));
  EXPECT_EQ(open.at("dialogs"), json::array({"injected"}));

  const json& guarded = pages[1];
  ASSERT_FALSE(guarded.empty());
  EXPECT_FALSE(guarded.at("injected_global"));
  EXPECT_THAT(guarded.at("dialogs"), IsEmpty());
  EXPECT_THAT(guarded.at("csp_violations"), Not(IsEmpty()));
}

}  // namespace
}  // namespace sgaudit::report
