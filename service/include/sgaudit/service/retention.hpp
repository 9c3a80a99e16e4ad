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

// Runs pruneOnce on its own thread: once when started and then every `interval`, until stopped. Constructing
// it starts nothing; start() starts the thread (once), stop() ends it and may be called any number of times,
// and the destructor stops it.
class RetentionTask {
 public:
  RetentionTask(AppContext& context, std::chrono::seconds interval);
  ~RetentionTask();
  RetentionTask(const RetentionTask&) = delete;
  RetentionTask& operator=(const RetentionTask&) = delete;

  void start();  // a second call while running does nothing; after stop() it starts again
  void stop();   // waits for a pass under way to end; does nothing when not running
  bool running() const;
  int passes() const;  // how many pruneOnce passes ended (whether they pruned or failed)

 private:
  void run();

  AppContext& context_;
  std::chrono::seconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  int passes_ = 0;
  std::thread thread_;
};

}  // namespace sgaudit::service
