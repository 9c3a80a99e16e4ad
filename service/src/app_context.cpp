#include "sgaudit/service/app_context.hpp"

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/service/version.hpp"

namespace sgaudit::service {

BuildInfo buildInfo() {
  BuildInfo info;
  info.version = kVersion;
  info.commit = kCommit;
  info.compiler = kCompiler;
  info.schema_version = db::Migrator::embedded().latestVersion();
  return info;
}

AppContext::AppContext(Config config, std::optional<db::Database> database)
    : config_(std::move(config)), build_(buildInfo()), database_(std::move(database)) {}

void AppContext::closeDatabase() {
  std::lock_guard lock(database_mutex_);
  database_.reset();
}

}  // namespace sgaudit::service
