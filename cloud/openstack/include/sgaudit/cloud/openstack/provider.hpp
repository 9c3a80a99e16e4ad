#pragma once

// OpenStack in the provider registry (sgaudit/cloud/providers.hpp).

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud::openstack {

const Provider& provider();

}  // namespace sgaudit::cloud::openstack
