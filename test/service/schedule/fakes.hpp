#pragma once

// Fakes for the scheduler's outside dependencies: an audit runner that stores a real audits row and
// returns programmed findings, and a webhook transport that records requests and plays back responses.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sgaudit/db/database.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/schedule/scheduler.hpp"

namespace sgaudit::schedule::test {

inline RunFinding finding(std::string fingerprint, core::Severity severity,
                          std::string check = "sg.port-blocked") {
  RunFinding f;
  f.fingerprint = fingerprint;
  f.check = std::move(check);
  f.severity = severity;
  f.title = "finding " + fingerprint;
  f.namespace_name = "default";
  f.node = "node-1";
  return f;
}

class FakeAuditRunner final : public AuditRunner {
 public:
  explicit FakeAuditRunner(std::filesystem::path db_path) : db_path_(std::move(db_path)) {}

  RunOutcome run(const Schedule& schedule) override {
    std::unique_lock lock(mutex_);
    ++calls_;
    schedules_.push_back(schedule.spec.name);
    entered_.notify_all();
    released_.wait(lock, [&] { return !hold_; });
    if (fail_) return RunOutcome{0, {}, {}, "cluster " + schedule.spec.cluster + " has no snapshot"};
    RunOutcome outcome;
    outcome.findings = findings_;
    outcome.inputs = inputs_;
    outcome.collection = collection_;
    // A real audits row, as the service's runner stores one.
    auto db = db::Database::open(db_path_);
    db.prepare(
          "INSERT INTO audits (state, policy_name, started_at, finished_at) VALUES ('succeeded', ?1, "
          "'2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z')")
        .bind(1, schedule.spec.policy_name.value_or("default"))
        .run();
    outcome.audit_id = db.lastInsertRowId();
    return outcome;
  }

  void setFindings(std::vector<RunFinding> findings) {
    std::lock_guard guard(mutex_);
    findings_ = std::move(findings);
  }
  void setInputs(std::vector<InputSnapshot> inputs) {
    std::lock_guard guard(mutex_);
    inputs_ = std::move(inputs);
  }
  void setFailing(bool fail) {
    std::lock_guard guard(mutex_);
    fail_ = fail;
  }
  // What the run's collection did, as the service's runner reports it.
  void setCollection(nlohmann::json collection) {
    std::lock_guard guard(mutex_);
    collection_ = std::move(collection);
  }
  // While held, run() blocks after it has been entered (to keep a run in progress).
  void hold() {
    std::lock_guard guard(mutex_);
    hold_ = true;
  }
  void release() {
    std::lock_guard guard(mutex_);
    hold_ = false;
    released_.notify_all();
  }
  bool waitForCalls(int n) {
    std::unique_lock lock(mutex_);
    return entered_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_ >= n; });
  }
  int calls() const {
    std::lock_guard guard(mutex_);
    return calls_;
  }

 private:
  std::filesystem::path db_path_;
  mutable std::mutex mutex_;
  std::condition_variable entered_;
  std::condition_variable released_;
  bool hold_ = false;
  bool fail_ = false;
  std::optional<nlohmann::json> collection_;
  int calls_ = 0;
  std::vector<std::string> schedules_;
  std::vector<RunFinding> findings_;
  std::vector<InputSnapshot> inputs_;
};

class FakeTransport final : public WebhookTransport {
 public:
  WebhookResponse post(const WebhookRequest& request) override {
    std::lock_guard guard(mutex_);
    requests_.push_back(request);
    if (responses_.empty()) return WebhookResponse{200, "", false};
    auto response = responses_.front();
    responses_.pop_front();
    return response;
  }
  void queue(WebhookResponse response) {
    std::lock_guard guard(mutex_);
    responses_.push_back(std::move(response));
  }
  std::vector<WebhookRequest> requests() const {
    std::lock_guard guard(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<WebhookResponse> responses_;
  std::vector<WebhookRequest> requests_;
};

inline std::string header(const WebhookRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace sgaudit::schedule::test
