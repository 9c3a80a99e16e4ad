// libFuzzer target: bytes -> JSON -> huawei::recognise, then huawei::parse as every Huawei kind (the
// recognised one and all others: a document the detector misjudges must still give a value or an InputError),
// and the narrowing renderer on what was read. Never a crash, a hang or unbounded memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/huawei/reader.hpp"
#include "sgaudit/cloud/huawei/remediation.hpp"

namespace {

constexpr const char* kKinds[] = {"huawei.vpc.v3.security-groups",
                                  "huawei.vpc.v3.security-group-rules",
                                  "huawei.vpc.v1.security-groups",
                                  "huawei.vpc.v3.address-groups",
                                  "huawei.ecs.servers",
                                  "huawei.vpc.v1.vpcs",
                                  "huawei.vpc.v1.subnets",
                                  "huawei.cce.clusters"};

void renderSome(const sgaudit::core::CloudInventory& inventory) {
  std::size_t rendered = 0;
  for (const auto& group : inventory.security_groups) {
    for (const auto& rule : group.group->rules) {
      if (++rendered > 16) return;
      sgaudit::core::NarrowRulePlan plan;
      plan.provider = sgaudit::cloud::huawei::kProvider;
      plan.group_id = group.group->id;
      plan.group_name = group.group->name;
      plan.rule = rule;
      if (const auto* cidr = std::get_if<sgaudit::core::Cidr>(&rule.source)) plan.narrower = {*cidr};
      (void)sgaudit::cloud::huawei::renderNarrow(plan);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;
  const auto recognised = sgaudit::cloud::huawei::recognise(document);
  for (const char* kind : kKinds) {
    auto parsed = sgaudit::cloud::huawei::parse(kind, document, "rules.json");
    if (!parsed.ok()) {
      const auto& error = parsed.error();
      // Every error names its input and where in it.
      if (error.source != "rules.json" || error.where.empty() || error.where[0] != '/') __builtin_trap();
      (void)error.toString();
      continue;
    }
    if (recognised && *recognised == kind) renderSome(parsed.value());
  }
  return 0;
}
