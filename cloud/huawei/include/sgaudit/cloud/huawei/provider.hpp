#pragma once

// Huawei Cloud in the provider registry (sgaudit/cloud/providers.hpp).

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud::huawei {

const Provider& provider();

}  // namespace sgaudit::cloud::huawei
