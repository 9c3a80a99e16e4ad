#include "sgaudit/core/finding.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

namespace sgaudit::core {
namespace {

// A string of the kinds a report carries: plain ASCII, quotes and backslashes, control characters, valid
// UTF-8 and bytes that are no UTF-8 at all (a hostile file's names go into titles).
std::string randomText(std::mt19937& random) {
  static const std::vector<std::string> kPieces = {"node-01",
                                                   " ",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   "\n",
                                                   "\t",
                                                   "\x01",
                                                   "\x1f",
                                                   "\x7f",
                                                   "caf\xc3\xa9",
                                                   "\xe2\x82\xac",
                                                   "\xf0\x9f\x94\x92",
                                                   "\xff",
                                                   "\xc3",
                                                   "\xe2\x82",
                                                   "\x80abc",
                                                   "0.0.0.0/0",
                                                   "{}",
                                                   "</script>"};
  std::string text;
  const int pieces = std::uniform_int_distribution<int>(0, 6)(random);
  for (int i = 0; i < pieces; ++i)
    text += kPieces[std::uniform_int_distribution<std::size_t>(0, kPieces.size() - 1)(random)];
  return text;
}

std::vector<std::string> randomTexts(std::mt19937& random, int most) {
  std::vector<std::string> texts(std::uniform_int_distribution<int>(0, most)(random));
  for (auto& text : texts)
    text = randomText(random);
  return texts;
}

// Test that appendJson writes what nlohmann's dump of to_json writes, byte for byte, over random findings
// with every optional part set or not, hostile strings, and node lists past the byte budget. Fails when a
// key is out of nlohmann's order, an optional member is written when unset, or a string is escaped otherwise.
TEST(FindingTest, DirectJsonIsWhatNlohmannWrites) {
  std::mt19937 random(20261204);
  auto coin = [&random] { return std::uniform_int_distribution<int>(0, 1)(random) == 1; };
  for (int round = 0; round < 500; ++round) {
    Finding finding;
    finding.check_id = randomText(random);
    finding.severity = static_cast<Severity>(std::uniform_int_distribution<int>(0, 3)(random));
    finding.title = randomText(random);
    finding.detail = randomText(random);
    finding.fingerprint = randomText(random);
    if (coin()) finding.namespace_name = randomText(random);
    for (int i = std::uniform_int_distribution<int>(0, 3)(random); i > 0; --i)
      finding.subjects.push_back({randomText(random), coin() ? randomText(random) : "", randomText(random)});
    if (coin()) {
      const int count = coin() ? 3 : 3000;  // 3,000 names pass the 16 KiB budget
      for (int i = 0; i < count; ++i)
        finding.nodes.push_back("node-" + std::to_string(i));
      if (coin()) finding.node = finding.nodes.front();
    }
    if (coin()) finding.protocol = coin() ? PortProtocol::Tcp : PortProtocol::Udp;
    if (coin()) finding.port = std::uniform_int_distribution<int>(0, 65535)(random);
    finding.fix_reach = randomTexts(random, 3);
    for (int i = std::uniform_int_distribution<int>(0, 3)(random); i > 0; --i) {
      Evidence evidence{randomText(random), randomText(random), {}};
      if (coin()) evidence.source = {randomText(random), std::uniform_int_distribution<int>(0, 40)(random)};
      if (coin()) {
        RuleRef rule{randomText(random),
                     randomText(random),
                     coin() ? randomText(random) : "",
                     coin() ? randomText(random) : "",
                     randomText(random),
                     coin() ? randomText(random) : "",
                     coin() ? "allow" : ""};
        if (coin()) rule.priority = std::uniform_int_distribution<int>(-5, 4096)(random);
        evidence.rule = rule;
      }
      evidence.addresses = randomTexts(random, 3);
      evidence.missing = randomTexts(random, 3);
      if (coin()) evidence.nodes = {"node-a", randomText(random)};
      finding.evidence.push_back(evidence);
    }
    for (int i = std::uniform_int_distribution<int>(0, 2)(random); i > 0; --i) {
      Fix fix{randomText(random), randomText(random), randomText(random), randomText(random)};
      if (coin()) fix.verified = coin();
      if (coin()) fix.verification = randomText(random);
      finding.fixes.push_back(fix);
    }
    if (coin()) {
      finding.suppressed = true;
      finding.suppression_reason = randomText(random);
    }
    const std::string expected =
        nlohmann::json(finding).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string written = "[";  // appended to what is there
    appendJson(written, finding);
    ASSERT_EQ(written, "[" + expected) << "round " << round;
  }
}

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
