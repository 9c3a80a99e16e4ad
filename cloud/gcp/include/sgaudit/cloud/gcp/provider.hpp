#pragma once

// Google Cloud in the provider registry (sgaudit/cloud/providers.hpp).

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud::gcp {

const Provider& provider();

}  // namespace sgaudit::cloud::gcp
