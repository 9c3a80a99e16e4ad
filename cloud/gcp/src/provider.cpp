#include "sgaudit/cloud/gcp/provider.hpp"

#include <array>

#include "sgaudit/cloud/gcp/inputs.hpp"
#include "sgaudit/cloud/gcp/remediation.hpp"

namespace sgaudit::cloud::gcp {
namespace {

class Gcp final : public Provider {
 public:
  std::string_view name() const override { return "gcp"; }
  std::string_view id() const override { return kProvider; }
  std::string_view title() const override { return "Google Cloud"; }
  std::span<const std::string_view> kinds() const override { return kKinds; }

  // The Compute API's "kind" ("compute#firewallList", which gcloud prints too) and GKE's cluster members are
  // marked claims; a resource that lost its "kind" is told by its shape.
  std::optional<Recognition> recognise(const nlohmann::json& document) const override {
    auto claim = gcp::recognise(document);
    if (!claim) return std::nullopt;
    return Recognition{std::move(claim->kind), claim->marked ? Certainty::Marked : Certainty::Shape};
  }

  Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                    const ReadContext& context) const override {
    return parse(kind, document, context.source, context.warnings);
  }

  void link(core::CloudInventory& inventory, std::vector<std::string>& warnings) const override {
    gcp::link(inventory, warnings);
  }

  std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const override {
    return gcp::renderFixes(plan);
  }
  std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const override {
    return gcp::renderFixes(plan);
  }

 private:
  static constexpr std::array<std::string_view, 5> kKinds = {
      kind::kFirewalls, kind::kInstances, kind::kNetworks, kind::kSubnetworks, kind::kGkeCluster};
};

}  // namespace

const Provider& provider() {
  static const Gcp instance;
  return instance;
}

}  // namespace sgaudit::cloud::gcp
