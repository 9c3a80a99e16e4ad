#pragma once

// The cce-seed audit document and the metadata the report tests render it with.

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "sgaudit/report/view.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::report::fixture {

inline nlohmann::json readJson(const std::filesystem::path& path) {
  return nlohmann::json::parse(test::readFile(path));
}

inline nlohmann::json seedAudit() {
  return readJson(test::testDataDir() / "golden/cce-seed-audit.json");
}

inline ReportMeta seedMeta() {
  ReportMeta meta;
  meta.scope = "cce-seed";
  meta.audited_at = "2026-11-25T10:00:00Z";
  meta.policy = readJson(test::testDataDir() / "scenarios/cce-seed/policy.json");
  return meta;
}

inline ReportView seedView() {
  auto view = reportViewFromJson(seedAudit(), seedMeta());
  if (!view) throw std::runtime_error(view.error().message);
  return std::move(view).value();
}

// The audit document whose names, titles, evidence and fixes carry script and attribute injections.
inline ReportView hostileView() {
  ReportMeta meta;
  meta.scope = "<script>alert(1)</script> scope";
  meta.audited_at = "\" onmouseover=\"alert(2)";
  meta.policy = "javascript:alert(3)";
  auto view = reportViewFromJson(readJson(test::testDataDir() / "report/hostile-audit.json"), meta);
  if (!view) throw std::runtime_error(view.error().message);
  return std::move(view).value();
}

// Compares with test/data/golden/report/<name> byte for byte; SGAUDIT_UPDATE_GOLDEN=1 rewrites the file.
inline void expectGolden(const std::string& name, const std::string& actual) {
  const auto path = test::testDataDir() / "golden/report" / name;
  if (std::getenv("SGAUDIT_UPDATE_GOLDEN") != nullptr) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    ADD_FAILURE() << "rewrote " << path << "; review the diff and run again without SGAUDIT_UPDATE_GOLDEN";
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing: run with SGAUDIT_UPDATE_GOLDEN=1";
  EXPECT_TRUE(actual == test::readFile(path))
      << "differs from golden file " << path << " (SGAUDIT_UPDATE_GOLDEN=1 rewrites it for review)";
}

}  // namespace sgaudit::report::fixture
