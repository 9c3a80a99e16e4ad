#pragma once

// The finding catalogue as the reports describe it: core's one list (core/finding.hpp kChecks).

#include "sgaudit/core/finding.hpp"

namespace sgaudit::report::detail {

using core::CheckInfo;
using core::checkInfo;
inline constexpr const auto& kCatalogue = core::kChecks;

}  // namespace sgaudit::report::detail
