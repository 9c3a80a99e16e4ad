#include "sgaudit/core/finding.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sgaudit::core {
namespace {

// Test that fingerprints depend on every identity part and its boundaries, not on anything else.
TEST(FindingTest, FingerprintDistinguishesParts) {
  const auto a = fingerprintOf("hostport.conflict", {"n1", "TCP", "80"});
  EXPECT_EQ(a.size(), 32U);
  EXPECT_EQ(a, fingerprintOf("hostport.conflict", {"n1", "TCP", "80"}));
  EXPECT_NE(a, fingerprintOf("hostport.conflict", {"n1", "TCP", "8"}));
  EXPECT_NE(a, fingerprintOf("hostport.reserved", {"n1", "TCP", "80"}));
  EXPECT_NE(fingerprintOf("c", {"ab", "c"}), fingerprintOf("c", {"a", "bc"}));
}

// Test that sorting puts higher severities first and is total (check id, then fingerprint).
TEST(FindingTest, SortBySeverityThenCheck) {
  std::vector<Finding> findings(3);
  findings[0].severity = Severity::Low;
  findings[0].check_id = "b";
  findings[1].severity = Severity::High;
  findings[1].check_id = "z";
  findings[2].severity = Severity::Low;
  findings[2].check_id = "a";
  sortFindings(findings);
  EXPECT_EQ(findings[0].check_id, "z");
  EXPECT_EQ(findings[1].check_id, "a");
  EXPECT_EQ(findings[2].check_id, "b");
}

// Test the JSON shape of a finding and the severity names round trip.
TEST(FindingTest, JsonShapeAndSeverityNames) {
  Finding finding;
  finding.check_id = "hostport.conflict";
  finding.severity = Severity::High;
  finding.node = "n1";
  finding.protocol = PortProtocol::Udp;
  finding.port = 53;
  finding.subjects = {{"Pod", "default", "p"}};
  const nlohmann::json doc = finding;
  EXPECT_EQ(doc.at("severity"), "high");
  EXPECT_EQ(doc.at("protocol"), "UDP");
  EXPECT_EQ(doc.at("subjects")[0].at("namespace"), "default");
  EXPECT_FALSE(doc.contains("namespace"));
  for (Severity s : {Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical}) {
    EXPECT_EQ(parseSeverity(toString(s)), s);
  }
  EXPECT_FALSE(parseSeverity("urgent"));
}

}  // namespace
// Test the one diff of findings: new, unchanged (with where each was before) and resolved, each fingerprint
// once where it first appears, in the order the lists give.
TEST(FindingTest, DiffByFingerprint) {
  const std::vector<std::string_view> now = {"c", "a", "d", "a"};
  const std::vector<std::string_view> before = {"a", "b", "e", "b"};
  const FindingsDiff diff = diffFingerprints(now, before);
  EXPECT_EQ(diff.added, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(diff.unchanged, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}}));
  EXPECT_EQ(diff.resolved, (std::vector<std::size_t>{1, 2}));
  struct Row {
    std::string fingerprint;
  };
  const std::vector<Row> rows = {{"x"}, {"y"}};
  const std::vector<Row> old_rows = {{"y"}, {"z"}};
  const FindingsDiff typed =
      diffFindings(rows, old_rows, [](const Row& r) -> const std::string& { return r.fingerprint; });
  EXPECT_EQ(typed.added, (std::vector<std::size_t>{0}));
  EXPECT_EQ(typed.unchanged, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}}));
  EXPECT_EQ(typed.resolved, (std::vector<std::size_t>{1}));
  EXPECT_TRUE(diffFingerprints({}, {}).added.empty());
}

}  // namespace sgaudit::core
