// docs/openapi.yaml against the route table: every route documented with its role, every documented route
// served, and the document clean under a real OpenAPI linter (Redocly, from tools/npm).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "sgaudit/core/finding.hpp"
#include "sgaudit/service/api.hpp"
#include "sgaudit/service/embedded.hpp"
#include "support/process.hpp"

namespace sgaudit::service {
namespace {

const std::filesystem::path kSource = SGAUDIT_SOURCE_DIR;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Test that the routes the router serves and the operations docs/openapi.yaml describes are the same set,
// and that each operation's x-sgaudit-role is the role the router enforces.
TEST(OpenApiTest, RoutesAndDocumentAgree) {
  const YAML::Node document = YAML::LoadFile((kSource / "docs/openapi.yaml").string());
  std::map<std::string, std::string> documented;  // "get /api/v1/audits" -> role
  for (const auto& path : document["paths"]) {
    for (const auto& operation : path.second) {
      const std::string method = operation.first.as<std::string>();
      if (method == "parameters") continue;
      ASSERT_TRUE(operation.second["x-sgaudit-role"]) << method << " " << path.first.as<std::string>();
      documented[method + " " + path.first.as<std::string>()] =
          operation.second["x-sgaudit-role"].as<std::string>();
    }
  }
  std::map<std::string, std::string> served;
  for (const RouteSpec& route : apiRoutes()) {
    served[lower(route.method) + " " + std::string(route.pattern)] = std::string(toString(route.role));
  }
  EXPECT_EQ(documented, served);
}

// Test that the document the server serves is the one in docs/, byte for byte.
TEST(OpenApiTest, ServedDocumentIsTheFile) {
  std::ifstream in(kSource / "docs/openapi.yaml", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(openapiFiles().empty());
  EXPECT_EQ(openapiFiles().front().content, file);
}

// Test that Redocly's linter (recommended rules) finds no error and no warning in docs/openapi.yaml.
TEST(OpenApiTest, RedoclyLintIsClean) {
  const auto redocly = kSource / "tools/npm/node_modules/.bin/redocly";
  ASSERT_TRUE(std::filesystem::exists(redocly)) << "run scripts/install-deps.sh (npm ci in tools/npm)";
  const auto result =
      test::runProcess({redocly.string(), "lint", "--format=json", (kSource / "docs/openapi.yaml").string()},
                       {{"REDOCLY_TELEMETRY", "off"}, {"REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  // Node may print an upgrade notice before the report: the report is the JSON object that follows.
  const auto totals = result.out.find("\"totals\"");
  const auto start = totals == std::string::npos ? totals : result.out.rfind('{', totals);
  ASSERT_NE(start, std::string::npos) << result.out << result.err;
  const auto report = nlohmann::json::parse(result.out.substr(start), nullptr, false);
  ASSERT_TRUE(report.is_object()) << result.out << result.err;
  EXPECT_EQ(report.at("totals").at("errors"), 0) << result.out;
  EXPECT_EQ(report.at("totals").at("warnings"), 0) << result.out;
}

// Test that the Evidence and RuleRef schemas document every key an evidence item's JSON can carry, and no
// key it never carries.
TEST(OpenApiTest, EvidenceSchemaDocumentsTheTypedFields) {
  const YAML::Node schemas =
      YAML::LoadFile((kSource / "docs/openapi.yaml").string())["components"]["schemas"];
  auto documented = [&](const char* name) {
    std::set<std::string> keys;
    for (const auto& property : schemas[name]["properties"])
      keys.insert(property.first.as<std::string>());
    return keys;
  };
  core::Evidence evidence{"rule", "public sources admitted: 0.0.0.0/0", {"groups.json", 3}};
  evidence.rule = core::RuleRef{"huaweicloud", "sg-1", "web", "r-1", "r-1", "ssh", "allow", 10};
  evidence.addresses = {"0.0.0.0/0"};
  evidence.missing = {"10.0.0.0/8"};
  std::vector<std::string> many;  // past the byte budget: node_count and nodes_truncated
  for (int n = 0; n < 3000; ++n)
    many.push_back("node-with-a-long-name-" + std::to_string(n) + ".eu-west-1.compute.internal");
  evidence.nodes = many;
  const nlohmann::json json = evidence;
  std::set<std::string> written;
  for (const auto& [key, value] : json.items())
    written.insert(key);
  EXPECT_EQ(written, documented("Evidence"));
  std::set<std::string> rule_written;
  for (const auto& [key, value] : json.at("rule").items())
    rule_written.insert(key);
  EXPECT_EQ(rule_written, documented("RuleRef"));
  EXPECT_THAT(schemas["Finding"]["properties"]["evidence"]["items"]["$ref"].as<std::string>(),
              ::testing::EndsWith("/Evidence"));
}

}  // namespace
}  // namespace sgaudit::service
