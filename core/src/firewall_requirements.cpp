// What the firewall's answers mean for a requirement, and the model's small vocabulary: the names of models
// and exposures, a source's addresses as the resolver knows them, the interval of an answer holding a key,
// and the check of what a workload requires against what an answer admits (the firewall_*.cpp files
// compute the answers).
#include <algorithm>
#include <cassert>

#include "sgaudit/core/firewall.hpp"

namespace sgaudit::core {
namespace {

// The piece cut to `to`, appended to `out` unless nothing of it is left.
void appendCut(const AddressPiece& piece, const AddressSet& to, std::vector<AddressPiece>& out) {
  if (to.contains(piece.addresses)) {  // the common case of a wide requirement: no need to cut
    out.push_back(piece);
    return;
  }
  AddressSet addresses = piece.addresses.intersect(to);
  if (addresses.empty()) return;
  out.push_back(
      AddressPiece{std::move(addresses), piece.verdict, piece.decisions, piece.depends_on_unresolved});
}

}  // namespace

const char* toString(EvaluationModel model) {
  switch (model) {
    case EvaluationModel::Union:
      return "union";
    case EvaluationModel::FirstMatchByPriority:
      return "first-match-by-priority";
    case EvaluationModel::PriorityDenyWins:
      break;
  }
  return "priority-deny-wins";
}

const char* toString(Exposure exposure) {
  switch (exposure) {
    case Exposure::Open:
      return "open";
    case Exposure::PartiallyOpen:
      return "partially-open";
    case Exposure::Blocked:
      break;
  }
  return "blocked";
}

const AddressSet* SourceResolver::find(const RuleSource& source, AddressSet& scratch) const {
  auto lookup = [](const std::unordered_map<std::string, AddressSet>& map,
                   const std::string& key) -> const AddressSet* {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  };
  if (const auto* cidr = std::get_if<Cidr>(&source)) {
    scratch = AddressSet::of(*cidr);
    return &scratch;
  }
  if (const auto* ref = std::get_if<SecurityGroupRef>(&source))
    return lookup(security_group_members, ref->id);
  if (const auto* ref = std::get_if<AddressGroupRef>(&source)) return lookup(address_groups, ref->id);
  if (const auto* ref = std::get_if<PrefixListRef>(&source)) return lookup(prefix_lists, ref->id);
  return lookup(provider_tags, std::get<ProviderTag>(source).name);
}

std::optional<AddressSet> SourceResolver::resolve(const RuleSource& source) const {
  AddressSet scratch;
  const AddressSet* found = find(source, scratch);
  if (found == nullptr) return std::nullopt;
  return *found;
}

const PortIntervalAnswer& ReachAnswer::at(std::uint16_t key) const {
  auto it = std::upper_bound(intervals.begin(), intervals.end(), key,
                             [](std::uint16_t k, const PortIntervalAnswer& a) { return k < a.ports.first; });
  assert(it != intervals.begin());
  return *(it - 1);
}

Exposure exposureOf(const AddressSet& admitted, const AddressSet& required) {
  if (admitted.contains(required)) return Exposure::Open;
  return admitted.intersects(required) ? Exposure::PartiallyOpen : Exposure::Blocked;
}

RequirementCheck checkRequired(const PortIntervalAnswer& answer, const AddressSet& required) {
  RequirementCheck check;
  check.ports = answer.ports;
  check.missing = required.subtract(answer.admitted);
  check.admitted = required.intersect(answer.admitted);
  if (check.missing.empty()) {
    check.exposure = Exposure::Open;
  } else if (check.admitted.empty()) {
    check.exposure = Exposure::Blocked;
  } else {
    check.exposure = Exposure::PartiallyOpen;
  }
  check.depends_on_unresolved = answer.undetermined.intersects(required);
  return check;
}

// Denied pieces are never admitted and allowed pieces always are, so each piece meets only one of `missing`
// and `admitted`.
std::vector<AddressPiece> RequirementCheck::missingDecidedBy(const PortIntervalAnswer& answer) const {
  std::vector<AddressPiece> out;
  for (const AddressPiece& piece : answer.pieces) {
    if (piece.verdict == RuleAction::Deny) appendCut(piece, missing, out);
  }
  return out;
}

std::vector<AddressPiece> RequirementCheck::admittedDecidedBy(const PortIntervalAnswer& answer) const {
  std::vector<AddressPiece> out;
  for (const AddressPiece& piece : answer.pieces) {
    if (piece.verdict == RuleAction::Allow) appendCut(piece, admitted, out);
  }
  return out;
}

std::vector<RequirementCheck> checkRequired(const ReachAnswer& answer, const AddressSet& required) {
  std::vector<RequirementCheck> checks;
  checks.reserve(answer.intervals.size());
  for (const PortIntervalAnswer& interval : answer.intervals)
    checks.push_back(checkRequired(interval, required));
  return checks;
}

Exposure combinedExposure(const std::vector<RequirementCheck>& checks) {
  bool allOpen = true;
  bool allBlocked = true;
  for (const RequirementCheck& check : checks) {
    allOpen = allOpen && check.exposure == Exposure::Open;
    allBlocked = allBlocked && check.exposure == Exposure::Blocked;
  }
  if (allOpen) return Exposure::Open;
  if (allBlocked) return Exposure::Blocked;
  return Exposure::PartiallyOpen;
}

}  // namespace sgaudit::core
