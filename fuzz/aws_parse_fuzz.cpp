// libFuzzer target: bytes -> JSON -> aws::recognise -> aws::parse. Any input must give a value or an
// InputError, never a crash, a hang or unbounded memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/aws/inputs.hpp"
#include "sgaudit/cloud/aws/remediation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;
  const auto kind = sgaudit::cloud::aws::recognise(document);
  if (!kind) return 0;
  auto parsed = sgaudit::cloud::aws::parse(*kind, document, "pl-0123abcd.json");
  if (!parsed.ok()) {
    (void)parsed.error().toString();
    return 0;
  }
  // Render a removal of the first rules read, so that the renderers see what the reader can produce.
  std::size_t rendered = 0;
  for (const auto& group : parsed.value().security_groups) {
    for (const auto& rule : group.group->rules) {
      if (++rendered > 16) return 0;
      sgaudit::core::NarrowRulePlan plan;
      plan.group_id = group.group->id;
      plan.group_name = group.group->name;
      plan.rule = rule;
      if (const auto* cidr = std::get_if<sgaudit::core::Cidr>(&rule.source)) plan.narrower = {*cidr};
      (void)sgaudit::cloud::aws::renderFixes(plan);
    }
  }
  return 0;
}
