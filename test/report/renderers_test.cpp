// The four renderers on the cce-seed audit (golden files) and on hostile input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "html_options.hpp"
#include "report/synthetic_audit.hpp"
#include "report_fixture.hpp"
#include "sgaudit/report/render.hpp"
#include "sha256.hpp"

namespace sgaudit::report {
namespace {

using json = nlohmann::json;
using fixture::expectGolden;
using fixture::hostileView;
using fixture::seedAudit;
using fixture::seedMeta;
using fixture::seedView;
using ::testing::HasSubstr;
using ::testing::Not;

std::size_t countOf(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return {};
  const auto end = text.find(close, start + open.size());
  return end == std::string::npos ? std::string()
                                  : text.substr(start + open.size(), end - start - open.size());
}

// Splits RFC 4180 CSV into rows of cells (quoted cells may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(cell));
      cell.clear();
      rows.emplace_back();
      ++i;
    } else {
      cell += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// ---- golden files ----

// Test the JSON report of the cce-seed audit against its golden file.
TEST(RenderersTest, CceSeedJsonGolden) {
  expectGolden("cce-seed.json", renderJson(seedView()));
}

// Test the CSV report of the cce-seed audit against its golden file.
TEST(RenderersTest, CceSeedCsvGolden) {
  expectGolden("cce-seed.csv", renderCsv(seedView()));
}

// Test the SARIF log of the cce-seed audit against its golden file.
TEST(RenderersTest, CceSeedSarifGolden) {
  expectGolden("cce-seed.sarif", renderSarif(seedView()));
}

// Test the HTML report of the cce-seed audit against its golden file.
TEST(RenderersTest, CceSeedHtmlGolden) {
  expectGolden("cce-seed.html", renderHtml(seedView()));
}

// ---- JSON ----

// Test that the JSON report keeps the API's finding shape (the audit's own findings, unchanged), recounts
// the summary, and says how the matrix cell looks from the internet.
TEST(RenderersTest, JsonKeepsTheFindingShape) {
  const json report = json::parse(renderJson(seedView()));
  EXPECT_EQ(report.at("findings"), seedAudit().at("findings"));
  EXPECT_EQ(report.at("summary").at("by_severity"), seedAudit().at("summary").at("by_severity"));
  EXPECT_EQ(report.at("summary").at("by_check"), seedAudit().at("summary").at("by_check"));
  EXPECT_EQ(report.at("report").at("scope"), "cce-seed");
  EXPECT_EQ(report.at("matrix")[0].at("internet"), "blocked");
  EXPECT_EQ(report.at("matrix")[0].at("conflict"), true);
  EXPECT_FALSE(report.contains("changes"));
}

// ---- CSV ----

// Test that the CSV has a header and one row per finding, CRLF line ends, and quotes only cells that need it.
TEST(RenderersTest, CsvOneRowPerFinding) {
  const std::string csv = renderCsv(seedView());
  const auto rows = parseCsv(csv);
  ASSERT_EQ(rows.size(), 7U);
  EXPECT_EQ(rows[0][0], "severity");
  EXPECT_EQ(rows[0].size(), 16U);
  for (const auto& row : rows)
    EXPECT_EQ(row.size(), 16U);
  EXPECT_EQ(rows[1][0], "critical");
  EXPECT_EQ(rows[1][1], "sg.sensitive-port-exposed");
  EXPECT_EQ(rows[1][8], "cce-seed/node-sockets/10.1.0.55.txt:4");
  EXPECT_EQ(rows[1][12], "1a1f759ace649f586593243667d402e3");
  EXPECT_EQ(countOf(csv, "\r\n"), rows.size());  // records end in CRLF...
  EXPECT_THAT(
      csv,
      HasSubstr(",\"scheduling: node 10.1.0.55 can host one replica"));  // ...multi-line cells are quoted
}

// Test that the audit's warnings come first in the CSV, a row each of severity "warning", before the
// findings.
TEST(RenderersTest, CsvStartsWithTheWarnings) {
  json audit = seedAudit();
  audit["warnings"] = {"node-sockets/ghost.txt: no node is named \"ghost\"", "=cmd|' /C calc'!A0"};
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  const auto rows = parseCsv(renderCsv(*view));
  ASSERT_EQ(rows.size(), 9U);
  EXPECT_EQ(rows[1][0], "warning");
  EXPECT_EQ(rows[1][1], "sgaudit.warning");
  EXPECT_EQ(rows[1][2], "node-sockets/ghost.txt: no node is named \"ghost\"");
  EXPECT_EQ(rows[2][2], "'=cmd|' /C calc'!A0");  // a warning is guarded like any cell
  EXPECT_EQ(rows[3][0], "critical");
  for (const auto& row : rows)
    EXPECT_EQ(row.size(), 16U);
}

// Test that cells a spreadsheet would run as formulas (= + - @) get a leading ' and quotes are doubled.
TEST(RenderersTest, CsvGuardsAgainstFormulaInjection) {
  const auto rows = parseCsv(renderCsv(hostileView()));
  ASSERT_EQ(rows.size(), 5U);  // the header, the hostile warning and three findings
  EXPECT_EQ(rows[1][0], "warning");
  EXPECT_EQ(rows[3][2], "'=HYPERLINK(\"javascript:alert(3)\") \" onmouseover=\"alert(2)");
  EXPECT_EQ(rows[3][9], "'+cmd|' /C calc'!A0");
  EXPECT_EQ(rows[4][2], "'-2+3 in javascript:alert(3)");
  EXPECT_EQ(rows[3][10], "\" onmouseover=\"alert(2): @SUM(1+1)*cmd|' /C calc'!A0 (javascript:alert(3))");
  for (const auto& row : rows) {
    for (const auto& cell : row) {
      ASSERT_FALSE(!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@'))
          << cell;
    }
  }
}

// ---- SARIF ----

// Test the SARIF log's structure: one rule per check id, levels from severity, the socket file and line as
// the location, the fingerprint as a partial fingerprint, subjects as logical locations.
TEST(RenderersTest, SarifRulesLevelsLocationsFingerprints) {
  const json sarif = json::parse(renderSarif(seedView()));
  EXPECT_EQ(sarif.at("version"), "2.1.0");
  const json& run = sarif.at("runs")[0];
  const json& rules = run.at("tool").at("driver").at("rules");
  std::set<std::string> ids;
  for (const auto& rule : rules)
    ids.insert(rule.at("id").get<std::string>());
  EXPECT_EQ(ids.size(), rules.size());
  EXPECT_EQ(ids.size(), 8U);
  const json& results = run.at("results");
  ASSERT_EQ(results.size(), 6U);
  const json& exposed = results[0];
  EXPECT_EQ(exposed.at("ruleId"), "sg.sensitive-port-exposed");
  EXPECT_EQ(rules[exposed.at("ruleIndex").get<std::size_t>()].at("id"), "sg.sensitive-port-exposed");
  EXPECT_EQ(exposed.at("level"), "error");
  const json& physical = exposed.at("locations")[0].at("physicalLocation");
  EXPECT_EQ(physical.at("artifactLocation").at("uri"), "cce-seed/node-sockets/10.1.0.55.txt");
  EXPECT_EQ(physical.at("region").at("startLine"), 4);
  EXPECT_EQ(exposed.at("partialFingerprints").at("sgauditFingerprint/v1"),
            "1a1f759ace649f586593243667d402e3");
  EXPECT_EQ(exposed.at("locations")[0].at("logicalLocations")[0].at("fullyQualifiedName"),
            "SecurityGroup/cce-demo-cce-node-x7k2");
  for (const auto& result : results) {
    // The seed's DNS policy is a risk (info, nothing names a cluster name); its undeclared port is medium.
    if (result.at("ruleId") == "hostnetwork.dns-policy") {
      EXPECT_EQ(result.at("level"), "note");
    }
    if (result.at("ruleId") == "hostport.undeclared") {
      EXPECT_EQ(result.at("level"), "warning");
    }
  }
}

// Test that a manifest with a line wins as the location, that file names become percent-encoded URI
// references, and that suppressed findings carry a SARIF suppression.
TEST(RenderersTest, SarifPrefersManifestLinesAndEncodesUris) {
  const json sarif = json::parse(renderSarif(hostileView()));
  const json& first = sarif.at("runs")[0].at("results")[0];
  const json& physical = first.at("locations")[0].at("physicalLocation");
  EXPECT_EQ(physical.at("artifactLocation").at("uri"), "inputs/%22%20onmouseover%3D%22alert%282%29.yaml");
  EXPECT_EQ(physical.at("region").at("startLine"), 7);
  EXPECT_EQ(first.at("relatedLocations").size(), 1U);

  json audit = seedAudit();
  audit["findings"][0]["suppressed"] = {{"reason", "bastion move"}};
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view);
  const json suppressed = json::parse(renderSarif(*view));
  EXPECT_EQ(suppressed.at("runs")[0].at("results")[0].at("suppressions")[0].at("justification"),
            "bastion move");
}

// ---- HTML ----

const std::string kIslandOpen = "<script type=\"application/json\" id=\"finding-details\">";

json islandOf(const std::string& html) {
  const std::string text = between(html, kIslandOpen, "</script>");
  return text.empty() ? json() : json::parse(text);
}

// Test that the page carries a CSP that allows only its own inline style and script, by their hashes, and
// fetches nothing from anywhere.
TEST(RenderersTest, HtmlContentSecurityPolicy) {
  const std::string html = renderHtml(seedView());
  const std::string csp = between(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">");
  ASSERT_FALSE(csp.empty());
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-eval")));
  const std::string style = between(html, "<style>", "</style>");
  const std::string script = between(html, "<script>", "</script>");
  ASSERT_FALSE(style.empty());
  ASSERT_FALSE(script.empty());
  EXPECT_THAT(csp, HasSubstr("style-src " + detail::cspHash(style) + ";"));
  EXPECT_THAT(csp, HasSubstr("script-src " + detail::cspHash(script) + ";"));
  EXPECT_EQ(countOf(html, "<script"), 1U);
  EXPECT_EQ(countOf(html, "<style"), 1U);
  EXPECT_THAT(html, Not(HasSubstr(" style=\"")));
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_FALSE(
      std::regex_search(html, std::regex(R"re(\son[a-z]+\s*=\s*")re")));  // no event handler attributes
}

// Test the content a reader needs: scope, time, counts, the matrix cell, subjects, evidence, the deciding
// rule, and a copy button per fix.
TEST(RenderersTest, HtmlContent) {
  const std::string html = renderHtml(seedView());
  EXPECT_THAT(html, HasSubstr("<span id=\"scope\">cce-seed</span>"));
  EXPECT_THAT(html, HasSubstr("2026-11-25T10:00:00Z"));
  EXPECT_THAT(html, HasSubstr("<span id=\"total-findings\">6</span>"));
  EXPECT_THAT(html, HasSubstr("<tr data-severity=\"high\"><td><span class=\"sev sev-high\">high</span></td>"
                              "<td class=\"count\">3</td></tr>"));
  EXPECT_THAT(html, HasSubstr("data-node=\"10.1.0.55\" data-port=\"80/TCP\" data-internet=\"blocked\""));
  // Blocked for the internet but admitted from private sources: "partly blocked", as the finding says.
  EXPECT_THAT(html, HasSubstr("<span class=\"verdict\">partly blocked</span><span class=\"sub\">blocked from "
                              "the internet, open to private sources</span>"));
  // SSH open to the internet has its cell, though no workload uses 22/TCP.
  EXPECT_THAT(html, HasSubstr("<td class=\"cell st-exposed\" data-node=\"10.1.0.55\" data-port=\"22/TCP\" "
                              "data-internet=\"open\""));
  // The checks that found nothing are not listed.
  EXPECT_THAT(html, Not(HasSubstr("data-check=\"sg.nodepool-inconsistent\"")));
  EXPECT_THAT(html, HasSubstr("nginx serves the public web site directly"));  // the policy
  EXPECT_THAT(html, HasSubstr("<h4>Deciding rule</h4>"));
  std::size_t fixes = 0;
  for (const auto& finding : seedView().findings)
    fixes += finding.fixes.size();
  EXPECT_EQ(countOf(html, "<button type=\"button\" class=\"copy"), fixes);
  EXPECT_EQ(countOf(html, "<details class=\"finding"), 6U);
  EXPECT_THAT(html, Not(HasSubstr("id=\"changes\"")));
}

// Test that the report leads with the worst: the critical and high findings, worst first, each with its
// reach and the start of its first fix, come before the tables of counts and the matrix; the medium and info
// findings and the suppressed ones are not among them.
TEST(RenderersTest, HtmlLeadsWithTheWorst) {
  const std::string html = renderHtml(seedView());
  const auto worst = html.find("<ol class=\"worst\" id=\"worst\">");
  ASSERT_NE(worst, std::string::npos);
  EXPECT_LT(worst, html.find("<table class=\"counts\" id=\"by-severity\">"));
  EXPECT_LT(worst, html.find("<section id=\"matrix\">"));
  const std::string list = html.substr(worst, html.find("</ol>", worst) - worst);
  EXPECT_EQ(countOf(list, "<li data-severity="), 4U);  // 1 critical, 3 high
  EXPECT_EQ(list.find("<li data-severity=\"critical\">"), list.find("<li data-severity="));
  EXPECT_THAT(list, HasSubstr("22/TCP is open to the whole internet on node 10.1.0.55"));
  EXPECT_THAT(list, HasSubstr("<span class=\"reach\">on 1 node</span>"));
  EXPECT_THAT(list, HasSubstr("<span class=\"fix-tool\">huawei-api</span>"));
  EXPECT_THAT(list, HasSubstr("<pre>POST /v3/{project_id}/vpc/security-group-rules\n"));
  EXPECT_THAT(list, Not(HasSubstr("data-severity=\"medium\"")));
  EXPECT_THAT(html, HasSubstr("<span id=\"severity-line\">1 critical, 3 high, 1 medium, 1 info</span>"));

  json audit = seedAudit();
  for (auto& finding : audit["findings"]) {
    if (finding["severity"] == "critical") finding["suppressed"] = {{"reason", "accepted"}};
  }
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  const std::string suppressed = renderHtml(*view);
  const auto at = suppressed.find("<ol class=\"worst\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_THAT(suppressed.substr(at, suppressed.find("</ol>", at) - at),
              Not(HasSubstr("data-severity=\"critical\"")));
}

// Test that every hostile value is escaped: no injected tag or attribute survives, and the text is there
// in its escaped form.
TEST(RenderersTest, HtmlEscapesHostileValues) {
  const std::string html = renderHtml(hostileView());
  EXPECT_EQ(countOf(html, "<script"), 1U);
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("\" onmouseover=\"")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"javascript")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&quot; onmouseover=&quot;alert(2)"));
  EXPECT_THAT(html, HasSubstr("javascript:alert(3)"));
  EXPECT_THAT(html, HasSubstr("{{scope}}"));  // a mustache tag in a value is text, not a template
  EXPECT_FALSE(std::regex_search(html, std::regex(R"re(\son[a-z]+\s*=\s*")re")));
}

// Test the "what changed" section when a previous audit is given.
TEST(RenderersTest, HtmlWhatChanged) {
  json previous = seedAudit();
  previous["findings"].erase(previous["findings"].begin());
  ReportMeta meta = seedMeta();
  meta.previous = previous;
  auto view = reportViewFromJson(seedAudit(), meta);
  ASSERT_TRUE(view) << view.error().message;
  const std::string html = renderHtml(*view);
  EXPECT_THAT(html, HasSubstr("<span id=\"changes-added\">1</span> new"));
  EXPECT_THAT(html, HasSubstr("<span id=\"changes-resolved\">0</span> resolved"));
  EXPECT_THAT(html, HasSubstr("<span id=\"changes-unchanged\">5</span> unchanged"));
  EXPECT_THAT(html, HasSubstr("<a href=\"#f-1a1f759ace649f586593243667d402e3\">"));
  EXPECT_THAT(html, HasSubstr("data-change=\"new\""));
  EXPECT_EQ(countOf(html, "data-change=\"unchanged\""), 5U);
  EXPECT_THAT(html, HasSubstr("id=\"filter-new\""));
  // The large-report layout carries the same change on each finding, for the "new only" filter.
  const json island = islandOf(detail::renderHtml(*view, {0}));
  std::map<std::string, std::size_t> changes;
  for (const auto& entry : island.at("b"))
    ++changes[island.at("s").at(entry.at(4).get<std::size_t>()).get<std::string>()];
  EXPECT_EQ(changes, (std::map<std::string, std::size_t>{{"new", 1}, {"unchanged", 5}}));
  const json report = json::parse(renderJson(*view));
  EXPECT_EQ(report.at("changes").at("added"), json::array({"1a1f759ace649f586593243667d402e3"}));
  const auto csv = renderCsv(*view);
  EXPECT_EQ(countOf(csv, ",new\r\n"), 1U);
}

// ---- HTML of a large report ----

ReportView syntheticView(int nodes, int findings) {
  auto view =
      reportViewFromJson(synthetic::audit(nodes, findings), {"fleet", "2026-11-25T10:00:00Z", nullptr, {}});
  if (!view) throw std::runtime_error(view.error().message);
  return std::move(view).value();
}

// Test the layout of a report of more than 1,000 findings: no finding in the HTML but a list of titles for
// readers without JavaScript, every group collapsed and naming its range, the findings in one JSON data
// island with each fix written once, one script that runs (allowed by its hash) and the island, which no
// browser runs; the details of a finding in the island are the view's.
TEST(RenderersTest, HtmlLargeReportCarriesFindingsAsData) {
  const ReportView view = syntheticView(100, 1200);
  const std::string html = renderHtml(view);
  EXPECT_EQ(countOf(html, "<details class=\"finding"), 0U);
  EXPECT_EQ(countOf(html, "<details class=\"check-group\""), 8U);
  EXPECT_EQ(countOf(html, "data-from=\""), 8U);  // 150 findings a group: not chunked, each names its range
  EXPECT_THAT(html, Not(HasSubstr("\" open><summary><code>")));  // every check group collapsed
  EXPECT_EQ(countOf(html, "<script>"), 1U);
  EXPECT_EQ(countOf(html, "<script"), 2U);
  EXPECT_EQ(countOf(html, kIslandOpen), 1U);
  const std::string csp = between(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">");
  EXPECT_THAT(csp, HasSubstr("script-src " + detail::cspHash(between(html, "<script>", "</script>")) + ";"));
  // Without JavaScript each group still lists its findings' severities and titles.
  EXPECT_EQ(countOf(html, "<noscript><ul class=\"titles\">"), 8U);
  EXPECT_EQ(countOf(html, "<li><span class=\"sev sev-"), view.findings.size());
  EXPECT_THAT(html, HasSubstr("<li><span class=\"sev sev-critical\">critical</span> " +
                              view.findings.front().title + "</li>"));

  const json island = islandOf(html);
  ASSERT_TRUE(island.is_object());
  const auto& s = island.at("s");
  const auto& b = island.at("b");
  ASSERT_EQ(b.size(), view.findings.size());
  EXPECT_EQ(island.at("x").size(), 12U);  // 3 tools x 4 ports, however many findings use them
  // The island is in page order (grouped by check); find the view's first finding in it.
  const core::Finding& first = view.findings.front();
  const auto entry = std::find_if(b.begin(), b.end(), [&](const json& item) {
    return s.at(item.at(2).get<std::size_t>()) == first.fingerprint;
  });
  ASSERT_NE(entry, b.end());
  auto str = [&](const json& index) { return s.at(index.get<std::size_t>()).get<std::string>(); };
  EXPECT_EQ(str((*entry)[0]), "critical");
  EXPECT_EQ(str((*entry)[1]), first.title);
  EXPECT_EQ(str((*entry)[3]), first.namespace_name);
  EXPECT_EQ(str((*entry)[5]), first.node);
  EXPECT_EQ(str((*entry)[6]), "80/TCP");
  EXPECT_EQ(str((*entry)[7]), first.detail);
  EXPECT_EQ((*entry)[8], -1);
  EXPECT_EQ(str((*entry)[9][2]), first.subjects[0].name);
  EXPECT_EQ(str((*entry)[10][0]), first.evidence[2].text);
  EXPECT_EQ(str((*entry)[11][2]), first.evidence[0].source.file + ":3");
  ASSERT_EQ((*entry)[12].size(), 3U);
  const json& fix = island.at("x").at((*entry)[12][0].get<std::size_t>());
  EXPECT_EQ(str(fix[0]), first.fixes[0].tool);
  EXPECT_EQ(str(fix[3]), first.fixes[0].content);
}

// Test that up to 1,000 findings the details stay HTML (readable without JavaScript) and there is no island.
TEST(RenderersTest, HtmlSmallReportKeepsDetailsInline) {
  const std::string html = renderHtml(syntheticView(100, 1000));
  EXPECT_EQ(countOf(html, "<details class=\"finding"), 1000U);
  EXPECT_EQ(countOf(html, "<script"), 1U);
  EXPECT_THAT(html, Not(HasSubstr("<noscript>")));
}

// Test that hostile values in the data island cannot end it or open a comment: < > & are \u escapes, and
// the island still parses to the values as they were.
TEST(RenderersTest, HtmlDataIslandEscapesHostileValues) {
  const ReportView view = hostileView();
  const std::string html = detail::renderHtml(view, {0});
  EXPECT_EQ(countOf(html, "<script"), 2U);
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"re(\son[a-z]+\s*=\s*")re")));
  const auto start = html.find(kIslandOpen) + kIslandOpen.size();
  const std::string text = html.substr(start, html.find("</script>", start) - start);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  const json island = json::parse(text);
  std::set<std::string> strings(island.at("s").begin(), island.at("s").end());
  for (const auto& finding : view.findings) {
    EXPECT_TRUE(strings.count(finding.title)) << finding.title;
    EXPECT_TRUE(strings.count(finding.detail)) << finding.detail;
    for (const auto& fix : finding.fixes)
      EXPECT_TRUE(strings.count(fix.content)) << fix.content;
  }
}

// Test that a matrix over its inline bound carries no table cells: its groups name their data in the matrix
// island (strings escaped so that no value can close the <script>), each says without JavaScript where its
// cells are, and a matrix within the bound keeps its tables and has no island.
TEST(RenderersTest, LargeHtmlMatrixTravelsAsData) {
  const ReportView view = syntheticView(120, 10);
  detail::HtmlOptions lazy;
  lazy.inline_matrix_rows_up_to = 0;
  const std::string html = detail::renderHtml(view, lazy);
  const std::string matrix = between(html, "<section id=\"matrix\">", "</section>");
  EXPECT_EQ(countOf(matrix, "<td"), 0U);
  EXPECT_GT(countOf(matrix, "data-matrix-group=\""), 0U);
  EXPECT_EQ(countOf(matrix, "<noscript>"), countOf(matrix, "data-matrix-group=\""));
  const std::string island =
      between(matrix, "<script type=\"application/json\" id=\"matrix-data\">", "</script>");
  EXPECT_EQ(island.find('<'), std::string::npos);
  const json data = json::parse(island);
  EXPECT_EQ(data.at("g").size(), countOf(matrix, "data-matrix-group=\""));
  const std::set<std::string> strings(data.at("s").begin(), data.at("s").end());
  EXPECT_EQ(strings.count("80/TCP"), 1U);   // a column label, written once
  EXPECT_EQ(strings.count("st-none"), 0U);  // a cell without a host port is a 0, not a string
  const std::string inline_html = renderHtml(view);
  const std::string inline_matrix = between(inline_html, "<section id=\"matrix\">", "</section>");
  EXPECT_GT(countOf(inline_matrix, "<td"), 0U);
  EXPECT_EQ(inline_matrix.find("matrix-data"), std::string::npos);
}

// Test that nodes whose matrix rows read the same share one row that counts and names them, and that a
// node alone in its row keeps its own row.
TEST(RenderersTest, HtmlMatrixMergesNodesThatReadTheSame) {
  const std::string html = renderHtml(syntheticView(500, 10));
  const std::string matrix = between(html, "<section id=\"matrix\">", "</section>");
  const std::regex merged(
      R"re(<tr><th scope="row" class="node nodes"><details class="node-list"><summary>(\d+) nodes</summary>)re");
  std::size_t nodes = 0;
  std::size_t rows = 0;
  for (auto it = std::sregex_iterator(matrix.begin(), matrix.end(), merged); it != std::sregex_iterator();
       ++it) {
    nodes += std::stoul((*it)[1]);
    ++rows;
  }
  nodes += countOf(matrix, "<tr><th scope=\"row\" class=\"node\">");
  rows += countOf(matrix, "<tr><th scope=\"row\" class=\"node\">");
  EXPECT_EQ(nodes, 500U);
  EXPECT_LE(rows, 20U);
  EXPECT_THAT(matrix, HasSubstr("(500 in "));
  EXPECT_THAT(matrix, HasSubstr("10.1.0.0, "));  // the merged row names its nodes
  // cce-seed's one node keeps a row of its own, with the node on its cells.
  EXPECT_THAT(renderHtml(seedView()),
              HasSubstr("<tr><th scope=\"row\" class=\"node\">10.1.0.55</th><td class=\"cell st-exposed\" "
                        "data-node=\"10.1.0.55\" data-port=\"22/TCP\""));
}

// Test that every renderer is a pure function of the view: the same view gives the same bytes.
TEST(RenderersTest, Deterministic) {
  const ReportView view = seedView();
  EXPECT_EQ(renderHtml(view), renderHtml(view));
  EXPECT_EQ(renderSarif(view), renderSarif(view));
  EXPECT_EQ(renderCsv(view), renderCsv(view));
  EXPECT_EQ(renderJson(view), renderJson(view));
}

}  // namespace
}  // namespace sgaudit::report
