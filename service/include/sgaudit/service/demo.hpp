#pragma once

#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

// `sgaudit serve --demo`: on a database with no scopes yet, uploads the bundled cce-seed scenario (the
// Huawei Cloud CCE situation of the seed document) into cluster "cce-demo" and account "huawei-demo", stores
// its policy as "cce-seed" and audits it, so that a newcomer's first page shows a real report. Returns the
// audit's id, or 0 when the database already had data. Throws on failure.
std::int64_t loadDemo(AppContext& context);

}  // namespace sgaudit::service
