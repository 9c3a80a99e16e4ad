#include "sgaudit/cloud/openstack/provider.hpp"

#include <array>

#include "sgaudit/cloud/openstack/inputs.hpp"
#include "sgaudit/cloud/openstack/remediation.hpp"

namespace sgaudit::cloud::openstack {
namespace {

class OpenStack final : public Provider {
 public:
  std::string_view name() const override { return "openstack"; }
  std::string_view id() const override { return "openstack"; }
  std::string_view title() const override { return "OpenStack"; }
  std::span<const std::string_view> kinds() const override { return kKinds; }

  // Neutron's and Nova's shapes are answered by other clouds too (Huawei Cloud's VPC v1 and ECS APIs): a
  // claim by shape, which a provider finding its own markers outweighs.
  std::optional<Recognition> recognise(const nlohmann::json& document) const override {
    auto kind = openstack::recognise(document);
    if (!kind) return std::nullopt;
    return Recognition{std::move(*kind), Certainty::Shape};
  }

  Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                    const ReadContext& context) const override {
    ParseOptions options;
    options.warnings = context.warnings;
    return parse(kind, document, context.source, options);
  }

  std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const override {
    return openstack::renderFixes(plan);
  }
  std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const override {
    return openstack::renderFixes(plan);
  }

 private:
  static constexpr std::array<std::string_view, 12> kKinds = {kind::kCliSecurityGroupList,
                                                              kind::kCliSecurityGroupShow,
                                                              kind::kCliSecurityGroupRuleList,
                                                              kind::kSecurityGroups,
                                                              kind::kSecurityGroup,
                                                              kind::kSecurityGroupRules,
                                                              kind::kSecurityGroupRule,
                                                              kind::kPorts,
                                                              kind::kPort,
                                                              kind::kServers,
                                                              kind::kNetworks,
                                                              kind::kSubnets};
};

}  // namespace

const Provider& provider() {
  static const OpenStack instance;
  return instance;
}

}  // namespace sgaudit::cloud::openstack
