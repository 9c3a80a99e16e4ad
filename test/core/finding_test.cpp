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
}  // namespace sgaudit::core
