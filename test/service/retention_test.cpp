// The retention task's life cycle: constructing it runs nothing, start() runs a pass on its own thread
// against a real SQLite database, stop() ends it (and may be repeated), and the destructor stops a running
// task.

#include "sgaudit/service/retention.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "sgaudit/db/migrator.hpp"
#include "support/temp_dir.hpp"

namespace sgaudit::service {
namespace {

using sgaudit::test::TempDir;

// Waits up to 10 s for `task` to have ended at least `count` passes.
bool waitForPasses(const RetentionTask& task, int count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (task.passes() < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST(RetentionTaskTest, ConstructingStartsNothing) {
  TempDir dir;
  AppContext context(Config{}, db::openAndMigrate(dir / "retention.db"));
  RetentionTask task(context, std::chrono::hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(task.running());
  EXPECT_EQ(task.passes(), 0);
}

TEST(RetentionTaskTest, StartRunsAPassAndStopEndsTheThread) {
  TempDir dir;
  AppContext context(Config{}, db::openAndMigrate(dir / "retention.db"));
  RetentionTask task(context, std::chrono::hours(1));
  task.start();
  task.start();  // already running: no second thread, no second pass
  EXPECT_TRUE(task.running());
  ASSERT_TRUE(waitForPasses(task, 1));
  task.stop();
  EXPECT_FALSE(task.running());
  EXPECT_EQ(task.passes(), 1);  // the hour-long wait was cut short, not run through
  task.stop();                  // idempotent
  EXPECT_FALSE(task.running());
  EXPECT_EQ(task.passes(), 1);
}

TEST(RetentionTaskTest, StartsAgainAfterStop) {
  TempDir dir;
  AppContext context(Config{}, db::openAndMigrate(dir / "retention.db"));
  RetentionTask task(context, std::chrono::hours(1));
  task.start();
  ASSERT_TRUE(waitForPasses(task, 1));
  task.stop();
  task.start();
  ASSERT_TRUE(waitForPasses(task, 2));
  EXPECT_TRUE(task.running());
}

TEST(RetentionTaskTest, DestructorStopsARunningTask) {
  TempDir dir;
  AppContext context(Config{}, db::openAndMigrate(dir / "retention.db"));
  const auto before = std::chrono::steady_clock::now();
  {
    RetentionTask task(context, std::chrono::hours(1));
    task.start();
    ASSERT_TRUE(waitForPasses(task, 1));
  }
  // Waiting out the interval would take an hour; the destructor wakes the thread instead.
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
}

}  // namespace
}  // namespace sgaudit::service
