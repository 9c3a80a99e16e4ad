#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "sgaudit/db/database.hpp"
#include "sgaudit/service/config.hpp"
#include "sgaudit/service/metrics.hpp"

namespace sgaudit::service {

struct BuildInfo {
  std::string version;
  std::string commit;
  std::string compiler;
  int schema_version = 0;  // the newest migration compiled in
};

BuildInfo buildInfo();

// What handlers share: configuration, the store, and the service's lifecycle state.
class AppContext {
 public:
  AppContext(Config config, std::optional<db::Database> database);

  const Config& config() const { return config_; }
  const BuildInfo& build() const { return build_; }

  bool hasDatabase() const { return database_.has_value(); }

  // Runs `work` with the connection held exclusively. Throws std::logic_error without a database.
  template <typename Work>
  decltype(auto) withDatabase(Work&& work) {
    std::lock_guard lock(database_mutex_);
    if (!database_) throw std::logic_error("no database is open");
    return work(*database_);
  }

  Metrics& metrics() { return metrics_; }

  // Wall-clock time, injectable so that tests drive it (Envoy's TimeSource).
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  std::chrono::system_clock::time_point now() const {
    return clock_ ? clock_() : std::chrono::system_clock::now();
  }
  void setClock(WallClock clock) { clock_ = std::move(clock); }

  // Set by the scheduler while it runs: the schedule handlers call it so a new due time is seen at once.
  std::function<void()> onSchedulesChanged;

  // Whether callers without a credential may read: --public-read, or the demo's database while it holds only
  // the demo (`sgaudit serve --demo`; see demo.hpp), which ends for good when anything else is stored.
  bool publicRead() const { return config_.public_read || demo_public_read_; }
  void setDemoPublicRead(bool on) { demo_public_read_ = on; }
  bool demoPublicRead() const { return demo_public_read_; }

  void beginShutdown() { shutting_down_ = true; }
  bool shuttingDown() const { return shutting_down_; }

  // Closes the database (at the end of a clean shutdown).
  void closeDatabase();

 private:
  Config config_;
  BuildInfo build_;
  std::mutex database_mutex_;
  std::optional<db::Database> database_;
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> demo_public_read_{false};
  Metrics metrics_;
  WallClock clock_;
};

}  // namespace sgaudit::service
