#include "sgaudit/core/firewall.hpp"

#include <algorithm>
#include <cassert>
#include <span>

#include "interval_algebra.hpp"

namespace sgaudit::core {

// A rule ready for evaluation: its source resolved and cut to its ethertype. Its key and address ranges live
// in pools of its group, so that evaluating a group touches a few contiguous blocks of memory.
struct CompiledRule {
  const SecurityGroupRule* rule = nullptr;
  std::shared_ptr<const RuleOrigin> origin;  // aliases the group, which it keeps alive
  RuleAction action = RuleAction::Allow;
  int priority = 0;
  int protocol = Protocol::kAnyNumber;
  std::span<const PortRange> ports;
  bool resolved = true;
  std::span<const AddressRange> v4;  // when resolved
  std::span<const AddressRange> v6;
  bool mayMatchV4 = false;  // when unresolved: the families its ethertype admits
  bool mayMatchV6 = false;
  std::string sourceText;  // describe(source), for unresolved rules

  std::span<const AddressRange> ranges(IpFamily family) const { return family == IpFamily::V4 ? v4 : v6; }
  bool mayMatch(IpFamily family) const { return family == IpFamily::V4 ? mayMatchV4 : mayMatchV6; }
  bool keysMatter(Protocol query) const { return protocol != Protocol::kAnyNumber && query.hasKey(); }
};

// What a query needs to pick a group's candidate rules, packed so that scanning a group touches little
// memory: one entry per (rule, key range), in evaluation order.
struct RuleKeyEntry {
  std::int16_t protocol;  // Protocol::kAnyNumber for any
  std::uint16_t first;    // key range; the whole range when the rule's keys do not matter
  std::uint16_t last;
  std::uint32_t rule;  // index into CompiledSecurityGroup::rules
};

struct CompiledSecurityGroup {
  std::shared_ptr<const SecurityGroup> group;
  std::vector<CompiledRule> rules;  // ingress rules that take part, in the model's order within the group
  std::vector<RuleKeyEntry> keys;
  std::vector<PortRange> portPool;
  std::vector<AddressRange> addressPool;
};

namespace {

// Evaluation order within one group: ascending priority, deny before allow at equal priority, then as
// written.
bool comesBefore(const CompiledRule& a, const CompiledRule& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  return a.action == RuleAction::Deny && b.action == RuleAction::Allow;
}

std::shared_ptr<const CompiledSecurityGroup> compileGroup(std::shared_ptr<const SecurityGroup> group,
                                                          EvaluationModel model,
                                                          const SourceResolver& resolver) {
  struct Pending {
    const SecurityGroupRule* rule;
    std::optional<AddressSet> addresses;
  };
  std::vector<Pending> pending;
  std::size_t portCount = 0;
  std::size_t addressCount = 0;
  for (const SecurityGroupRule& rule : group->rules) {
    if (rule.direction != Direction::Ingress) continue;
    if (model == EvaluationModel::Union && rule.action != RuleAction::Allow) continue;
    Pending entry{&rule, resolver.resolve(rule.source)};
    portCount += rule.ports.ranges().size();
    if (entry.addresses) {
      addressCount +=
          entry.addresses->ranges(IpFamily::V4).size() + entry.addresses->ranges(IpFamily::V6).size();
    }
    pending.push_back(std::move(entry));
  }
  if (model != EvaluationModel::Union) {
    std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
      if (a.rule->priority != b.rule->priority) return a.rule->priority < b.rule->priority;
      return a.rule->action == RuleAction::Deny && b.rule->action == RuleAction::Allow;
    });
  }

  auto compiled = std::make_shared<CompiledSecurityGroup>();
  // Reserved exactly, so the spans taken below stay valid.
  compiled->portPool.reserve(portCount);
  compiled->addressPool.reserve(addressCount);
  auto appendAddresses = [&](std::span<const AddressRange> ranges) {
    std::size_t begin = compiled->addressPool.size();
    compiled->addressPool.insert(compiled->addressPool.end(), ranges.begin(), ranges.end());
    return std::span<const AddressRange>(compiled->addressPool.data() + begin, ranges.size());
  };
  for (Pending& entry : pending) {
    const SecurityGroupRule& rule = *entry.rule;
    CompiledRule out;
    out.rule = &rule;
    out.origin = std::shared_ptr<const RuleOrigin>(group, &rule.origin);
    out.action = rule.action;
    out.priority = rule.priority;
    out.protocol = rule.protocol.number();
    std::size_t portBegin = compiled->portPool.size();
    const auto& ports = rule.ports.ranges();
    compiled->portPool.insert(compiled->portPool.end(), ports.begin(), ports.end());
    out.ports = std::span<const PortRange>(compiled->portPool.data() + portBegin, ports.size());
    if (entry.addresses) {
      if (admits(rule.ethertype, IpFamily::V4))
        out.v4 = appendAddresses(entry.addresses->ranges(IpFamily::V4));
      if (admits(rule.ethertype, IpFamily::V6))
        out.v6 = appendAddresses(entry.addresses->ranges(IpFamily::V6));
    } else {
      out.resolved = false;
      out.mayMatchV4 = admits(rule.ethertype, IpFamily::V4);
      out.mayMatchV6 = admits(rule.ethertype, IpFamily::V6);
      out.sourceText = describe(rule.source);
    }
    compiled->rules.push_back(std::move(out));
  }
  for (std::uint32_t i = 0; i < compiled->rules.size(); ++i) {
    const CompiledRule& rule = compiled->rules[i];
    auto protocol = static_cast<std::int16_t>(rule.protocol);
    if (rule.protocol == Protocol::kAnyNumber) {
      compiled->keys.push_back(RuleKeyEntry{protocol, 0, 65535, i});
      continue;
    }
    for (const PortRange& range : rule.ports) {
      compiled->keys.push_back(RuleKeyEntry{protocol, range.first, range.last, i});
    }
  }
  compiled->group = std::move(group);
  return compiled;
}

// The decision of one layer for a piece: the deciding rule (nullptr: default deny) and the unresolved rules
// evaluated before it with the opposite action.
struct LayerChoice {
  const CompiledRule* decider = nullptr;
  std::vector<const CompiledRule*> precedents;

  RuleAction action() const { return decider ? decider->action : RuleAction::Deny; }
  friend bool operator==(const LayerChoice&, const LayerChoice&) = default;
};

struct Piece {
  IpFamily family = IpFamily::V4;
  std::vector<AddressRange> ranges;
  std::vector<LayerChoice> choices;  // one per layer
  friend bool operator==(const Piece&, const Piece&) = default;
};

// The outcome for one elementary key interval before it is turned into the public answer.
struct IntervalOutcome {
  PortRange ports;
  std::vector<Piece> pieces;
  std::vector<std::pair<std::size_t, const CompiledRule*>> unresolved;  // (layer, rule)

  bool sameAs(const IntervalOutcome& other) const {
    return pieces == other.pieces && unresolved == other.unresolved;
  }
};

// Scratch space reused across intervals and families to keep allocation out of the inner loop.
struct Scratch {
  std::vector<AddressRange> remaining;
  std::vector<AddressRange> taken;
  std::vector<AddressRange> rest;
  std::vector<const CompiledRule*> unresolvedSoFar;
  std::vector<std::vector<const CompiledRule*>> active;  // per layer
};

// First-match partition of one family's universe by `active` (the layer's matching rules in evaluation
// order). Union layers use it too: their rules are all allow, so the first match only chooses which rule to
// cite.
void partitionLayer(const std::vector<const CompiledRule*>& active, IpFamily family,
                    const AddressRange& universe, Scratch& scratch, std::vector<Piece>& out) {
  scratch.remaining.assign(1, universe);
  scratch.unresolvedSoFar.clear();
  auto precedentsAgainst = [&](RuleAction action) {
    std::vector<const CompiledRule*> precedents;
    for (const CompiledRule* rule : scratch.unresolvedSoFar) {
      if (rule->action != action) precedents.push_back(rule);
    }
    return precedents;
  };
  for (const CompiledRule* rule : active) {
    if (!rule->resolved) {
      if (rule->mayMatch(family)) scratch.unresolvedSoFar.push_back(rule);
      continue;
    }
    const auto& ranges = rule->ranges(family);
    if (ranges.empty()) continue;
    intervals::intersectInto(scratch.remaining, ranges, scratch.taken);
    if (scratch.taken.empty()) continue;
    out.push_back(Piece{family, scratch.taken, {LayerChoice{rule, precedentsAgainst(rule->action)}}});
    intervals::subtractInto(scratch.remaining, ranges, scratch.rest);
    std::swap(scratch.remaining, scratch.rest);
    if (scratch.remaining.empty()) return;
  }
  out.push_back(
      Piece{family, scratch.remaining, {LayerChoice{nullptr, precedentsAgainst(RuleAction::Deny)}}});
}

// The rules of a layer that match `protocol` on some key of `ports`, in the layer's evaluation order.
std::vector<const CompiledRule*> candidateRules(const CompiledLayer& layer, Protocol protocol,
                                                PortRange ports) {
  std::vector<const CompiledRule*> out;
  const bool keysMatter = protocol.hasKey();
  for (const auto& group : layer.groups) {
    const CompiledRule* last = nullptr;
    for (const RuleKeyEntry& key : group->keys) {
      if (key.protocol != Protocol::kAnyNumber && key.protocol != protocol.number()) continue;
      if (keysMatter && (key.first > ports.last || ports.first > key.last)) continue;
      const CompiledRule* rule = &group->rules[key.rule];
      if (rule != last) out.push_back(rule);  // a rule's key ranges are adjacent entries
      last = rule;
    }
  }
  if (layer.model == EvaluationModel::PriorityDenyWins) {
    // Groups are already in model order inside, so a stable sort keeps group order for full ties.
    std::stable_sort(out.begin(), out.end(),
                     [](const CompiledRule* a, const CompiledRule* b) { return comesBefore(*a, *b); });
  }
  return out;
}

bool matchesKey(const CompiledRule& rule, Protocol protocol, std::uint16_t key) {
  if (!rule.keysMatter(protocol)) return true;
  return intervals::find(rule.ports, key) >= 0;
}

IntervalOutcome evaluateInterval(const CompiledFirewall& firewall,
                                 const std::vector<std::vector<const CompiledRule*>>& candidates,
                                 Protocol protocol, PortRange ports, const AddressSet& universe,
                                 Scratch& scratch) {
  IntervalOutcome outcome;
  outcome.ports = ports;
  const std::size_t layerCount = firewall.layers.size();
  auto& active = scratch.active;
  active.resize(layerCount);
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    active[layer].clear();
    for (const CompiledRule* rule : candidates[layer]) {
      if (!matchesKey(*rule, protocol, ports.first)) continue;
      active[layer].push_back(rule);
      bool reachesUniverse = (rule->mayMatchV4 && !universe.ranges(IpFamily::V4).empty()) ||
                             (rule->mayMatchV6 && !universe.ranges(IpFamily::V6).empty());
      if (!rule->resolved && reachesUniverse) outcome.unresolved.emplace_back(layer, rule);
    }
  }
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    if (universe.ranges(family).empty()) continue;
    const AddressRange whole = universe.ranges(family).front();
    if (layerCount == 0) {
      outcome.pieces.push_back(Piece{family, {whole}, {}});
      continue;
    }
    if (layerCount == 1) {
      partitionLayer(active[0], family, whole, scratch, outcome.pieces);
      continue;
    }
    std::vector<Piece> combined;
    partitionLayer(active[0], family, whole, scratch, combined);
    for (std::size_t layer = 1; layer < layerCount; ++layer) {
      std::vector<Piece> layerPieces;
      partitionLayer(active[layer], family, whole, scratch, layerPieces);
      std::vector<Piece> next;
      for (const Piece& left : combined) {
        for (const Piece& right : layerPieces) {
          intervals::intersectInto(left.ranges, right.ranges, scratch.taken);
          if (scratch.taken.empty()) continue;
          Piece piece{family, scratch.taken, left.choices};
          piece.choices.push_back(right.choices.front());
          next.push_back(std::move(piece));
        }
      }
      combined = std::move(next);
    }
    for (Piece& piece : combined)
      outcome.pieces.push_back(std::move(piece));
  }
  return outcome;
}

UnresolvedSource toUnresolvedSource(std::size_t layer, const CompiledRule& rule) {
  return UnresolvedSource{layer, rule.sourceText, rule.action, rule.rule->origin};
}

PortIntervalAnswer toAnswer(IntervalOutcome&& outcome) {
  PortIntervalAnswer answer;
  answer.ports = outcome.ports;
  for (const auto& [layer, rule] : outcome.unresolved)
    answer.unresolved.push_back(toUnresolvedSource(layer, *rule));
  answer.pieces.reserve(outcome.pieces.size());
  std::pair<std::vector<AddressRange>, std::vector<AddressRange>> admitted;  // (IPv4, IPv6)
  std::pair<std::vector<AddressRange>, std::vector<AddressRange>> undetermined;
  for (Piece& piece : outcome.pieces) {
    AddressPiece out;
    bool allAllow = true;
    bool anyAllowLayerMayDeny = false;
    bool everyDenyLayerMayAllow = true;
    for (std::size_t layer = 0; layer < piece.choices.size(); ++layer) {
      const LayerChoice& choice = piece.choices[layer];
      LayerDecision decision;
      decision.layer = layer;
      decision.action = choice.action();
      if (choice.decider) decision.rule = choice.decider->origin;
      for (const CompiledRule* precedent : choice.precedents) {
        decision.unlessMemberOf.push_back(toUnresolvedSource(layer, *precedent));
      }
      if (decision.action == RuleAction::Allow) {
        anyAllowLayerMayDeny = anyAllowLayerMayDeny || !choice.precedents.empty();
      } else {
        allAllow = false;
        everyDenyLayerMayAllow = everyDenyLayerMayAllow && !choice.precedents.empty();
      }
      out.decisions.push_back(std::move(decision));
    }
    out.verdict = allAllow ? RuleAction::Allow : RuleAction::Deny;
    // Allowed pieces flip when any layer may deny; denied pieces only when every denying layer may allow.
    out.dependsOnUnresolved = allAllow ? anyAllowLayerMayDeny : everyDenyLayerMayAllow;
    auto& target = piece.family == IpFamily::V4 ? admitted.first : admitted.second;
    auto& unsure = piece.family == IpFamily::V4 ? undetermined.first : undetermined.second;
    if (allAllow) target.insert(target.end(), piece.ranges.begin(), piece.ranges.end());
    if (out.dependsOnUnresolved) unsure.insert(unsure.end(), piece.ranges.begin(), piece.ranges.end());
    out.addresses = piece.family == IpFamily::V4 ? AddressSet::fromRanges(std::move(piece.ranges), {})
                                                 : AddressSet::fromRanges({}, std::move(piece.ranges));
    answer.pieces.push_back(std::move(out));
  }
  answer.admitted = AddressSet::fromRanges(std::move(admitted.first), std::move(admitted.second));
  answer.undetermined = AddressSet::fromRanges(std::move(undetermined.first), std::move(undetermined.second));
  std::sort(answer.pieces.begin(), answer.pieces.end(), [](const AddressPiece& a, const AddressPiece& b) {
    const auto& aRanges = a.addresses.ranges(IpFamily::V4).empty() ? a.addresses.ranges(IpFamily::V6)
                                                                   : a.addresses.ranges(IpFamily::V4);
    const auto& bRanges = b.addresses.ranges(IpFamily::V4).empty() ? b.addresses.ranges(IpFamily::V6)
                                                                   : b.addresses.ranges(IpFamily::V4);
    bool aV4 = !a.addresses.ranges(IpFamily::V4).empty();
    bool bV4 = !b.addresses.ranges(IpFamily::V4).empty();
    if (aV4 != bV4) return aV4;
    return aRanges.front().first < bRanges.front().first;
  });
  return answer;
}

const AddressSet& universeOf(Protocol protocol) {
  static const AddressSet v4 = AddressSet::allV4();
  static const AddressSet v6 = AddressSet::allV6();
  static const AddressSet both = AddressSet::all();
  if (protocol == Protocol::icmp()) return v4;
  if (protocol == Protocol::icmpv6()) return v6;
  return both;
}

// The piece cut to `to`, appended to `out` unless nothing of it is left.
void appendCut(const AddressPiece& piece, const AddressSet& to, std::vector<AddressPiece>& out) {
  AddressSet addresses = piece.addresses.intersect(to);
  if (addresses.empty()) return;
  out.push_back(
      AddressPiece{std::move(addresses), piece.verdict, piece.decisions, piece.dependsOnUnresolved});
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

std::optional<AddressSet> SourceResolver::resolve(const RuleSource& source) const {
  auto lookup = [](const std::unordered_map<std::string, AddressSet>& map,
                   const std::string& key) -> std::optional<AddressSet> {
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  };
  if (const auto* cidr = std::get_if<Cidr>(&source)) return AddressSet::of(*cidr);
  if (const auto* ref = std::get_if<SecurityGroupRef>(&source)) return lookup(securityGroupMembers, ref->id);
  if (const auto* ref = std::get_if<AddressGroupRef>(&source)) return lookup(addressGroups, ref->id);
  if (const auto* ref = std::get_if<PrefixListRef>(&source)) return lookup(prefixLists, ref->id);
  return lookup(providerTags, std::get<ProviderTag>(source).name);
}

const PortIntervalAnswer& ReachAnswer::at(std::uint16_t key) const {
  auto it = std::upper_bound(intervals.begin(), intervals.end(), key,
                             [](std::uint16_t k, const PortIntervalAnswer& a) { return k < a.ports.first; });
  assert(it != intervals.begin());
  return *(it - 1);
}

AddressSet addressUniverse(Protocol protocol) {
  return universeOf(protocol);
}

CompiledFirewall FirewallCompiler::compile(const Firewall& firewall) {
  CompiledFirewall out;
  out.layers.reserve(firewall.layers.size());
  for (const FirewallLayer& layer : firewall.layers) {
    CompiledLayer compiled{layer.name, layer.model, {}};
    compiled.groups.reserve(layer.groups.size());
    for (const auto& group : layer.groups) {
      auto& cached = cache_[{group.get(), layer.model}];
      if (!cached) cached = compileGroup(group, layer.model, resolver_);
      compiled.groups.push_back(cached);
    }
    out.layers.push_back(std::move(compiled));
  }
  return out;
}

ReachAnswer reach(const CompiledFirewall& firewall, Protocol protocol, PortRange ports) {
  ReachAnswer answer{protocol, ports, {}};
  const AddressSet& universe = universeOf(protocol);

  std::vector<std::vector<const CompiledRule*>> candidates;
  candidates.reserve(firewall.layers.size());
  for (const CompiledLayer& layer : firewall.layers)
    candidates.push_back(candidateRules(layer, protocol, ports));

  // Elementary intervals: split `ports` wherever a candidate rule's key ranges start or end, so that every
  // rule matches either all keys of an interval or none.
  std::vector<std::uint16_t> starts{ports.first};
  if (protocol.hasKey()) {
    for (const auto& layerCandidates : candidates) {
      for (const CompiledRule* rule : layerCandidates) {
        if (!rule->keysMatter(protocol)) continue;
        for (const PortRange& range : rule->ports) {
          if (range.first > ports.first && range.first <= ports.last) starts.push_back(range.first);
          if (range.last >= ports.first && range.last < ports.last) {
            starts.push_back(static_cast<std::uint16_t>(range.last + 1));
          }
        }
      }
    }
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  }

  Scratch scratch;
  std::vector<IntervalOutcome> outcomes;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::uint16_t last = i + 1 < starts.size() ? static_cast<std::uint16_t>(starts[i + 1] - 1) : ports.last;
    IntervalOutcome outcome =
        evaluateInterval(firewall, candidates, protocol, PortRange{starts[i], last}, universe, scratch);
    if (!outcomes.empty() && outcomes.back().sameAs(outcome)) {
      outcomes.back().ports.last = last;
    } else {
      outcomes.push_back(std::move(outcome));
    }
  }
  answer.intervals.reserve(outcomes.size());
  for (IntervalOutcome& outcome : outcomes)
    answer.intervals.push_back(toAnswer(std::move(outcome)));
  return answer;
}

ReachAnswer reach(const Firewall& firewall, const SourceResolver& resolver, Protocol protocol,
                  PortRange ports) {
  FirewallCompiler compiler(resolver);
  return reach(compiler.compile(firewall), protocol, ports);
}

RequirementCheck checkRequired(const PortIntervalAnswer& answer, const AddressSet& required) {
  RequirementCheck check;
  check.ports = answer.ports;
  check.missing = required.subtract(answer.admitted);
  check.missingCidrs = check.missing.toCidrs();
  AddressSet admittedRequired = required.intersect(answer.admitted);
  if (check.missing.empty()) {
    check.exposure = Exposure::Open;
  } else if (admittedRequired.empty()) {
    check.exposure = Exposure::Blocked;
  } else {
    check.exposure = Exposure::PartiallyOpen;
  }
  // Denied pieces are never admitted and allowed pieces always are, so each piece meets only one of the two.
  for (const AddressPiece& piece : answer.pieces) {
    if (piece.verdict == RuleAction::Deny) {
      appendCut(piece, check.missing, check.missingDecidedBy);
    } else {
      appendCut(piece, admittedRequired, check.admittedDecidedBy);
    }
  }
  check.dependsOnUnresolved = answer.undetermined.intersects(required);
  return check;
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
