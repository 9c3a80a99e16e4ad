#include "sgaudit/cloud/providers.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "registered_providers.inc"

namespace sgaudit::cloud {
namespace {

// Built on first use, so that no static initializer elsewhere can see it empty.
std::span<const Provider* const> registered() {
  static const auto list = generated::registeredProviders();
  return list;
}

}  // namespace

std::span<const Provider* const> providers() {
  return registered();
}

const Provider* findProvider(std::string_view name_or_id) {
  for (const Provider* provider : registered()) {
    if (provider->name() == name_or_id || provider->id() == name_or_id) return provider;
  }
  return nullptr;
}

const Provider* providerOfKind(std::string_view kind) {
  for (const Provider* provider : registered()) {
    const auto kinds = provider->kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) return provider;
  }
  return nullptr;
}

std::optional<Claim> claim(const nlohmann::json& document) {
  std::optional<Claim> best;
  for (const Provider* provider : registered()) {
    auto recognition = provider->recognise(document);
    if (recognition && (!best || recognition->certainty > best->recognition.certainty))
      best = Claim{provider, std::move(*recognition)};
  }
  return best;
}

}  // namespace sgaudit::cloud
