// AuditStore on a real SQLite file: a result document is stored without its findings, which are its rows,
// and read back whole; a result stored by schema 9, findings and all, reads back as it was.
#include "sgaudit/db/audit_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::db {
namespace {

using json = nlohmann::json;
using sgaudit::test::TempDir;

NewAudit auditWith(const std::vector<std::string>& fingerprints) {
  NewAudit audit;
  audit.policy = "{}";
  audit.started_at = audit.finished_at = "2026-12-04T00:00:00Z";
  audit.summary = "{}";
  for (const auto& fingerprint : fingerprints) {
    FindingRow row;
    row.check_id = "hostport.conflict";
    row.severity = "high";
    row.fingerprint = fingerprint;
    row.title = "finding " + fingerprint;
    // Bodies with what must survive as bytes: escapes, a comma, a bracket, non-ASCII.
    row.body = json{{"fingerprint", fingerprint}, {"title", "a \"quoted\", [bracketed] näme\n"}}.dump();
    audit.findings.push_back(row);
  }
  return audit;
}

// The document as the server writes it: "findings" in key order, its value left as null at `at`.
std::string documentWithoutFindings(std::size_t& at) {
  const std::string head = R"({"audit":{"id":1},"findings":)";
  at = head.size();
  return head + R"(null,"warnings":["a \"null\" that is not the placeholder"]})";
}

// Test that a result stored without its findings reads back with the rows' bodies in their order, byte for
// byte what one document holding them would be, and that an empty audit reads as an empty array.
TEST(AuditStoreTest, FindingsAreStoredOnceAndReadBackInTheirPlace) {
  TempDir dir;
  auto db = openAndMigrate(dir / "audits.db");
  AuditStore store(db);
  // Inserted out of fingerprint order: the document keeps the audit's order, not the fingerprints'.
  const NewAudit audit = auditWith({"c3", "a1", "b2"});
  const std::int64_t id = store.insert(audit);
  std::size_t at = 0;
  const std::string stored = documentWithoutFindings(at);
  store.setResult(id, stored, at);

  const auto whole = store.result(id);
  ASSERT_TRUE(whole);
  std::string expected = stored.substr(0, at) + "[";
  for (std::size_t i = 0; i < audit.findings.size(); ++i)
    expected += (i > 0 ? "," : "") + audit.findings[i].body;
  expected += "]" + stored.substr(at + 4);
  EXPECT_EQ(*whole, expected);
  const json parsed = json::parse(*whole);
  ASSERT_EQ(parsed.at("findings").size(), 3U);
  EXPECT_EQ(parsed.at("findings")[0].at("fingerprint"), "c3");
  EXPECT_EQ(parsed.at("findings")[2].at("fingerprint"), "b2");

  auto size = db.prepare("SELECT length(result) FROM audit_results WHERE audit_id = ?1");
  size.bind(1, id);
  ASSERT_TRUE(size.step());
  EXPECT_EQ(size.getInt64(0), static_cast<std::int64_t>(stored.size()));  // the bodies are not in it

  const std::int64_t empty = store.insert(auditWith({}));
  store.setResult(empty, stored, at);
  EXPECT_EQ(json::parse(*store.result(empty)).at("findings"), json::array());
  EXPECT_FALSE(store.result(empty + 1));
}

// Test that a placeholder the document does not hold is refused when storing, and a stored one that moved
// (a damaged database) is an error naming the audit, never a document with findings in the wrong place.
TEST(AuditStoreTest, AMissingPlaceholderIsRefused) {
  TempDir dir;
  auto db = openAndMigrate(dir / "audits.db");
  AuditStore store(db);
  const std::int64_t id = store.insert(auditWith({"a1"}));
  std::size_t at = 0;
  const std::string stored = documentWithoutFindings(at);
  EXPECT_THROW(store.setResult(id, stored, at + 1), std::logic_error);
  EXPECT_THROW(store.setResult(id, stored, stored.size()), std::logic_error);
  store.setResult(id, stored, at);
  db.prepare("UPDATE audit_results SET findings_at = 3").run();
  try {
    store.result(id);
    FAIL() << "a moved placeholder was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stored audit " + std::to_string(id)), std::string::npos)
        << e.what();
  }
}

// Test that a database written by schema 9, whose result documents hold their findings, migrates to the
// findings stored once and still reads its old results as they were, while new audits store theirs once.
TEST(AuditStoreTest, ResultsStoredBeforeSchema10ReadAsTheyWere) {
  TempDir dir;
  const auto path = dir / "audits.db";
  std::vector<Migration> up_to_9 = Migrator::embedded().migrations();
  ASSERT_GE(up_to_9.size(), 10U);
  up_to_9.resize(9);
  const std::string old_document = R"({"findings":[{"fingerprint":"a1"}],"warnings":[]})";
  std::int64_t old_id = 0;
  {
    auto db = Database::open(path);
    Migrator(up_to_9).migrate(db);
    db.prepare(
          "INSERT INTO audits (state, policy, started_at, summary) VALUES ('succeeded', '{}', "
          "'2026-12-01T00:00:00Z', '{}')")
        .run();
    old_id = db.lastInsertRowId();
    auto stmt = db.prepare("INSERT INTO audit_results (audit_id, result) VALUES (?1, ?2)");
    stmt.bind(1, old_id).bind(2, old_document).run();
  }
  auto db = openAndMigrate(path);
  AuditStore store(db);
  EXPECT_EQ(store.result(old_id), old_document);
  const std::int64_t id = store.insert(auditWith({"b2"}));
  std::size_t at = 0;
  const std::string stored = documentWithoutFindings(at);
  store.setResult(id, stored, at);
  EXPECT_EQ(json::parse(*store.result(id)).at("findings")[0].at("fingerprint"), "b2");
}

}  // namespace
}  // namespace sgaudit::db
