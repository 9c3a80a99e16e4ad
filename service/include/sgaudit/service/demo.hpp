#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

// `sgaudit serve --demo`: on a database with no scopes yet, uploads the bundled cce-seed scenario (the
// Huawei Cloud CCE situation of the seed document) into cluster "cce-demo" and account "huawei-demo", stores
// its policy as "cce-seed" and audits it, so that a newcomer's first page shows a real report. Returns the
// audit's id, or 0 when the database already had data. Throws on failure.
std::int64_t loadDemo(AppContext& context);

// The demo's scopes ("cce-demo", "huawei-demo") that loadDemo creates.
bool isDemoScope(std::string_view name);

// The scopes a database holds that are not the demo's, by name (at most `limit`).
std::vector<std::string> nonDemoScopes(AppContext& context, std::size_t limit = 5);

// Called where a scope is written (an upload, a source, a collection): a demo server's public reads end, with
// a log line, once its database holds anything that is not the demo's.
void noteScopeWritten(AppContext& context, std::string_view name);

}  // namespace sgaudit::service
