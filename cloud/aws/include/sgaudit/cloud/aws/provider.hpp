#pragma once

// AWS in the provider registry (sgaudit/cloud/providers.hpp).

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud::aws {

const Provider& provider();

}  // namespace sgaudit::cloud::aws
