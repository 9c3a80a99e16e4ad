#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

struct PruneCounts {
  int snapshots = 0;
  int audits = 0;
};

// Applies the configured retention once: audits older than keep_audit_days (the newest per cluster stays),
// then snapshots beyond keep_snapshots per scope that no audit uses, then unreferenced blobs.
PruneCounts pruneOnce(AppContext& context);

// Removes upload spool files a killed server left behind. Run at start, before serving.
int cleanSpool(const std::filesystem::path& spool_dir);

// Runs pruneOnce at start and then every `interval`, on its own thread, until destroyed.
class RetentionTask {
 public:
  RetentionTask(AppContext& context, std::chrono::seconds interval);
  ~RetentionTask();
  RetentionTask(const RetentionTask&) = delete;
  RetentionTask& operator=(const RetentionTask&) = delete;

 private:
  AppContext& context_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sgaudit::service
