// The findings view: built from the audit's JSON document, with errors that name the JSON pointer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report_fixture.hpp"

namespace sgaudit::report {
namespace {

using json = nlohmann::json;
using fixture::seedAudit;
using fixture::seedMeta;
using fixture::seedView;
using ::testing::HasSubstr;

// Test that the cce-seed document gives six findings counted by severity and check, the one matrix cell,
// the node and every input.
TEST(ReportViewTest, CceSeedCounts) {
  const ReportView view = seedView();
  EXPECT_EQ(view.findings.size(), 6U);
  EXPECT_EQ(view.by_severity.at(core::Severity::Critical), 1U);
  EXPECT_EQ(view.by_severity.at(core::Severity::High), 3U);
  EXPECT_EQ(view.by_severity.at(core::Severity::Medium), 1U);
  EXPECT_EQ(view.by_severity.at(core::Severity::Info), 1U);  // the DNS policy, a risk: no cluster name used
  EXPECT_EQ(view.by_severity.count(core::Severity::Low), 0U);
  EXPECT_EQ(view.by_check.at("sg.port-blocked"), 1U);
  EXPECT_EQ(view.by_check.size(), 6U);
  EXPECT_EQ(view.suppressed, 0U);
  // 80/TCP, judged for nginx; 22/TCP, no workload's port but the critical finding's: every port a finding
  // is about has a cell.
  ASSERT_EQ(view.matrix.size(), 2U);
  EXPECT_EQ(view.matrix[0].verdict.port, 80);
  EXPECT_TRUE(view.matrix[0].check_id.empty());
  EXPECT_EQ(view.matrix[1].verdict.port, 22);
  EXPECT_EQ(view.matrix[1].verdict.node, "10.1.0.55");
  EXPECT_EQ(view.matrix[1].check_id, "sg.sensitive-port-exposed");
  EXPECT_EQ(view.matrix[1].severity, core::Severity::Critical);
  EXPECT_FALSE(view.matrix[1].suppressed);
  EXPECT_EQ(view.nodes.size(), 1U);
  EXPECT_EQ(view.inputs.size(), 11U);
  EXPECT_EQ(view.tool_version, "0.1.0");
  EXPECT_FALSE(view.changes.has_value());
  const core::Finding& first = view.findings.front();
  EXPECT_EQ(first.check_id, "sg.sensitive-port-exposed");
  EXPECT_EQ(first.evidence.front().source.file, "cce-seed/node-sockets/10.1.0.55.txt");
  EXPECT_EQ(first.evidence.front().source.line, 4);
}

// Test that 80/TCP on 10.1.0.55 (status "partial": admitted from the VPC, the container range and the
// masters, required from 0.0.0.0/0) reads as blocked from the internet, and carries the conflict.
TEST(ReportViewTest, PartialCellWithOnlyPrivateSourcesIsBlockedFromTheInternet) {
  const ReportView view = seedView();
  const MatrixCell& cell = view.matrix.front();
  EXPECT_EQ(cell.verdict.node, "10.1.0.55");
  EXPECT_EQ(cell.verdict.port, 80);
  EXPECT_EQ(cell.verdict.status, "partial");
  EXPECT_EQ(cell.internet, InternetReach::Blocked);
  EXPECT_TRUE(cell.conflict);
}

// Test that suppressing the findings about a cell marks it suppressed: a judged cell when every finding on
// it is suppressed (one of two is not enough), a finding's own cell when its finding is, listed after the
// active cells.
TEST(ReportViewTest, SuppressedFindingsMarkTheirCells) {
  json audit = seedAudit();
  for (auto& finding : audit["findings"]) {
    if (finding["check"] == "sg.sensitive-port-exposed" || finding["check"] == "sg.port-blocked")
      finding["suppressed"] = {{"reason", "accepted until the migration"}, {"until", "2099-01-01"}};
  }
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  ASSERT_EQ(view->matrix.size(), 2U);
  EXPECT_FALSE(view->matrix[0].suppressed) << "the conflict and undeclared findings on 80/TCP are active";
  EXPECT_TRUE(view->matrix[1].suppressed);
  for (auto& finding : audit["findings"]) {
    if (finding.value("port", 0) == 80) finding["suppressed"] = {{"reason", "known"}};
  }
  view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_TRUE(view->matrix[0].suppressed);
}

// Test that a partial cell whose missing addresses leave some public space admitted reads as partly open,
// and that a cell whose required sources are all private says nothing about the internet.
TEST(ReportViewTest, InternetReachOfOtherCells) {
  json audit = seedAudit();
  audit["matrix"][0]["missing"] = {"8.0.0.0/7"};
  auto partly = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(partly) << partly.error().message;
  EXPECT_EQ(partly->matrix.front().internet, InternetReach::Partial);

  audit["matrix"][0]["required"] = {"10.0.0.0/8"};
  auto inside = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(inside) << inside.error().message;
  EXPECT_EQ(inside->matrix.front().internet, InternetReach::NotRequired);

  audit["matrix"][0]["required"] = {"0.0.0.0/0"};
  audit["matrix"][0]["status"] = "open";
  auto open = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open->matrix.front().internet, InternetReach::Open);

  // A partial cell that does not say what is missing is not guessed at.
  audit["matrix"][0]["status"] = "partial";
  audit["matrix"][0].erase("missing");
  audit["matrix"][0].erase("missing_set");
  auto unknown = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(unknown) << unknown.error().message;
  EXPECT_EQ(unknown->matrix.front().internet, InternetReach::Unknown);
}

// Test that a cell is judged from its own typed data ("required", "missing"), never from the findings'
// prose: rewording every evidence line changes nothing, and a bad "missing" CIDR is named by its pointer.
TEST(ReportViewTest, CellsDoNotDependOnTheEvidenceWording) {
  json audit = seedAudit();
  for (auto& finding : audit["findings"]) {
    for (auto& evidence : finding["evidence"])
      evidence["text"] = "reworded: 0.0.0.0/5 and 3 more";
  }
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->matrix.front().internet, InternetReach::Blocked);

  // Every verdict the report draws is the same as from the document as written.
  const ReportView original = seedView();
  ASSERT_EQ(view->matrix.size(), original.matrix.size());
  for (std::size_t i = 0; i < original.matrix.size(); ++i) {
    EXPECT_EQ(view->matrix[i].internet, original.matrix[i].internet);
    EXPECT_EQ(view->matrix[i].conflict, original.matrix[i].conflict);
    EXPECT_EQ(view->matrix[i].verdict.status, original.matrix[i].verdict.status);
  }
  EXPECT_EQ(view->by_severity, original.by_severity);
  EXPECT_EQ(view->by_check, original.by_check);
  ASSERT_EQ(view->findings.size(), original.findings.size());
  for (std::size_t i = 0; i < original.findings.size(); ++i) {
    EXPECT_EQ(view->findings[i].severity, original.findings[i].severity);
    EXPECT_EQ(view->findings[i].nodes, original.findings[i].nodes);
    ASSERT_EQ(view->findings[i].evidence.size(), original.findings[i].evidence.size());
    for (std::size_t e = 0; e < original.findings[i].evidence.size(); ++e) {
      EXPECT_EQ(view->findings[i].evidence[e].missing, original.findings[i].evidence[e].missing);
      EXPECT_EQ(view->findings[i].evidence[e].rule, original.findings[i].evidence[e].rule);
    }
  }

  audit["matrix"][0]["missing"] = {"0.0.0.0/5", "not a cidr"};
  auto bad = reportViewFromJson(audit, seedMeta());
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("/matrix/0/missing"));
}

// Test that the typed evidence of the document is read back: the exposing rule by group and id, what it
// exposes and where, and the missing addresses of the blocked port (which the matrix cell also lists).
TEST(ReportViewTest, TypedEvidenceIsReadBack) {
  const ReportView view = seedView();
  const core::Evidence* by_rule = nullptr;
  const core::Evidence* missing = nullptr;
  for (const auto& finding : view.findings) {
    for (const auto& evidence : finding.evidence) {
      if (finding.check_id == "sg.sensitive-port-exposed" && evidence.rule) by_rule = &evidence;
      if (finding.check_id == "sg.port-blocked" && !evidence.missing.empty()) missing = &evidence;
    }
  }
  ASSERT_NE(by_rule, nullptr);
  EXPECT_EQ(by_rule->rule->provider, "huaweicloud");
  EXPECT_EQ(by_rule->rule->rule_id, "5a000009-0c1d-4e2f-8a3b-1c2d3e4f5a09");
  EXPECT_EQ(by_rule->rule->group_name, "cce-demo-cce-node-x7k2");
  EXPECT_EQ(by_rule->rule->action, "allow");
  EXPECT_EQ(by_rule->rule->priority, 1);
  EXPECT_EQ(by_rule->nodes, (std::vector<std::string>{"10.1.0.55"}));
  EXPECT_FALSE(by_rule->addresses.empty());
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->missing, view.matrix.front().verdict.missing);

  json audit = seedAudit();
  for (auto& finding : audit["findings"]) {
    for (auto& evidence : finding["evidence"]) {
      if (evidence.contains("rule")) evidence["rule"].erase("key");
    }
  }
  auto bad = reportViewFromJson(audit, seedMeta());
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("/evidence/"));
  EXPECT_THAT(bad.error().message, HasSubstr("/rule: missing \"key\""));
}

// Test that malformed documents are refused with the JSON pointer of the bad value.
TEST(ReportViewTest, ErrorsNameTheJsonPointer) {
  auto error_of = [](const json& audit) {
    auto view = reportViewFromJson(audit, {});
    return view ? std::string("(accepted)") : view.error().message;
  };
  EXPECT_EQ(error_of(json::array()), "expected an object, got array");
  EXPECT_EQ(error_of(json::object()), "missing \"findings\"");
  json audit = seedAudit();
  audit["findings"][2]["severity"] = "urgent";
  EXPECT_EQ(error_of(audit),
            "/findings/2/severity: expected one of info, low, medium, high, critical, got \"urgent\"");
  audit = seedAudit();
  audit["findings"][1]["evidence"][0]["line"] = "nine";
  EXPECT_EQ(error_of(audit), "/findings/1/evidence/0/line: expected an integer, got string");
  audit = seedAudit();
  audit["findings"][0].erase("fingerprint");
  EXPECT_EQ(error_of(audit), "/findings/0: missing \"fingerprint\"");
  audit = seedAudit();
  audit["matrix"][0]["required"] = {"10.0.0.300/8"};
  EXPECT_THAT(error_of(audit), HasSubstr("/matrix/0/required: "));
  audit = seedAudit();
  audit["matrix"][0]["protocol"] = "ICMP";
  EXPECT_EQ(error_of(audit), "/matrix/0/protocol: expected one of TCP, UDP, SCTP, got \"ICMP\"");
  audit = seedAudit();
  audit["findings"][0]["port"] = 70000;
  EXPECT_EQ(error_of(audit), "/findings/0/port: expected an integer from 0 to 65535, got 70000");

  ReportMeta meta;
  meta.previous = json{{"findings", {{{"check", "x"}}}}};
  auto view = reportViewFromJson(seedAudit(), meta);
  ASSERT_FALSE(view);
  EXPECT_EQ(view.error().message, "previous audit: /findings/0: missing \"severity\"");
}

// Test that a previous audit gives what is new, what was resolved, what changed severity and how many
// stayed, keyed by fingerprint.
TEST(ReportViewTest, WhatChangedByFingerprint) {
  json previous = seedAudit();
  json& findings = previous["findings"];
  // Drop the dns-policy finding (so it is new now), regrade the conflict, and add one that is gone now.
  std::string dns_fingerprint;
  for (auto it = findings.begin(); it != findings.end(); ++it) {
    if ((*it)["check"] == "hostnetwork.dns-policy") {
      dns_fingerprint = (*it)["fingerprint"];
      findings.erase(it);
      break;
    }
  }
  for (auto& finding : findings) {
    if (finding["check"] == "hostport.conflict") finding["severity"] = "medium";
  }
  json gone = findings[0];
  gone["fingerprint"] = "ffffffffffffffffffffffffffffffff";
  gone["title"] = "TCP 3389 on node 10.1.0.55 is open to the whole internet";
  findings.push_back(gone);

  ReportMeta meta = seedMeta();
  meta.previous = previous;
  auto view = reportViewFromJson(seedAudit(), meta);
  ASSERT_TRUE(view) << view.error().message;
  ASSERT_TRUE(view->changes.has_value());
  const ChangeSet& changes = *view->changes;
  EXPECT_EQ(changes.added, std::vector<std::string>{dns_fingerprint});
  ASSERT_EQ(changes.resolved.size(), 1U);
  EXPECT_EQ(changes.resolved[0].fingerprint, "ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(changes.resolved[0].title, "TCP 3389 on node 10.1.0.55 is open to the whole internet");
  ASSERT_EQ(changes.severity_changed.size(), 1U);
  EXPECT_EQ(changes.severity_changed[0].check_id, "hostport.conflict");
  EXPECT_EQ(changes.severity_changed[0].severity, core::Severity::High);
  EXPECT_EQ(changes.severity_changed[0].previous_severity, core::Severity::Medium);
  EXPECT_EQ(changes.unchanged, 4U);
}

// Test that suppressed findings stay in the view but out of the counts, as in the audit's own summary.
TEST(ReportViewTest, SuppressedFindingsAreNotCounted) {
  json audit = seedAudit();
  audit["findings"][0]["suppressed"] = {{"reason", "bastion move in progress"}};
  auto view = reportViewFromJson(audit, seedMeta());
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->findings.size(), 6U);
  EXPECT_EQ(view->suppressed, 1U);
  EXPECT_EQ(view->by_severity.count(core::Severity::Critical), 0U);
  EXPECT_TRUE(view->findings[0].suppressed);
  EXPECT_EQ(view->findings[0].suppression_reason, "bastion move in progress");
}

}  // namespace
}  // namespace sgaudit::report
