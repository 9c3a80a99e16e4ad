#include "sgaudit/cloud/aws/provider.hpp"

#include <array>

#include "sgaudit/cloud/aws/inputs.hpp"
#include "sgaudit/cloud/aws/remediation.hpp"

namespace sgaudit::cloud::aws {
namespace {

class Aws final : public Provider {
 public:
  std::string_view name() const override { return "aws"; }
  std::string_view id() const override { return "aws"; }
  std::string_view title() const override { return "AWS"; }
  std::span<const std::string_view> kinds() const override { return kKinds; }

  // Every AWS shape is marked: the CLI prints the API's capitalised members (SecurityGroups, Reservations).
  std::optional<Recognition> recognise(const nlohmann::json& document) const override {
    auto kind = aws::recognise(document);
    if (!kind) return std::nullopt;
    return Recognition{std::move(*kind), Certainty::Marked};
  }

  Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                    const ReadContext& context) const override {
    return parse(kind, document, context.source);
  }

  std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const override {
    return aws::renderFixes(plan);
  }
  std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const override {
    return aws::renderFixes(plan);
  }

 private:
  static constexpr std::array<std::string_view, 8> kKinds = {kind::kDescribeSecurityGroups,
                                                             kind::kDescribeSecurityGroupRules,
                                                             kind::kDescribeManagedPrefixLists,
                                                             kind::kGetManagedPrefixListEntries,
                                                             kind::kDescribeInstances,
                                                             kind::kDescribeVpcs,
                                                             kind::kDescribeSubnets,
                                                             kind::kDescribeCluster};
};

}  // namespace

const Provider& provider() {
  static const Aws instance;
  return instance;
}

}  // namespace sgaudit::cloud::aws
