#pragma once

#include <string_view>

namespace sgaudit::report::detail {

// A file of report/assets/ by name ("report.css"), compiled into the binary; empty when there is none.
std::string_view asset(std::string_view name);

}  // namespace sgaudit::report::detail
