#include "sgaudit/cloud/azure/provider.hpp"

#include <array>

#include "sgaudit/cloud/azure/inputs.hpp"
#include "sgaudit/cloud/azure/remediation.hpp"

namespace sgaudit::cloud::azure {
namespace {

class Azure final : public Provider {
 public:
  std::string_view name() const override { return "azure"; }
  std::string_view id() const override { return kProvider; }
  std::string_view title() const override { return "Azure"; }
  std::span<const std::string_view> kinds() const override { return kKinds; }

  // Every Azure resource names its type ("Microsoft.Network/networkSecurityGroups"): a marked claim.
  std::optional<Recognition> recognise(const nlohmann::json& document) const override {
    auto kind = azure::recognise(document);
    if (!kind) return std::nullopt;
    return Recognition{std::move(*kind), Certainty::Marked};
  }

  Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                    const ReadContext& context) const override {
    return parse(kind, document, context.source, context.warnings);
  }

  void link(core::CloudInventory& inventory, std::vector<std::string>& warnings) const override {
    azure::link(inventory, warnings);
  }

  std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const override {
    return azure::renderFixes(plan);
  }
  std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const override {
    return azure::renderFixes(plan);
  }

 private:
  static constexpr std::array<std::string_view, 5> kKinds = {kind::kNsgs, kind::kNics, kind::kSubnets,
                                                             kind::kVnets, kind::kAksCluster};
};

}  // namespace

const Provider& provider() {
  static const Azure instance;
  return instance;
}

}  // namespace sgaudit::cloud::azure
