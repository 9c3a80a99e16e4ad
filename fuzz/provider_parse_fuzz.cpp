// libFuzzer target, built once per registered provider (SGAUDIT_FUZZ_PROVIDER names it): bytes -> JSON ->
// the provider's recognise, then its read as every kind it knows (the recognised one and all others: a
// document the detector misjudges must still give a value or an InputError naming the input), and its
// renderers on what was read. Never a crash, a hang or unbounded memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/providers.hpp"

namespace {

using sgaudit::cloud::Provider;

const Provider& fuzzed() {
  static const Provider* provider = sgaudit::cloud::findProvider(SGAUDIT_FUZZ_PROVIDER);
  if (provider == nullptr) __builtin_trap();
  return *provider;
}

// A removal of the first rules read and an allow plan into their groups, so that the renderers see what the
// reader can produce.
void renderSome(const Provider& provider, const sgaudit::core::CloudInventory& inventory) {
  std::size_t rendered = 0;
  for (const auto& group : inventory.security_groups) {
    for (const auto& rule : group.group->rules) {
      if (++rendered > 16) return;
      sgaudit::core::NarrowRulePlan narrow;
      narrow.provider = std::string(provider.id());
      narrow.group_id = group.group->id;
      narrow.group_name = group.group->name;
      narrow.rule = rule;
      narrow.description = rule.origin.description;
      if (const auto* cidr = std::get_if<sgaudit::core::Cidr>(&rule.source)) narrow.narrower = {*cidr};
      (void)provider.renderFixes(narrow);
      sgaudit::core::AllowIngressPlan allow;
      allow.provider = narrow.provider;
      allow.group_id = group.group->id;
      allow.group_name = group.group->name;
      allow.protocol = rule.protocol;
      allow.ports = rule.ports;
      allow.sources = narrow.narrower;
      allow.source_groups = {{group.group->id, group.group->name}};
      allow.description = rule.origin.description;
      (void)provider.renderFixes(allow);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
  if (document.is_discarded()) return 0;
  const Provider& provider = fuzzed();
  const auto recognised = provider.recognise(document);
  // "pl-0123abcd.json": AWS takes a prefix list's id from the name of a get-managed-prefix-list-entries file.
  const std::string source = "pl-0123abcd.json";
  std::vector<std::string> warnings;
  for (const auto kind : provider.kinds()) {
    auto parsed = provider.read(kind, document, {source, &warnings});
    if (!parsed.ok()) {
      if (parsed.error().source != source) __builtin_trap();  // every error names its input
      (void)parsed.error().toString();
      continue;
    }
    if (recognised && recognised->kind == kind) renderSome(provider, parsed.value());
  }
  return 0;
}
