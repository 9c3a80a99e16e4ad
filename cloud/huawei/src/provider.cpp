#include "sgaudit/cloud/huawei/provider.hpp"

#include <array>

#include "sgaudit/cloud/huawei/reader.hpp"
#include "sgaudit/cloud/huawei/remediation.hpp"

namespace sgaudit::cloud::huawei {
namespace {

class Huawei final : public Provider {
 public:
  std::string_view name() const override { return "huawei"; }
  std::string_view id() const override { return kProvider; }
  std::string_view title() const override { return "Huawei Cloud"; }
  std::span<const std::string_view> kinds() const override { return kKinds; }

  // Every shape this reader claims is Huawei Cloud's own (it is weighed before OpenStack's look-alikes), and
  // a document marked as Huawei Cloud's that is none of them is claimed without a kind rather than read as
  // Neutron's.
  std::optional<Recognition> recognise(const nlohmann::json& document) const override {
    if (auto kind = huawei::recognise(document)) return Recognition{std::move(*kind), Certainty::Marked};
    if (isMarked(document)) return Recognition{"", Certainty::Marked};
    return std::nullopt;
  }

  Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                    const ReadContext& context) const override {
    return parse(std::string(kind), document, std::string(context.source));
  }

  std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const override {
    return renderAllow(plan);
  }
  std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const override {
    return renderNarrow(plan);
  }

 private:
  static constexpr std::array<std::string_view, 9> kKinds = {
      kind::kV3SecurityGroups, kind::kV3SecurityGroupRules,
      kind::kV1SecurityGroups, kind::kV3AddressGroups,
      kind::kEcsServers,       kind::kV1Vpcs,
      kind::kV3Vpcs,           kind::kV1Subnets,
      kind::kCceClusters};
};

}  // namespace

const Provider& provider() {
  static const Huawei instance;
  return instance;
}

}  // namespace sgaudit::cloud::huawei
