#include "sgaudit/schedule/schedule_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;
using sgaudit::test::TempDir;

TimePoint at(std::string_view utc) {
  return parseUtc(utc).value();
}

// The cluster, account and policy nightly() names: a schedule may name only what exists.
void addReferences(db::Database& db) {
  db.exec(
      "INSERT INTO scopes (kind, name, created_at) VALUES ('cluster', 'prod', 't'), ('account', "
      "'huawei-prod', "
      "'t');"
      "INSERT INTO policies (name, version, body, created_at) VALUES ('default', 1, '{}', 't')");
}

ScheduleSpec nightly() {
  ScheduleSpec spec;
  spec.name = "nightly";
  spec.cron = "0 2 * * *";
  spec.time_zone = "Europe/Berlin";
  spec.cluster = "prod";
  spec.accounts = {"huawei-prod"};
  spec.policy_name = "default";
  spec.targets = {{"https://hooks.example.com/sgaudit", "0123456789abcdef-secret", core::Severity::High}};
  return spec;
}

// Test that a schedule round-trips through the store with its next run computed in its time zone.
TEST(ScheduleStoreTest, CreateGetListUpdateRemove) {
  TempDir dir;
  auto db = db::openAndMigrate(dir / "s.db");
  addReferences(db);
  ScheduleStore store(db);
  auto created = store.create(nightly(), at("2026-07-01T12:00:00Z"));
  ASSERT_TRUE(created.ok()) << created.errors.front().text();
  const auto id = created.value->id;
  EXPECT_EQ(formatUtc(*created.value->next_run_at), "2026-07-02T00:00:00Z");  // 02:00 CEST

  auto got = store.get(id).value();
  EXPECT_EQ(got.spec.name, "nightly");
  EXPECT_EQ(got.spec.accounts, std::vector<std::string>{"huawei-prod"});
  ASSERT_EQ(got.spec.targets.size(), 1U);
  EXPECT_EQ(got.spec.targets[0].secret, "0123456789abcdef-secret");
  EXPECT_EQ(got.spec.targets[0].min_severity, core::Severity::High);
  EXPECT_EQ(store.list().size(), 1U);
  EXPECT_EQ(store.findByName("nightly")->id, id);

  auto spec = nightly();
  spec.cron = "*/15 * * * *";
  spec.time_zone = "UTC";
  spec.targets.clear();
  auto updated = store.update(id, spec, at("2026-07-01T12:07:00Z"));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(formatUtc(*updated.value->next_run_at), "2026-07-01T12:15:00Z");
  EXPECT_TRUE(updated.value->spec.targets.empty());
  EXPECT_EQ(formatUtc(updated.value->updated_at), "2026-07-01T12:07:00Z");

  spec.name = "renamed";  // same timing: the pending due time stays
  EXPECT_EQ(formatUtc(*store.update(id, spec, at("2026-07-01T12:20:00Z")).value->next_run_at),
            "2026-07-01T12:15:00Z");

  spec.enabled = false;
  EXPECT_FALSE(store.update(id, spec, at("2026-07-01T12:08:00Z")).value->next_run_at.has_value());

  EXPECT_TRUE(store.remove(id));
  EXPECT_FALSE(store.remove(id));
  EXPECT_FALSE(store.get(id).has_value());
}

// Test that a duplicate name is a conflict, an unknown id is not found, and bad fields are invalid.
TEST(ScheduleStoreTest, ErrorsAsValues) {
  TempDir dir;
  auto db = db::openAndMigrate(dir / "s.db");
  addReferences(db);
  ScheduleStore store(db);
  const auto now = at("2026-07-01T12:00:00Z");
  ASSERT_TRUE(store.create(nightly(), now).ok());
  auto duplicate = store.create(nightly(), now);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.errors[0].kind, FieldError::Kind::Conflict);
  EXPECT_EQ(duplicate.errors[0].text(), "/name: a schedule named \"nightly\" already exists");
  auto missing = store.update(999, nightly(), now);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.errors[0].kind, FieldError::Kind::NotFound);
  auto bad = nightly();
  bad.name = "other";
  bad.cron = "61 * * * *";
  bad.time_zone = "../etc/passwd";
  bad.targets[0].url = "http://169.254.169.254/";
  bad.targets[0].secret = "short";
  auto invalid = store.create(bad, now);
  ASSERT_FALSE(invalid.ok());
  std::vector<std::string> texts;
  for (const auto& e : invalid.errors)
    texts.push_back(e.text());
  EXPECT_EQ(
      texts,
      (std::vector<std::string>{
          "/cron: minute field \"61\": value out of range 0-59",
          "/time_zone: time zone \"../etc/passwd\": not a valid IANA name (empty, \".\" or \"..\" component)",
          "/targets/0/url: host 169.254.169.254 refused: 169.254.169.254 is the cloud metadata service",
          "/targets/0/secret: secret must be 16 to 512 bytes"}));
  EXPECT_EQ(store.list().size(), 1U);
}

// Test reading a request body: every problem with its JSON pointer, unknown fields refused.
TEST(ScheduleStoreTest, ParsesRequestBodies) {
  auto ok = parseScheduleSpec(json::parse(R"({
      "name": "every-minute", "cron": "* * * * *", "cluster": "prod", "accounts": ["a", "b"],
      "targets": [{"url": "https://hooks.example.com/x", "secret": "0123456789abcdef", "min_severity": "critical"}],
      "catch_up": false, "id": 7, "next_run_at": "2026-01-01T00:00:00Z"})"));
  ASSERT_TRUE(ok.ok()) << ok.errors.front().text();
  EXPECT_EQ(ok.value->time_zone, "UTC");
  EXPECT_FALSE(ok.value->catch_up);
  EXPECT_TRUE(ok.value->enabled);
  EXPECT_EQ(ok.value->targets[0].min_severity, core::Severity::Critical);

  auto bad = parseScheduleSpec(json::parse(R"({
      "name": "", "cron": "* * * *", "cluster": 5, "accounts": "a", "enabled": "yes", "colour": "red",
      "targets": [{"url": "gopher://x", "secret": "0123456789abcdef", "min_severity": "urgent"}, 3]})"));
  ASSERT_FALSE(bad.ok());
  std::vector<std::string> texts;
  for (const auto& e : bad.errors)
    texts.push_back(e.text());
  EXPECT_EQ(texts,
            (std::vector<std::string>{
                "/accounts: expected an array of account names, got string",
                "/cluster: expected a string, got number",
                "/colour: unknown field",
                "/cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4",
                "/enabled: expected true or false, got string",
                "/name: name must be 1 to 128 characters",
                "/targets/0/min_severity: \"urgent\" is not a severity (info, low, medium, high or critical)",
                "/targets/0/url: scheme \"gopher\" is not allowed (http or https only)",
                "/targets/1: expected an object with url, secret and min_severity, got number",
            }));
  EXPECT_EQ(parseScheduleSpec(json::array()).errors[0].text(), "expected a JSON object, got array");
}

// Test that the JSON a client sees carries everything but the secret.
TEST(ScheduleStoreTest, JsonNeverCarriesSecrets) {
  Schedule schedule;
  schedule.id = 3;
  schedule.spec = nightly();
  schedule.next_run_at = at("2026-07-02T00:00:00Z");
  const json out = schedule;
  EXPECT_EQ(out["id"], 3);
  EXPECT_EQ(out["next_run_at"], "2026-07-02T00:00:00Z");
  EXPECT_EQ(out["last_run_at"], nullptr);
  EXPECT_EQ(out["targets"][0]["url"], "https://hooks.example.com/sgaudit");
  EXPECT_EQ(out["targets"][0]["secret_set"], true);
  EXPECT_EQ(out.dump().find("0123456789abcdef-secret"), std::string::npos);
}

// Test that a store on a database without schema 3 says so.
TEST(ScheduleStoreTest, RefusesUnmigratedDatabase) {
  TempDir dir;
  auto db = db::Database::open(dir / "empty.db");
  EXPECT_THROW(ScheduleStore store(db), db::DbError);
}

// Test that a schedule naming a cluster, account or policy that does not exist is refused when it is written
// (created or replaced), each at its pointer, and nothing is stored.
TEST(ScheduleStoreTest, MissingReferencesAreRefused) {
  TempDir dir;
  auto db = db::openAndMigrate(dir / "s.db");
  ScheduleStore store(db);
  const TimePoint now = at("2026-07-01T12:00:00Z");
  auto refused = store.create(nightly(), now);
  ASSERT_FALSE(refused.ok());
  std::vector<std::string> pointers;
  for (const auto& error : refused.errors) {
    EXPECT_EQ(error.kind, FieldError::Kind::Invalid);
    pointers.push_back(error.pointer);
  }
  EXPECT_EQ(pointers, (std::vector<std::string>{"/cluster", "/accounts/0", "/policy"}));
  EXPECT_THAT(refused.errors[0].message, ::testing::HasSubstr("there is no cluster \"prod\""));
  EXPECT_TRUE(store.list().empty());

  addReferences(db);
  auto created = store.create(nightly(), now);
  ASSERT_TRUE(created.ok()) << created.errors.front().text();
  auto spec = nightly();
  spec.policy_name = "gone";
  auto updated = store.update(created.value->id, spec, now);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.errors.at(0).pointer, "/policy");
  EXPECT_EQ(store.get(created.value->id)->spec.policy_name, "default");
}

}  // namespace
}  // namespace sgaudit::schedule
