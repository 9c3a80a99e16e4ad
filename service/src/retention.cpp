#include "sgaudit/service/retention.hpp"

#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service {

PruneCounts pruneOnce(AppContext& context) {
  const Config& config = context.config();
  const std::string cutoff = isoTime(context.now() - std::chrono::hours(24) * config.keep_audit_days);
  PruneCounts counts;
  context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    counts.audits = db::AuditStore(db).pruneBefore(cutoff);
    counts.snapshots = db::SnapshotStore(db).prune(config.keep_snapshots);
    transaction.commit();
  });
  if (counts.audits > 0 || counts.snapshots > 0) {
    logEvent(LogLevel::Info, "retention",
             {{"audits_removed", counts.audits}, {"snapshots_removed", counts.snapshots}});
  }
  return counts;
}

int cleanSpool(const std::filesystem::path& spool_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(spool_dir, ec)) return 0;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(spool_dir, ec)) {
    if (entry.path().filename().string().starts_with("sgaudit-") &&
        std::filesystem::remove(entry.path(), ec)) {
      ++removed;
    }
  }
  if (removed > 0) logEvent(LogLevel::Info, "removed stale upload files", {{"files", removed}});
  return removed;
}

RetentionTask::RetentionTask(AppContext& context, std::chrono::seconds interval)
    : context_(context), interval_(interval) {}

RetentionTask::~RetentionTask() {
  stop();
}

void RetentionTask::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void RetentionTask::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stop_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  thread.join();
}

bool RetentionTask::running() const {
  std::lock_guard lock(mutex_);
  return thread_.joinable();
}

int RetentionTask::passes() const {
  std::lock_guard lock(mutex_);
  return passes_;
}

void RetentionTask::run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    lock.unlock();
    try {
      pruneOnce(context_);
    } catch (const std::exception& e) {
      logEvent(LogLevel::Error, "retention failed", {{"error", e.what()}});
    }
    lock.lock();
    ++passes_;
    wake_.wait_for(lock, interval_, [this] { return stop_; });
  }
}

}  // namespace sgaudit::service
