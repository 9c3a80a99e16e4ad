#pragma once

// Azure in the provider registry (sgaudit/cloud/providers.hpp).

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud::azure {

const Provider& provider();

}  // namespace sgaudit::cloud::azure
