#pragma once

// The registry of cloud providers (sgaudit/cloud/provider.hpp): every provider listed in
// SGAUDIT_CLOUD_PROVIDERS (cloud/CMakeLists.txt), in that order.

#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/provider.hpp"

namespace sgaudit::cloud {

// Every provider, in registration order.
std::span<const Provider* const> providers();

// The provider of that name() ("huawei") or id() ("huaweicloud"), or null.
const Provider* findProvider(std::string_view name_or_id);

// The provider whose kinds a kind is one of ("aws.ec2.describe-instances" -> AWS), or null.
const Provider* providerOfKind(std::string_view kind);

// A provider's claim on a document.
struct Claim {
  const Provider* provider = nullptr;
  Recognition recognition;
};

// The most certain claim any provider makes on `document` (at equal certainty, the first registered), or
// nullopt when no provider recognises it.
std::optional<Claim> claim(const nlohmann::json& document);

}  // namespace sgaudit::cloud
