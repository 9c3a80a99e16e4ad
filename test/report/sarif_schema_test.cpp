// The SARIF logs validated against the SARIF 2.1.0 JSON schema by ajv (tools/npm), as a subprocess.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report_fixture.hpp"
#include "sgaudit/report/render.hpp"

namespace sgaudit::report {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kNpm = SGAUDIT_NPM_DIR;

class SarifSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(ajv())) << ajv() << " is missing: run scripts/install-deps.sh";
    const auto migrated = test::runProcess(
        {ajv().string(), "migrate", "-s", (test::testDataDir() / "schemas/sarif-schema-2.1.0.json").string(),
         "-o", schema().string()});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.out << migrated.err;
  }

  static std::filesystem::path ajv() { return kNpm / "node_modules/.bin/ajv"; }
  std::filesystem::path schema() const { return dir_ / "sarif-schema-2.1.0.draft-07.json"; }

  test::ProcessResult validate(const std::string& name, const std::string& log) {
    const auto path = dir_ / (name + ".json");
    std::ofstream(path, std::ios::binary) << log;
    return test::runProcess({ajv().string(), "validate", "-s", schema().string(), "-d", path.string(),
                             "--strict=false", "--all-errors", "-c",
                             std::string(SGAUDIT_REPORT_TEST_DIR) + "/ajv_sarif_options.js"});
  }

  test::TempDir dir_;
};

// Test that the cce-seed SARIF log is valid SARIF 2.1.0.
TEST_F(SarifSchemaTest, CceSeedIsValid) {
  const auto result = validate("cce-seed", renderSarif(fixture::seedView()));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("valid"));
}

// Test that the log of hostile input (odd file names, check ids, fingerprints) is valid too, suppressions
// and a "what changed" view included.
TEST_F(SarifSchemaTest, HostileAndSuppressedAreValid) {
  auto audit = fixture::seedAudit();
  audit["findings"][0]["suppressed"] = {{"reason", "bastion move in progress"}};
  ReportMeta meta = fixture::seedMeta();
  meta.previous = fixture::seedAudit();
  auto view = reportViewFromJson(audit, meta);
  ASSERT_TRUE(view) << view.error().message;
  auto result = validate("suppressed", renderSarif(*view));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  result = validate("hostile", renderSarif(fixture::hostileView()));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

// Test that the validator does check: a result level SARIF does not know, and a result without a message,
// are refused.
TEST_F(SarifSchemaTest, InvalidLogIsRefused) {
  auto log = nlohmann::json::parse(renderSarif(fixture::seedView()));
  log["runs"][0]["results"][0]["level"] = "fatal";
  auto result = validate("bad-level", log.dump());
  EXPECT_NE(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out + result.err, HasSubstr("/runs/0/results/0/level"));
  log = nlohmann::json::parse(renderSarif(fixture::seedView()));
  log["runs"][0]["results"][1].erase("message");
  result = validate("no-message", log.dump());
  EXPECT_NE(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace sgaudit::report
