// The firewall engine: security groups compiled for questions, and the questions answered (firewall.hpp says
// what each model means). A map of this file, in order:
//   1. CompiledRule, the keys verdicts are painted with, CompiledSecurityGroup (up to comesBefore).
//   2. Compiling a group: its rules resolved and cut to their ethertype, ordered by the model, and indexed by
//      protocol and elementary key interval (buildProtocolIndex, compileGroup).
//   3. One key interval in full (reach): the candidate rules of each layer (candidateRules, selectActive), a
//      sweep over their source ranges per layer in which the first covering rule decides (sweepLayer), and
//      the layers combined into pieces with their deciding rules (partitionFamily, evaluateInterval).
//   4. Verdicts only (verdictEach): the same question painted as ranges keyed by verdict, no deciding rules,
//      with the rules of protocol any painted once per group (paintKeyed ... evaluateVerdict).
//   5. Answers written from outcomes (writeAnswer), the compiler's cache, reach, and the batch of questions
//      over many firewalls that shares work between firewalls with the same content (answerEach, reachEach,
//      verdictEach).
// What an answer means for a requirement (exposure, missing and admitted addresses and who decided them) is
// in firewall_requirements.cpp.
#include "sgaudit/core/firewall.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string_view>
#include <type_traits>

#include "interval_algebra.hpp"

namespace sgaudit::core {

// A rule ready for evaluation: its source resolved and cut to its ethertype. Its key and address ranges live
// in pools of its group, so that evaluating a group touches a few contiguous blocks of memory.
// One cache line, with everything a question about one key reads of a candidate rule: in a large fleet those
// reads, scattered over many groups, are mostly cache misses, and the smaller the rules the more of them stay
// cached.
struct alignas(64) CompiledRule {
  const AddressRange* addresses = nullptr;  // when resolved: v4Count IPv4 ranges, then v6Count IPv6 ranges
  std::uint32_t v4Count = 0;
  std::uint32_t v6Count = 0;
  std::shared_ptr<const RuleOrigin> origin;  // cited by answers; aliases the group, which it keeps alive
  const SecurityGroupRule* rule = nullptr;   // its source, for answers
  const PortRange* portData = nullptr;       // key ranges, read by questions over several keys
  std::int32_t priority = 0;                 // copied: ordering reads it for every candidate
  std::uint16_t portCount = 0;
  std::int16_t protocol = Protocol::kAnyNumber;
  RuleAction action = RuleAction::Allow;
  bool resolved = true;
  bool mayMatchV4 = false;  // when unresolved: the families its ethertype admits
  bool mayMatchV6 = false;

  std::span<const AddressRange> ranges(IpFamily family) const {
    return family == IpFamily::V4 ? std::span<const AddressRange>(addresses, v4Count)
                                  : std::span<const AddressRange>(addresses + v4Count, v6Count);
  }
  std::span<const PortRange> ports() const { return {portData, portCount}; }
  bool mayMatch(IpFamily family) const { return family == IpFamily::V4 ? mayMatchV4 : mayMatchV6; }
  bool keysMatter(Protocol query) const { return protocol != Protocol::kAnyNumber && query.hasKey(); }
};
static_assert(sizeof(CompiledRule) == 64);

namespace {

// A layer's verdict for some addresses (verdictEach): bit kAllows, the layer allows; bit kMayFlip, an
// unresolved reference evaluated before the deciding rule, with the opposite action, could reverse that
// (makeChoice's precedents).
using VerdictLabel = std::uint8_t;
constexpr VerdictLabel kAllows = 1;
constexpr VerdictLabel kMayFlip = 2;

// Verdicts paint addresses in their family's own integer: IPv4 addresses in 32 bits, which makes a painting
// a third of the memory to move and its comparisons single instructions.
using V4 = std::uint32_t;
using V6 = Uint128;
template <class Address>
constexpr IpFamily familyOf = std::is_same_v<Address, V4> ? IpFamily::V4 : IpFamily::V6;

template <class Address>
struct Interval {
  Address first = 0;
  Address last = 0;
};

template <class Address>
struct LabelledRange {
  Address first = 0;
  Address last = 0;
  VerdictLabel label = 0;
};

// A verdict needs a layer's evaluation order only up to ties between rules of one action, which give the
// same verdict whichever decides. A rule's verdict key orders it so: a lower key is evaluated first, and
// bit 0 is set for allow rules.
//   union: every rule allows, in no order that matters: 1;
//   first match by priority: the group's position in the layer, then priority, deny first;
//   priority, deny wins: priority, deny first.
// Its key within its group leaves the group's position out (groupVerdictKey), for what is computed once per
// group; layerVerdictKey adds it.
std::uint64_t groupVerdictKey(EvaluationModel model, const CompiledRule& rule) {
  const std::uint64_t allows = rule.action == RuleAction::Allow ? 1 : 0;
  if (model == EvaluationModel::Union) return allows;
  const std::uint64_t priority = static_cast<std::uint32_t>(rule.priority) ^ 0x80000000u;  // signed order
  return (priority << 1) | allows;
}

std::uint64_t layerVerdictKey(EvaluationModel model, std::uint32_t groupPosition, std::uint64_t groupKey) {
  assert(groupPosition < (std::uint32_t{1} << 31));
  if (model != EvaluationModel::FirstMatchByPriority) return groupKey;
  return groupKey | (std::uint64_t{groupPosition} << 33);
}

std::uint64_t verdictKey(EvaluationModel model, std::uint32_t groupPosition, const CompiledRule& rule) {
  return layerVerdictKey(model, groupPosition, groupVerdictKey(model, rule));
}

struct KeyedRule {
  std::uint64_t key = 0;
  const CompiledRule* rule = nullptr;
};

// Addresses decided by the rules of one verdict key.
template <class Address>
struct KeyedRange {
  Address first = 0;
  Address last = 0;
  std::uint64_t key = 0;
};

// The first unresolved rule of each action, by verdict key, that can match a family: a resolved rule's
// verdict may flip when one of the opposite action comes before it (makeChoice's precedents), and the
// default deny when any allow rule is unresolved.
struct UnresolvedKeys {
  static constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t allow = kNone;
  std::uint64_t deny = kNone;

  // The first of a group's, as in a layer at groupPosition.
  void add(const UnresolvedKeys& group, EvaluationModel model, std::uint32_t groupPosition) {
    if (group.allow != kNone) allow = std::min(allow, layerVerdictKey(model, groupPosition, group.allow));
    if (group.deny != kNone) deny = std::min(deny, layerVerdictKey(model, groupPosition, group.deny));
  }
  void add(const KeyedRule& keyed, IpFamily family) {
    if (keyed.rule->resolved || !keyed.rule->mayMatch(family)) return;
    std::uint64_t& first = (keyed.key & 1) != 0 ? allow : deny;
    first = std::min(first, keyed.key);
  }
  VerdictLabel labelOf(std::uint64_t key) const {
    const bool allows = (key & 1) != 0;
    const bool mayFlip = (allows ? deny : allow) < key;
    return static_cast<VerdictLabel>((allows ? kAllows : 0) | (mayFlip ? kMayFlip : 0));
  }
  VerdictLabel uncovered() const { return allow != kNone ? kMayFlip : 0; }
};

// Rules of protocol any painted for verdicts (verdictEach), per family, with their unresolved rules: a
// group's at compile time, keyed within the group, and from those a layer's, once for all the questions
// about a firewall and protocol.
struct AnyProtocolPainting {
  std::vector<KeyedRange<V4>> v4;
  std::vector<KeyedRange<V6>> v6;
  std::array<UnresolvedKeys, 2> unresolved;

  template <class Address>
  const std::vector<KeyedRange<Address>>& painted() const {
    if constexpr (familyOf<Address> == IpFamily::V4) {
      return v4;
    } else {
      return v6;
    }
  }
};

}  // namespace

// The rules of a group for one protocol its rules name, per elementary key interval (the keys between the
// boundaries of the protocol's rules), so that a question about one key reads only the rules that match it.
// Rules of protocol any are kept apart (CompiledSecurityGroup::anyProtocol) and merged in at the question.
struct ProtocolIndex {
  std::int16_t protocol = 0;
  std::span<const std::uint16_t> starts;   // first key of each interval; starts[0] == 0
  std::span<const std::uint32_t> offsets;  // interval i's rules: rules[offsets[i], offsets[i + 1])
  std::span<const std::uint32_t> rules;    // indices into CompiledSecurityGroup::rules, ascending
};

struct CompiledSecurityGroup {
  std::shared_ptr<const SecurityGroup> group;
  std::vector<CompiledRule> rules;  // ingress rules that take part, in the model's order within the group
  std::vector<PortRange> portPool;
  std::vector<AddressRange> addressPool;
  std::vector<ProtocolIndex> byProtocol;
  std::span<const std::uint32_t> anyProtocol;  // rules of protocol any, ascending
  AnyProtocolPainting anyProtocolPainting;     // theirs, for verdicts
  // What the index's spans point into: every protocol's starts, and its offsets and rules.
  std::vector<std::uint16_t> startPool;
  std::vector<std::uint32_t> indexPool;
};

namespace {

// Evaluation order within one group: ascending priority, deny before allow at equal priority, then as
// written.
bool comesBefore(const CompiledRule& a, const CompiledRule& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  return a.action == RuleAction::Deny && b.action == RuleAction::Allow;
}

// The resolver's addresses for a symbolic source, or null when it does not know them.
const AddressSet* lookupSource(const SourceResolver& resolver, const RuleSource& source) {
  auto find = [](const std::unordered_map<std::string, AddressSet>& map,
                 const std::string& key) -> const AddressSet* {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  };
  if (const auto* ref = std::get_if<SecurityGroupRef>(&source))
    return find(resolver.security_group_members, ref->id);
  if (const auto* ref = std::get_if<AddressGroupRef>(&source)) return find(resolver.address_groups, ref->id);
  if (const auto* ref = std::get_if<PrefixListRef>(&source)) return find(resolver.prefix_lists, ref->id);
  if (const auto* tag = std::get_if<ProviderTag>(&source)) return find(resolver.provider_tags, tag->name);
  return nullptr;
}

// The interval of sorted `starts` (starts[0] == 0) that contains `key`: the last start at or below it. A
// binary search without branches on the comparisons, which are unpredictable: building an index makes many.
std::size_t intervalContaining(std::span<const std::uint16_t> starts, std::uint16_t key) {
  const std::uint16_t* base = starts.data();
  for (std::size_t n = starts.size(); n > 1;) {
    const std::size_t half = n / 2;
    base = base[half] <= key ? base + half : base;
    n -= half;
  }
  return static_cast<std::size_t>(base - starts.data());
}

// Builds the group's rule index. Each protocol's arrays are built in scratch space, then the group's pools
// are allocated once at their final size and the spans taken.
void buildProtocolIndex(CompiledSecurityGroup& compiled) {
  thread_local std::vector<std::int16_t> protocols;
  thread_local std::vector<std::uint16_t> startPool;
  thread_local std::vector<std::uint32_t> indexPool;
  struct Cover {
    std::uint32_t rule;
    std::uint32_t first;  // intervals first..last
    std::uint32_t last;
  };
  thread_local std::vector<Cover> covers;
  // Where each protocol's arrays lie in the pools.
  struct Placed {
    std::int16_t protocol;
    std::size_t starts, intervals, offsets, rules, ruleCount;
  };
  thread_local std::vector<Placed> placed;
  protocols.clear();
  startPool.clear();
  indexPool.clear();
  placed.clear();
  for (std::uint32_t r = 0; r < compiled.rules.size(); ++r) {
    const std::int16_t protocol = compiled.rules[r].protocol;
    if (protocol == Protocol::kAnyNumber) {
      indexPool.push_back(r);  // the rules of protocol any come first in the pool
    } else if (std::find(protocols.begin(), protocols.end(), protocol) == protocols.end()) {
      protocols.push_back(protocol);
    }
  }
  const std::size_t anyCount = indexPool.size();
  std::sort(protocols.begin(), protocols.end());
  for (std::int16_t protocol : protocols) {
    Placed at{protocol, startPool.size(), 0, 0, 0, 0};
    startPool.push_back(0);
    // A protocol without keys has one interval: its rules' port sets are ignored.
    const bool keyed = Protocol::fromNumber(protocol).value().hasKey();
    if (keyed) {
      for (const CompiledRule& rule : compiled.rules) {
        if (rule.protocol != protocol) continue;
        for (const PortRange& range : rule.ports()) {
          startPool.push_back(range.first);
          if (range.last != 65535) startPool.push_back(static_cast<std::uint16_t>(range.last + 1));
        }
      }
      const auto begin = startPool.begin() + static_cast<std::ptrdiff_t>(at.starts);
      std::sort(begin, startPool.end());
      startPool.erase(std::unique(begin, startPool.end()), startPool.end());
    }
    at.intervals = startPool.size() - at.starts;
    const auto startsBegin = startPool.begin() + static_cast<std::ptrdiff_t>(at.starts);
    auto intervalOf = [&](std::uint16_t key) {
      return static_cast<std::uint32_t>(
          intervalContaining(std::span<const std::uint16_t>(&*startsBegin, at.intervals), key));
    };
    // The intervals each (rule, key range) covers, found once: counted, then placed in evaluation order.
    covers.clear();
    for (std::uint32_t r = 0; r < compiled.rules.size(); ++r) {
      const CompiledRule& rule = compiled.rules[r];
      if (rule.protocol != protocol) continue;
      if (!keyed) {
        covers.push_back(Cover{r, 0, 0});
        continue;
      }
      for (const PortRange& range : rule.ports()) {
        const std::uint32_t first = intervalOf(range.first);
        const std::uint32_t last = range.last == range.first ? first : intervalOf(range.last);
        covers.push_back(Cover{r, first, last});
      }
    }
    at.offsets = indexPool.size();
    indexPool.resize(indexPool.size() + at.intervals + 1, 0);
    std::uint32_t* offsets = indexPool.data() + at.offsets;
    for (const Cover& cover : covers) {
      for (std::uint32_t i = cover.first; i <= cover.last; ++i)
        ++offsets[i + 1];
    }
    for (std::size_t i = 0; i < at.intervals; ++i)
      offsets[i + 1] += offsets[i];
    at.ruleCount = offsets[at.intervals];
    at.rules = indexPool.size();
    indexPool.resize(indexPool.size() + at.ruleCount);
    offsets = indexPool.data() + at.offsets;
    std::uint32_t* rules = indexPool.data() + at.rules;
    // Each interval's next free place, kept in its offset and restored below.
    for (const Cover& cover : covers) {
      for (std::uint32_t i = cover.first; i <= cover.last; ++i)
        rules[offsets[i]++] = cover.rule;
    }
    for (std::size_t i = at.intervals; i > 0; --i)
      offsets[i] = offsets[i - 1];
    offsets[0] = 0;
    placed.push_back(at);
  }
  compiled.startPool.assign(startPool.begin(), startPool.end());
  compiled.indexPool.assign(indexPool.begin(), indexPool.end());
  compiled.anyProtocol = std::span<const std::uint32_t>(compiled.indexPool.data(), anyCount);
  compiled.byProtocol.reserve(placed.size());
  for (const Placed& at : placed) {
    compiled.byProtocol.push_back(ProtocolIndex{
        at.protocol, std::span<const std::uint16_t>(compiled.startPool.data() + at.starts, at.intervals),
        std::span<const std::uint32_t>(compiled.indexPool.data() + at.offsets, at.intervals + 1),
        std::span<const std::uint32_t>(compiled.indexPool.data() + at.rules, at.ruleCount)});
  }
}

void paintGroupAnyProtocol(CompiledSecurityGroup& group, EvaluationModel model);

std::shared_ptr<const CompiledSecurityGroup> compileGroup(std::shared_ptr<const SecurityGroup> group,
                                                          EvaluationModel model,
                                                          const SourceResolver& resolver) {
  // A rule's resolved source, looked up without copying: a CIDR's one range, or the resolver's set.
  struct Pending {
    const SecurityGroupRule* rule = nullptr;
    bool resolved = true;
    const AddressSet* set = nullptr;  // null for a CIDR
    IpFamily cidrFamily = IpFamily::V4;
    AddressRange cidrRange;

    std::span<const AddressRange> ranges(IpFamily family) const {
      if (set) return set->ranges(family);
      if (family != cidrFamily) return {};
      return {&cidrRange, 1};
    }
  };
  thread_local std::vector<Pending> pending;
  pending.clear();
  std::size_t portCount = 0;
  std::size_t addressCount = 0;
  for (const SecurityGroupRule& rule : group->rules) {
    if (rule.direction != Direction::Ingress) continue;
    if (model == EvaluationModel::Union && rule.action != RuleAction::Allow) continue;
    Pending entry;
    entry.rule = &rule;
    if (const auto* cidr = std::get_if<Cidr>(&rule.source)) {
      entry.cidrFamily = cidr->family();
      entry.cidrRange = cidr->range();
    } else {
      entry.set = lookupSource(resolver, rule.source);
      entry.resolved = entry.set != nullptr;
    }
    portCount += rule.ports.ranges().size();
    if (entry.resolved) addressCount += entry.ranges(IpFamily::V4).size() + entry.ranges(IpFamily::V6).size();
    pending.push_back(entry);
  }
  if (model != EvaluationModel::Union) {
    // Ascending priority, deny before allow at equal priority, then as written: one integer per rule, which
    // sorts faster than a stable sort of the entries.
    thread_local std::vector<std::uint64_t> keys;
    thread_local std::vector<Pending> sorted;
    keys.clear();
    for (std::uint32_t i = 0; i < pending.size(); ++i) {
      const SecurityGroupRule& rule = *pending[i].rule;
      const std::uint64_t priority = static_cast<std::uint32_t>(rule.priority) ^ 0x80000000u;  // signed order
      const std::uint64_t allow = rule.action == RuleAction::Allow ? 1 : 0;
      keys.push_back((priority << 32) | (allow << 31) | i);
    }
    assert(pending.size() < (std::size_t{1} << 31));
    std::sort(keys.begin(), keys.end());
    sorted.clear();
    for (std::uint64_t key : keys)
      sorted.push_back(pending[key & 0x7fffffffu]);
    pending.swap(sorted);
  }

  auto compiled = std::make_shared<CompiledSecurityGroup>();
  compiled->rules.reserve(pending.size());
  // Reserved exactly, so the spans taken below stay valid.
  compiled->portPool.reserve(portCount);
  compiled->addressPool.reserve(addressCount);
  auto appendAddresses = [&](std::span<const AddressRange> ranges) {
    compiled->addressPool.insert(compiled->addressPool.end(), ranges.begin(), ranges.end());
    return static_cast<std::uint32_t>(ranges.size());
  };
  for (Pending& entry : pending) {
    const SecurityGroupRule& rule = *entry.rule;
    CompiledRule out;
    out.rule = &rule;
    out.priority = rule.priority;
    out.origin = std::shared_ptr<const RuleOrigin>(group, &rule.origin);
    out.action = rule.action;
    out.protocol = static_cast<std::int16_t>(rule.protocol.number());
    std::size_t portBegin = compiled->portPool.size();
    const auto& ports = rule.ports.ranges();
    compiled->portPool.insert(compiled->portPool.end(), ports.begin(), ports.end());
    out.portData = compiled->portPool.data() + portBegin;
    out.portCount = static_cast<std::uint16_t>(ports.size());
    if (entry.resolved) {
      out.addresses = compiled->addressPool.data() + compiled->addressPool.size();
      if (admits(rule.ethertype, IpFamily::V4)) out.v4Count = appendAddresses(entry.ranges(IpFamily::V4));
      if (admits(rule.ethertype, IpFamily::V6)) out.v6Count = appendAddresses(entry.ranges(IpFamily::V6));
    } else {
      out.resolved = false;
      out.mayMatchV4 = admits(rule.ethertype, IpFamily::V4);
      out.mayMatchV6 = admits(rule.ethertype, IpFamily::V6);
    }
    compiled->rules.push_back(std::move(out));
  }
  buildProtocolIndex(*compiled);
  paintGroupAnyProtocol(*compiled, model);
  compiled->group = std::move(group);
  return compiled;
}

// The decision of one layer for a piece: the deciding rule (nullptr: default deny) and the unresolved rules
// evaluated before it with the opposite action, as a run of IntervalOutcome::precedents.
struct FlatChoice {
  const CompiledRule* decider = nullptr;
  std::uint32_t precedentBegin = 0;
  std::uint32_t precedentEnd = 0;

  RuleAction action() const { return decider ? decider->action : RuleAction::Deny; }
};

// A piece of one family: a run of IntervalOutcome::ranges and one choice per layer from choiceBegin.
struct FlatPiece {
  IpFamily family = IpFamily::V4;
  std::uint32_t rangeBegin = 0;
  std::uint32_t rangeEnd = 0;
  std::uint32_t choiceBegin = 0;
  bool admitted = false;               // every layer allows
  bool depends_on_unresolved = false;  // see AddressPiece
};

// The outcome for one elementary key interval before it is turned into the public answer. Flat, so that
// building it costs a handful of allocations however many pieces it has.
struct IntervalOutcome {
  PortRange ports;
  std::size_t layerCount = 0;
  std::vector<AddressRange> ranges;
  std::vector<FlatPiece> pieces;  // IPv4 first, each family in order of its first address
  std::vector<FlatChoice> choices;
  std::vector<const CompiledRule*> precedents;
  std::vector<std::pair<std::size_t, const CompiledRule*>> unresolved;  // (layer, rule)
  // The admitted and undetermined addresses of each family (IPv4, IPv6), in canonical form.
  std::vector<AddressRange> admitted[2];
  std::vector<AddressRange> undetermined[2];

  std::span<const AddressRange> rangesOf(const FlatPiece& piece) const {
    return {ranges.data() + piece.rangeBegin, piece.rangeEnd - piece.rangeBegin};
  }
  std::span<const FlatChoice> choicesOf(const FlatPiece& piece) const {
    return {choices.data() + piece.choiceBegin, layerCount};
  }
  std::span<const CompiledRule* const> precedentsOf(const FlatChoice& choice) const {
    return {precedents.data() + choice.precedentBegin, choice.precedentEnd - choice.precedentBegin};
  }

  void clear() {
    ranges.clear();
    pieces.clear();
    choices.clear();
    precedents.clear();
    unresolved.clear();
    for (int f = 0; f < 2; ++f) {
      admitted[f].clear();
      undetermined[f].clear();
    }
  }

  bool sameAs(const IntervalOutcome& other) const {
    if (unresolved != other.unresolved || pieces.size() != other.pieces.size() ||
        layerCount != other.layerCount) {
      return false;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const FlatPiece& a = pieces[i];
      const FlatPiece& b = other.pieces[i];
      if (a.family != b.family || !std::ranges::equal(rangesOf(a), other.rangesOf(b))) return false;
      auto aChoices = choicesOf(a);
      auto bChoices = other.choicesOf(b);
      for (std::size_t l = 0; l < layerCount; ++l) {
        if (aChoices[l].decider != bChoices[l].decider ||
            !std::ranges::equal(precedentsOf(aChoices[l]), other.precedentsOf(bChoices[l]))) {
          return false;
        }
      }
    }
    return true;
  }
};

// Where a rule's range of source addresses starts (opens) or ends (closes, one past its last address).
struct SweepEvent {
  Uint128 at;
  std::uint32_t rule;  // position in the layer's active rules
  bool opens;
};

// The first-match partition of one layer over one family, as runs of addresses: run i starts at starts[i]
// and is decided by active[deciders[i]] (-1: no rule matched). Consecutive runs have different deciders.
struct LayerRuns {
  std::vector<Uint128> starts;
  std::vector<std::int32_t> deciders;
};

// Combines the layers' decisions for some addresses: a packet gets through when every layer allows. Allowed
// addresses flip when any layer may deny; denied addresses only when every denying layer may allow.
struct LayersVerdict {
  bool admitted = true;
  bool anyAllowLayerMayDeny = false;
  bool everyDenyLayerMayAllow = true;

  // A layer's decision, and whether an unresolved reference could reverse it.
  void add(bool allows, bool mayFlip) {
    if (allows) {
      anyAllowLayerMayDeny = anyAllowLayerMayDeny || mayFlip;
    } else {
      admitted = false;
      everyDenyLayerMayAllow = everyDenyLayerMayAllow && mayFlip;
    }
  }
  bool dependsOnUnresolved() const { return admitted ? anyAllowLayerMayDeny : everyDenyLayerMayAllow; }
};

// The admitted and undetermined addresses of one family, canonical.
struct FamilyVerdict {
  std::vector<AddressRange> admitted;
  std::vector<AddressRange> undetermined;
};

// Scratch space of verdicts for one family.
template <class Address>
struct PaintScratch {
  std::vector<Interval<Address>> block;
  std::vector<Interval<Address>> fresh;
  std::vector<KeyedRange<Address>> merged;
  std::vector<KeyedRange<Address>> painting;
  std::vector<KeyedRange<Address>> next;
  std::vector<std::vector<LabelledRange<Address>>> painted;  // per layer
};

// Scratch space reused across layers, families and intervals, to keep allocation out of the inner loop.
struct Scratch {
  std::vector<std::vector<const CompiledRule*>> candidates;  // per layer
  std::vector<std::uint16_t> keyStarts;
  std::vector<IntervalOutcome> outcomes;
  std::vector<std::vector<const CompiledRule*>> active;  // per layer
  std::vector<SweepEvent> events;
  std::vector<std::uint64_t> packedEvents;  // IPv4 events: see sweepLayer
  std::vector<std::uint64_t> covering;      // bit k: active rule k covers the sweep position
  std::vector<LayerRuns> runs;              // per layer
  std::vector<Uint128> runStarts;           // the runs of all layers combined
  std::vector<std::uint32_t> runPieces;
  std::vector<std::int32_t> tuple;
  std::vector<std::uint32_t> pieceOfDecider;  // single layer: decider + 1 -> piece index + 1
  std::vector<std::uint32_t> rangeCount;      // per piece of the family
  std::vector<char> hasUnresolved;            // per layer: some active rule is unresolved
  // Verdicts only (verdictEach).
  std::vector<std::vector<std::uint32_t>> candidateGroup;  // per layer: each candidate's group position
  std::vector<AnyProtocolPainting> anyProtocol;            // per layer
  std::vector<KeyedRule> keyed;
  PaintScratch<V4> paint4;
  PaintScratch<V6> paint6;
  std::vector<VerdictLabel> uncovered;  // per layer
  std::vector<VerdictLabel> labels;     // per layer
  std::vector<std::size_t> nextRun;     // per layer
  FamilyVerdict verdict;
  // Per family: the verdict when no candidate of the protocol asked can match the family, which is the rules
  // of protocol any's alone, the same for every key of the firewall and protocol (valid since
  // paintAnyProtocol).
  std::array<FamilyVerdict, 2> anyProtocolVerdict;
  std::array<bool, 2> anyProtocolVerdictValid{};

  template <class Address>
  PaintScratch<Address>& paint() {
    if constexpr (familyOf<Address> == IpFamily::V4) {
      return paint4;
    } else {
      return paint6;
    }
  }
};

// Sweeps the active rules' source ranges in address order; at every point the covering rule that comes first
// in evaluation order decides. Union layers use it too: their rules are all allow, so the first match only
// chooses which rule to cite.
void sweepLayer(const std::vector<const CompiledRule*>& active, IpFamily family, Scratch& scratch,
                LayerRuns& out) {
  const Uint128 familyLast = maxAddressValue(family);
  // IPv4 events (and most questions are about IPv4) pack into one integer each, which sorts several times
  // faster than the general form: the address (33 bits, for one past the last) above the rule's position
  // and whether it opens.
  const bool packed = family == IpFamily::V4 && active.size() < (std::size_t{1} << 30);
  auto& events = scratch.events;
  auto& packedEvents = scratch.packedEvents;
  events.clear();
  packedEvents.clear();
  for (std::uint32_t k = 0; k < active.size(); ++k) {
    const CompiledRule* rule = active[k];
    if (!rule->resolved) continue;
    auto ranges = rule->ranges(family);
    for (const AddressRange& range : ranges) {
      if (packed) {
        packedEvents.push_back((static_cast<std::uint64_t>(range.first) << 31) | (std::uint64_t{k} << 1) | 1);
        if (range.last != familyLast)
          packedEvents.push_back((static_cast<std::uint64_t>(range.last + 1) << 31) |
                                 (std::uint64_t{k} << 1));
        continue;
      }
      events.push_back(SweepEvent{range.first, k, true});
      if (range.last != familyLast) events.push_back(SweepEvent{range.last + 1, k, false});
    }
    // A rule for the whole family (0.0.0.0/0, ::/0) decides everything later rules have not: they can
    // decide nothing, and need no events.
    if (ranges.size() == 1 && ranges[0].first == 0 && ranges[0].last == familyLast) break;
  }
  auto& covering = scratch.covering;
  covering.assign((active.size() + 63) / 64, 0);
  out.starts.clear();
  out.deciders.clear();
  // Applies the events at one position, then records the decider from there on if it changed.
  auto decide = [&](Uint128 at) {
    std::int32_t decider = -1;
    for (std::size_t w = 0; w < covering.size(); ++w) {
      if (covering[w] != 0) {
        decider = static_cast<std::int32_t>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(covering[w])));
        break;
      }
    }
    if (out.deciders.empty() || out.deciders.back() != decider) {
      out.starts.push_back(at);
      out.deciders.push_back(decider);
    }
  };
  auto apply = [&](std::uint32_t rule, bool opens) {
    const std::uint64_t bit = std::uint64_t{1} << (rule % 64);
    covering[rule / 64] = opens ? covering[rule / 64] | bit : covering[rule / 64] & ~bit;
  };
  if (packed) {
    std::sort(packedEvents.begin(), packedEvents.end());
    const std::size_t count = packedEvents.size();
    std::size_t e = 0;
    std::uint64_t at = 0;
    while (true) {
      for (; e < count && packedEvents[e] >> 31 == at; ++e)
        apply(static_cast<std::uint32_t>(packedEvents[e] >> 1) & ((1u << 30) - 1),
              (packedEvents[e] & 1) != 0);
      decide(at);
      if (e == count) return;
      at = packedEvents[e] >> 31;
    }
  }
  std::sort(events.begin(), events.end(),
            [](const SweepEvent& a, const SweepEvent& b) { return a.at < b.at; });
  std::size_t e = 0;
  Uint128 at = 0;
  while (true) {
    for (; e < events.size() && events[e].at == at; ++e)
      apply(events[e].rule, events[e].opens);
    decide(at);
    if (e == events.size()) return;
    at = events[e].at;
  }
}

// The choice of a layer whose decider is active[decider] (-1: default deny), its precedents appended to
// outcome.precedents.
FlatChoice makeChoice(const std::vector<const CompiledRule*>& active, std::int32_t decider, IpFamily family,
                      bool hasUnresolved, IntervalOutcome& outcome) {
  FlatChoice choice;
  choice.decider = decider >= 0 ? active[static_cast<std::size_t>(decider)] : nullptr;
  choice.precedentBegin = static_cast<std::uint32_t>(outcome.precedents.size());
  const RuleAction action = choice.action();
  // Only unresolved rules can be precedents: most layers have none, and need not be walked for each piece.
  const std::size_t end = !hasUnresolved ? 0
                          : decider >= 0 ? static_cast<std::size_t>(decider)
                                         : active.size();
  for (std::size_t k = 0; k < end; ++k) {
    const CompiledRule* rule = active[k];
    if (!rule->resolved && rule->mayMatch(family) && rule->action != action)
      outcome.precedents.push_back(rule);
  }
  choice.precedentEnd = static_cast<std::uint32_t>(outcome.precedents.size());
  return choice;
}

// Partitions one family's universe by the combined choices of every layer and appends the pieces to
// `outcome`: addresses with the same choice in every layer form one piece.
void partitionFamily(const std::vector<std::vector<const CompiledRule*>>& active, IpFamily family,
                     Scratch& scratch, IntervalOutcome& outcome) {
  const std::size_t layerCount = active.size();
  const Uint128 familyLast = maxAddressValue(family);
  if (layerCount == 0) {
    outcome.pieces.push_back(FlatPiece{family, static_cast<std::uint32_t>(outcome.ranges.size()),
                                       static_cast<std::uint32_t>(outcome.ranges.size() + 1),
                                       static_cast<std::uint32_t>(outcome.choices.size())});
    outcome.pieces.back().admitted = true;
    outcome.ranges.push_back(AddressRange{0, familyLast});
    intervals::appendMerging(outcome.admitted[family == IpFamily::V4 ? 0 : 1], AddressRange{0, familyLast});
    return;
  }
  scratch.runs.resize(std::max(scratch.runs.size(), layerCount));
  for (std::size_t layer = 0; layer < layerCount; ++layer)
    sweepLayer(active[layer], family, scratch, scratch.runs[layer]);

  // Runs of the combined partition, each labelled with the index of its piece (new pieces in order of
  // their first address, which is the order of the answer).
  const std::size_t firstPiece = outcome.pieces.size();
  auto addPiece = [&](const std::vector<std::int32_t>& deciders) {
    auto index = static_cast<std::uint32_t>(outcome.pieces.size() - firstPiece);
    outcome.pieces.push_back(FlatPiece{family, 0, 0, static_cast<std::uint32_t>(outcome.choices.size())});
    LayersVerdict verdict;
    for (std::size_t layer = 0; layer < layerCount; ++layer) {
      const FlatChoice choice =
          makeChoice(active[layer], deciders[layer], family, scratch.hasUnresolved[layer] != 0, outcome);
      verdict.add(choice.action() == RuleAction::Allow, choice.precedentEnd != choice.precedentBegin);
      outcome.choices.push_back(choice);
    }
    FlatPiece& piece = outcome.pieces.back();
    piece.admitted = verdict.admitted;
    piece.depends_on_unresolved = verdict.dependsOnUnresolved();
    return index;
  };
  auto& starts = scratch.runStarts;
  auto& runPieces = scratch.runPieces;
  starts.clear();
  runPieces.clear();
  if (layerCount == 1) {
    const LayerRuns& runs = scratch.runs[0];
    auto& pieceOf = scratch.pieceOfDecider;
    pieceOf.assign(active[0].size() + 1, 0);
    auto& tuple = scratch.tuple;
    tuple.resize(1);
    for (std::size_t i = 0; i < runs.starts.size(); ++i) {
      std::uint32_t& piece = pieceOf[static_cast<std::size_t>(runs.deciders[i] + 1)];
      if (piece == 0) {
        tuple[0] = runs.deciders[i];
        piece = addPiece(tuple) + 1;
      }
      starts.push_back(runs.starts[i]);
      runPieces.push_back(piece - 1);
    }
  } else {
    // Several layers: walk all their runs together. Few firewalls have more than one layer, so a map from
    // decider tuples to pieces is good enough.
    std::map<std::vector<std::int32_t>, std::uint32_t> pieceOf;
    std::vector<std::size_t> next(layerCount, 0);
    auto& tuple = scratch.tuple;
    tuple.assign(layerCount, -1);
    Uint128 at = 0;
    while (true) {
      for (std::size_t layer = 0; layer < layerCount; ++layer) {
        const LayerRuns& runs = scratch.runs[layer];
        while (next[layer] < runs.starts.size() && runs.starts[next[layer]] == at) {
          tuple[layer] = runs.deciders[next[layer]];
          ++next[layer];
        }
      }
      auto [it, inserted] = pieceOf.try_emplace(tuple, 0);
      if (inserted) it->second = addPiece(tuple);
      if (runPieces.empty() || runPieces.back() != it->second) {
        starts.push_back(at);
        runPieces.push_back(it->second);
      }
      bool more = false;
      Uint128 nextAt = 0;
      for (std::size_t layer = 0; layer < layerCount; ++layer) {
        const LayerRuns& runs = scratch.runs[layer];
        if (next[layer] < runs.starts.size() && (!more || runs.starts[next[layer]] < nextAt)) {
          nextAt = runs.starts[next[layer]];
          more = true;
        }
      }
      if (!more) break;
      at = nextAt;
    }
  }

  // Lay each piece's runs out contiguously: consecutive runs belong to different pieces, so the runs of one
  // piece are disjoint and not adjacent, as an AddressSet keeps them.
  const std::size_t pieceCount = outcome.pieces.size() - firstPiece;
  auto& count = scratch.rangeCount;
  count.assign(pieceCount, 0);
  for (std::uint32_t piece : runPieces)
    ++count[piece];
  auto offset = static_cast<std::uint32_t>(outcome.ranges.size());
  for (std::size_t p = 0; p < pieceCount; ++p) {
    FlatPiece& piece = outcome.pieces[firstPiece + p];
    piece.rangeBegin = offset;
    piece.rangeEnd = offset;
    offset += count[p];
  }
  outcome.ranges.resize(offset);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    Uint128 last = i + 1 < starts.size() ? starts[i + 1] - 1 : familyLast;
    FlatPiece& piece = outcome.pieces[firstPiece + runPieces[i]];
    const AddressRange range{starts[i], last};
    outcome.ranges[piece.rangeEnd++] = range;
    // Runs come in address order, so the admitted and undetermined sets come out canonical.
    if (piece.admitted) intervals::appendMerging(outcome.admitted[family == IpFamily::V4 ? 0 : 1], range);
    if (piece.depends_on_unresolved)
      intervals::appendMerging(outcome.undetermined[family == IpFamily::V4 ? 0 : 1], range);
  }
}

// The rules of one elementary interval of a group's index (`indexed`) merged with its rules of protocol any,
// both in evaluation order, appended to `out`.
void appendIndexedCandidates(const CompiledSecurityGroup& group, std::span<const std::uint32_t> indexed,
                             std::vector<const CompiledRule*>& out) {
  const auto& any = group.anyProtocol;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < indexed.size() || j < any.size()) {
    const bool takeIndexed = j == any.size() || (i < indexed.size() && indexed[i] < any[j]);
    out.push_back(&group.rules[takeIndexed ? indexed[i++] : any[j++]]);
  }
}

// Puts a layer's candidates, collected group after group, in the layer's evaluation order.
void orderCandidates(const CompiledLayer& layer, std::vector<const CompiledRule*>& candidates) {
  if (layer.model == EvaluationModel::PriorityDenyWins) {
    // Groups are already in model order inside, so a stable sort keeps group order for full ties.
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const CompiledRule* a, const CompiledRule* b) { return comesBefore(*a, *b); });
  }
}

// The rules of a layer that match `protocol` on some key of `ports`, in the layer's evaluation order.
void candidateRules(const CompiledLayer& layer, Protocol protocol, PortRange ports,
                    std::vector<const CompiledRule*>& out) {
  out.clear();
  const bool keysMatter = protocol.hasKey();
  for (const auto& group : layer.groups) {
    // The index answers when the keys asked lie in one of its intervals (always, for one key): that
    // interval's rules merged with the rules of protocol any, both in evaluation order.
    const auto& byProtocol = group->byProtocol;
    const auto index = std::find_if(byProtocol.begin(), byProtocol.end(),
                                    [&](const ProtocolIndex& i) { return i.protocol == protocol.number(); });
    std::span<const std::uint32_t> indexed;
    bool answered = true;
    if (index != byProtocol.end()) {
      const std::size_t interval = intervalContaining(index->starts, ports.first);
      answered =
          !keysMatter || interval + 1 == index->starts.size() || ports.last < index->starts[interval + 1];
      indexed = std::span<const std::uint32_t>(index->rules.data() + index->offsets[interval],
                                               index->offsets[interval + 1] - index->offsets[interval]);
    }
    if (answered) {
      appendIndexedCandidates(*group, indexed, out);
      continue;
    }
    // The keys asked span several intervals (a question over a port range): the group's rules one by one.
    for (const CompiledRule& rule : group->rules) {
      if (rule.protocol == Protocol::kAnyNumber) {
        out.push_back(&rule);
        continue;
      }
      if (rule.protocol != protocol.number()) continue;
      const auto rulePorts = rule.ports();
      if (std::any_of(rulePorts.begin(), rulePorts.end(), [&](const PortRange& range) {
            return range.first <= ports.last && ports.first <= range.last;
          })) {
        out.push_back(&rule);
      }
    }
  }
  orderCandidates(layer, out);
}

bool matchesKey(const CompiledRule& rule, Protocol protocol, std::uint16_t key) {
  if (!rule.keysMatter(protocol)) return true;
  return intervals::find(rule.ports(), key) >= 0;
}

// Each layer's candidates that match the keys of `ports` into scratch.active (all of them with
// `everyCandidateMatches`, when the keys form one elementary interval, which spares the lookups), noting
// which layers have unresolved rules; those that can match the universe are appended to `unresolved` unless
// it is null.
void selectActive(std::size_t layerCount, const std::vector<std::vector<const CompiledRule*>>& candidates,
                  Protocol protocol, PortRange ports, bool everyCandidateMatches, const AddressSet& universe,
                  Scratch& scratch, std::vector<std::pair<std::size_t, const CompiledRule*>>* unresolved) {
  auto& active = scratch.active;
  active.resize(layerCount);
  scratch.hasUnresolved.assign(layerCount, 0);
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    active[layer].clear();
    for (const CompiledRule* rule : candidates[layer]) {
      if (!everyCandidateMatches && !matchesKey(*rule, protocol, ports.first)) continue;
      active[layer].push_back(rule);
      if (rule->resolved) continue;
      scratch.hasUnresolved[layer] = 1;
      bool reachesUniverse = (rule->mayMatchV4 && !universe.ranges(IpFamily::V4).empty()) ||
                             (rule->mayMatchV6 && !universe.ranges(IpFamily::V6).empty());
      if (unresolved != nullptr && reachesUniverse) unresolved->emplace_back(layer, rule);
    }
  }
}

void evaluateInterval(const CompiledFirewall& firewall,
                      const std::vector<std::vector<const CompiledRule*>>& candidates, Protocol protocol,
                      PortRange ports, bool everyCandidateMatches, const AddressSet& universe,
                      Scratch& scratch, IntervalOutcome& outcome) {
  outcome.clear();
  outcome.ports = ports;
  const std::size_t layerCount = firewall.layers.size();
  outcome.layerCount = layerCount;
  selectActive(layerCount, candidates, protocol, ports, everyCandidateMatches, universe, scratch,
               &outcome.unresolved);
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    if (universe.ranges(family).empty()) continue;
    partitionFamily(scratch.active, family, scratch, outcome);
  }
}

// The first-match painting of `rules`, sorted by verdict key, over one family: each address a resolved rule
// covers gets the key of the first that covers it. Only a verdict is wanted, so rules with one key act as one
// rule whose source is the union of theirs: each such block costs a sort of its ranges and a merge with what
// the blocks before it decided.
template <class Address>
void paintKeyed(std::span<const KeyedRule> rules, Scratch& scratch,
                std::vector<KeyedRange<Address>>& painted) {
  constexpr IpFamily family = familyOf<Address>;
  constexpr bool packed = family == IpFamily::V4;  // IPv4 ranges sort as one integer each, first above last
  const auto familyLast = static_cast<Address>(maxAddressValue(family));
  PaintScratch<Address>& paint = scratch.paint<Address>();
  auto& block = paint.block;
  auto& blockPacked = scratch.packedEvents;
  auto& fresh = paint.fresh;
  auto& merged = paint.merged;
  painted.clear();
  block.clear();
  blockPacked.clear();
  std::uint64_t blockKey = 0;
  auto flush = [&] {
    if constexpr (packed) {
      if (blockPacked.empty()) return;
      std::sort(blockPacked.begin(), blockPacked.end());
      block.clear();
      for (std::uint64_t range : blockPacked)
        intervals::appendMerging(block,
                                 Interval<Address>{static_cast<V4>(range >> 32), static_cast<V4>(range)});
      blockPacked.clear();
    } else {
      if (block.empty()) return;
      intervals::normalise(block);
    }
    if (painted.empty()) {  // the first block decides all it covers
      for (const Interval<Address>& range : block)
        painted.push_back(KeyedRange<Address>{range.first, range.last, blockKey});
      block.clear();
      return;
    }
    intervals::subtractInto(block, painted, fresh);  // what this block decides
    merged.clear();
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < painted.size() || j < fresh.size()) {
      if (j == fresh.size() || (i < painted.size() && painted[i].first < fresh[j].first)) {
        merged.push_back(painted[i++]);
      } else {
        merged.push_back(KeyedRange<Address>{fresh[j].first, fresh[j].last, blockKey});
        ++j;
      }
    }
    painted.swap(merged);
    block.clear();
  };
  for (const KeyedRule& keyed : rules) {
    if (!keyed.rule->resolved) continue;
    const auto ranges = keyed.rule->ranges(family);
    if (ranges.empty()) continue;
    if (keyed.key != blockKey) {
      flush();
      blockKey = keyed.key;
    }
    for (const AddressRange& range : ranges) {
      if constexpr (packed) {
        blockPacked.push_back((static_cast<std::uint64_t>(range.first) << 32) |
                              static_cast<std::uint64_t>(range.last));
      } else {
        block.push_back(Interval<Address>{range.first, range.last});
      }
    }
    // A rule for the whole family decides everything the rules before it have not.
    if (ranges.size() == 1 && ranges[0].first == 0 && ranges[0].last == familyLast) break;
  }
  flush();
}

// Appends `range` (after the last) to a painting, joined with the last when it continues it with the same
// key: fewer ranges for every question to copy and walk.
template <class Address>
void appendJoined(std::vector<KeyedRange<Address>>& painting, const KeyedRange<Address>& range) {
  if (!painting.empty() && painting.back().key == range.key && painting.back().last + 1 == range.first) {
    painting.back().last = range.last;
  } else {
    painting.push_back(range);
  }
}

// `base` and `over` (each sorted and disjoint) painted together into `out`: where both paint, the lower key
// decides. Linear in both; neighbours of one key are joined.
template <class Address>
void overlay(std::span<const KeyedRange<Address>> base, std::span<const KeyedRange<Address>> over,
             std::vector<KeyedRange<Address>>& out) {
  out.clear();
  std::size_t i = 0;
  std::size_t j = 0;
  // The parts of base[i] and over[j] not yet written.
  KeyedRange<Address> a = i < base.size() ? base[i] : KeyedRange<Address>{};
  KeyedRange<Address> b = j < over.size() ? over[j] : KeyedRange<Address>{};
  while (i < base.size() || j < over.size()) {
    if (j == over.size() || (i < base.size() && a.last < b.first)) {
      appendJoined(out, a);
      if (++i < base.size()) a = base[i];
      continue;
    }
    if (i == base.size() || b.last < a.first) {
      appendJoined(out, b);
      if (++j < over.size()) b = over[j];
      continue;
    }
    // They overlap: the part before the later start, then the common part.
    if (a.first < b.first) {
      appendJoined(out, KeyedRange<Address>{a.first, static_cast<Address>(b.first - 1), a.key});
      a.first = b.first;
    } else if (b.first < a.first) {
      appendJoined(out, KeyedRange<Address>{b.first, static_cast<Address>(a.first - 1), b.key});
      b.first = a.first;
    }
    const Address end = std::min(a.last, b.last);
    appendJoined(out, KeyedRange<Address>{a.first, end, std::min(a.key, b.key)});
    if (a.last == end) {
      if (++i < base.size()) a = base[i];
    } else {
      a.first = static_cast<Address>(end + 1);
    }
    if (b.last == end) {
      if (++j < over.size()) b = over[j];
    } else {
      b.first = static_cast<Address>(end + 1);
    }
  }
}

// One range of key `key` painted over `painting` (sorted, disjoint) in place: where both paint, the lower key
// decides. Painted ranges before painting[from] end before the range. Returns where the range's part ends,
// for the next range of the same rule.
template <class Address>
std::size_t paintRange(Address first, Address last, std::uint64_t key, std::size_t from,
                       std::vector<KeyedRange<Address>>& painting,
                       std::vector<KeyedRange<Address>>& scratch) {
  // The first painted range that ends at or after `first`.
  const std::size_t begin = static_cast<std::size_t>(
      std::partition_point(painting.begin() + static_cast<std::ptrdiff_t>(from), painting.end(),
                           [&](const KeyedRange<Address>& range) { return range.last < first; }) -
      painting.begin());
  std::size_t end = begin;  // past the last that starts at or before `last`
  while (end < painting.size() && painting[end].first <= last)
    ++end;
  const auto at = painting.begin() + static_cast<std::ptrdiff_t>(begin);
  if (begin == end) {  // in a gap
    painting.insert(at, KeyedRange<Address>{first, last, key});
    return begin + 1;
  }
  if (end == begin + 1 && painting[begin].first <= first && last <= painting[begin].last) {
    // Inside one painted range: the lower key keeps it, or the range splits it in up to three.
    const KeyedRange<Address> inside = painting[begin];
    if (inside.key <= key) return begin;
    KeyedRange<Address> pieces[3];
    std::size_t count = 0;
    if (inside.first < first)
      pieces[count++] = KeyedRange<Address>{inside.first, static_cast<Address>(first - 1), inside.key};
    pieces[count++] = KeyedRange<Address>{first, last, key};
    if (last < inside.last)
      pieces[count++] = KeyedRange<Address>{static_cast<Address>(last + 1), inside.last, inside.key};
    *at = pieces[0];
    painting.insert(at + 1, pieces + 1, pieces + count);
    return begin;
  }
  // Across several painted ranges (all of which it meets): their pieces before and after it, each overlap
  // with the lower key, and the gaps between them, joined where neighbours share a key, replace them.
  scratch.clear();
  auto push = [&](Address pieceFirst, Address pieceLast, std::uint64_t pieceKey) {
    appendJoined(scratch, KeyedRange<Address>{pieceFirst, pieceLast, pieceKey});
  };
  Address next = first;  // the first address of the range not yet written
  for (std::size_t k = begin; k < end; ++k) {
    const KeyedRange<Address>& painted = painting[k];
    if (painted.first < first) push(painted.first, static_cast<Address>(first - 1), painted.key);
    if (next < painted.first) push(next, static_cast<Address>(painted.first - 1), key);
    const Address overlapLast = std::min(painted.last, last);
    push(std::max(painted.first, first), overlapLast, std::min(painted.key, key));
    if (last < painted.last) push(static_cast<Address>(last + 1), painted.last, painted.key);
    next = static_cast<Address>(overlapLast + 1);  // wraps only after the family's last address, the end
  }
  if (painting[end - 1].last < last) push(next, last, key);
  const std::size_t replaced = end - begin;
  if (scratch.size() > replaced) {
    painting.insert(painting.begin() + static_cast<std::ptrdiff_t>(end), scratch.size() - replaced,
                    KeyedRange<Address>{});
  } else if (scratch.size() < replaced) {
    painting.erase(painting.begin() + static_cast<std::ptrdiff_t>(begin + scratch.size()),
                   painting.begin() + static_cast<std::ptrdiff_t>(end));
  }
  std::copy(scratch.begin(), scratch.end(), painting.begin() + static_cast<std::ptrdiff_t>(begin));
  return begin;
}

// Resolved `rules` (in any order) painted over paint.painting one range at a time: a painting takes the
// lowest key wherever rules overlap, so the order does not matter. Each range costs a walk of the painting,
// which is cheap for the few rules a question meets.
template <class Address>
void paintEach(std::span<const KeyedRule> rules, PaintScratch<Address>& paint) {
  constexpr IpFamily family = familyOf<Address>;
  for (const KeyedRule& rule : rules) {
    if (!rule.rule->resolved) continue;
    std::size_t from = 0;
    for (const AddressRange& range : rule.rule->ranges(family)) {
      from = paintRange(static_cast<Address>(range.first), static_cast<Address>(range.last), rule.key, from,
                        paint.painting, paint.merged);
    }
  }
}

// A layer's painting as labelled ranges, adjacent ranges of one label joined.
template <class Address>
void labelPainting(std::span<const KeyedRange<Address>> painting, const UnresolvedKeys& unresolved,
                   std::vector<LabelledRange<Address>>& out) {
  out.clear();
  for (const KeyedRange<Address>& range : painting) {
    const VerdictLabel label = unresolved.labelOf(range.key);
    if (!out.empty() && out.back().label == label && out.back().last + 1 == range.first) {
      out.back().last = range.last;
    } else {
      out.push_back(LabelledRange<Address>{range.first, range.last, label});
    }
  }
}

// The admitted and undetermined addresses of one family, canonical, from each layer's labelled ranges and
// the label of the addresses it leaves uncovered (which its default deny decides).
template <class Address>
void combineLayers(std::span<const std::vector<LabelledRange<Address>>> painted,
                   std::span<const VerdictLabel> uncovered, Scratch& scratch,
                   std::vector<AddressRange>& admitted, std::vector<AddressRange>& undetermined) {
  admitted.clear();
  undetermined.clear();
  const std::size_t layerCount = painted.size();
  const auto familyLast = static_cast<Address>(maxAddressValue(familyOf<Address>));
  if (layerCount == 0) {
    admitted.push_back(AddressRange{0, familyLast});
    return;
  }
  auto append = [&](Address first, Address last, VerdictLabel label) {
    if ((label & kAllows) != 0) intervals::appendMerging(admitted, AddressRange{first, last});
    if ((label & kMayFlip) != 0) intervals::appendMerging(undetermined, AddressRange{first, last});
  };
  if (layerCount == 1) {
    Address at = 0;  // the first address not yet appended
    bool done = false;
    for (const LabelledRange<Address>& range : painted[0]) {
      if (range.first != at) append(at, static_cast<Address>(range.first - 1), uncovered[0]);
      append(range.first, range.last, range.label);
      done = range.last == familyLast;
      if (!done) at = static_cast<Address>(range.last + 1);
    }
    if (!done) append(at, familyLast, uncovered[0]);
    return;
  }
  // Several layers (combined by LayersVerdict): their painted ranges, and the gaps between them, are walked
  // together.
  auto& next = scratch.nextRun;
  next.assign(layerCount, 0);
  auto& labels = scratch.labels;
  labels.assign(layerCount, 0);
  Address at = 0;
  while (true) {
    bool more = false;
    Address nextAt = 0;
    for (std::size_t layer = 0; layer < layerCount; ++layer) {
      const auto& ranges = painted[layer];
      std::size_t& i = next[layer];
      while (i < ranges.size() && ranges[i].last < at)
        ++i;
      // The layer's label at `at`, and where it may change next.
      Address change = 0;
      bool changes = false;
      if (i < ranges.size() && ranges[i].first <= at) {
        labels[layer] = ranges[i].label;
        changes = ranges[i].last != familyLast;
        if (changes) change = static_cast<Address>(ranges[i].last + 1);
      } else {
        labels[layer] = uncovered[layer];
        changes = i < ranges.size();
        if (changes) change = ranges[i].first;
      }
      if (changes && (!more || change < nextAt)) {
        nextAt = change;
        more = true;
      }
    }
    LayersVerdict verdict;
    for (VerdictLabel label : labels)
      verdict.add((label & kAllows) != 0, (label & kMayFlip) != 0);
    append(at, more ? static_cast<Address>(nextAt - 1) : familyLast,
           static_cast<VerdictLabel>((verdict.admitted ? kAllows : 0) |
                                     (verdict.dependsOnUnresolved() ? kMayFlip : 0)));
    if (!more) return;
    at = nextAt;
  }
}

// Whether to paint `rules` over a painting of `paintedSize` ranges one range at a time (paintEach), each
// range a search and an insertion into the painting: for a few ranges over a small painting. Otherwise they
// are painted together (paintKeyed), a sort and a merge per distinct key, and then overlaid.
bool paintOneAtATime(std::span<const KeyedRule> rules, IpFamily family, std::size_t paintedSize) {
  constexpr std::size_t kRanges = 32;
  constexpr std::size_t kPainted = 256;
  if (rules.size() > kRanges || paintedSize > kPainted) return false;
  std::size_t ranges = 0;
  for (const KeyedRule& rule : rules) {
    if (rule.rule->resolved) ranges += rule.rule->ranges(family).size();
  }
  return ranges <= kRanges;
}

// The painting of `rules`, which are sorted by key, into `painted`.
template <class Address>
void paintRules(std::span<const KeyedRule> rules, Scratch& scratch,
                std::vector<KeyedRange<Address>>& painted) {
  if (!paintOneAtATime(rules, familyOf<Address>, 0)) {
    paintKeyed(rules, scratch, painted);
    return;
  }
  PaintScratch<Address>& paint = scratch.paint<Address>();
  paint.painting.clear();
  paintEach(rules, paint);
  painted.assign(paint.painting.begin(), paint.painting.end());
}

// Paints a group's rules of protocol any (its anyProtocolPainting), keyed within the group.
void paintGroupAnyProtocol(CompiledSecurityGroup& group, EvaluationModel model) {
  thread_local Scratch scratch;
  auto& keyed = scratch.keyed;
  keyed.clear();
  for (std::uint32_t rule : group.anyProtocol)
    keyed.push_back(KeyedRule{groupVerdictKey(model, group.rules[rule]), &group.rules[rule]});
  std::sort(keyed.begin(), keyed.end(), [](const KeyedRule& a, const KeyedRule& b) { return a.key < b.key; });
  AnyProtocolPainting& any = group.anyProtocolPainting;
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    for (const KeyedRule& rule : keyed)
      any.unresolved[family == IpFamily::V4 ? 0 : 1].add(rule, family);
  }
  paintRules(std::span<const KeyedRule>(keyed), scratch, any.v4);
  paintRules(std::span<const KeyedRule>(keyed), scratch, any.v6);
}

// A layer's painting of its groups' rules of protocol any, from each group's, into `out`.
template <class Address>
void paintLayerAnyProtocol(const CompiledLayer& layer, Scratch& scratch,
                           std::vector<KeyedRange<Address>>& out) {
  PaintScratch<Address>& paint = scratch.paint<Address>();
  out.clear();
  for (std::uint32_t g = 0; g < layer.groups.size(); ++g) {
    const auto& painted = layer.groups[g]->anyProtocolPainting.painted<Address>();
    if (painted.empty()) continue;
    auto& adjusted = paint.next;
    adjusted.assign(painted.begin(), painted.end());
    for (KeyedRange<Address>& range : adjusted)
      range.key = layerVerdictKey(layer.model, g, range.key);
    if (out.empty()) {
      out.swap(adjusted);
      continue;
    }
    overlay(std::span<const KeyedRange<Address>>(out), std::span<const KeyedRange<Address>>(adjusted),
            paint.merged);
    out.swap(paint.merged);
  }
}

// Paints every layer's rules of protocol any (scratch.anyProtocol) from its groups' paintings, once for all
// the questions about `firewall` and a protocol of `universe`.
void paintAnyProtocol(const CompiledFirewall& firewall, const AddressSet& universe, Scratch& scratch) {
  const std::size_t layerCount = firewall.layers.size();
  scratch.anyProtocol.resize(std::max(scratch.anyProtocol.size(), layerCount));
  scratch.anyProtocolVerdictValid = {};
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    const CompiledLayer& compiled = firewall.layers[layer];
    AnyProtocolPainting& any = scratch.anyProtocol[layer];
    any.unresolved = {};
    for (std::uint32_t g = 0; g < compiled.groups.size(); ++g) {
      for (std::size_t f = 0; f < 2; ++f)
        any.unresolved[f].add(compiled.groups[g]->anyProtocolPainting.unresolved[f], compiled.model, g);
    }
    any.v4.clear();
    any.v6.clear();
    if (!universe.ranges(IpFamily::V4).empty()) paintLayerAnyProtocol(compiled, scratch, any.v4);
    if (!universe.ranges(IpFamily::V6).empty()) paintLayerAnyProtocol(compiled, scratch, any.v6);
  }
}

// One family of a verdict (evaluateVerdict), in scratch.
template <class Address>
const FamilyVerdict& verdictFamily(const CompiledFirewall& firewall,
                                   const std::vector<std::vector<const CompiledRule*>>& candidates,
                                   Scratch& scratch) {
  constexpr IpFamily family = familyOf<Address>;
  constexpr std::size_t f = family == IpFamily::V4 ? 0 : 1;
  const std::size_t layerCount = firewall.layers.size();
  bool candidatesMatter = false;  // some candidate can match the family
  for (std::size_t layer = 0; layer < layerCount && !candidatesMatter; ++layer) {
    for (const CompiledRule* rule : candidates[layer])
      candidatesMatter =
          candidatesMatter || (rule->resolved ? !rule->ranges(family).empty() : rule->mayMatch(family));
  }
  if (!candidatesMatter && scratch.anyProtocolVerdictValid[f]) return scratch.anyProtocolVerdict[f];
  PaintScratch<Address>& paint = scratch.paint<Address>();
  paint.painted.resize(std::max(paint.painted.size(), layerCount));
  auto& uncovered = scratch.uncovered;
  uncovered.resize(layerCount);
  auto& keyed = scratch.keyed;
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    const CompiledLayer& compiled = firewall.layers[layer];
    const AnyProtocolPainting& any = scratch.anyProtocol[layer];
    keyed.clear();
    UnresolvedKeys unresolved = any.unresolved[f];
    for (std::size_t c = 0; c < candidates[layer].size(); ++c) {
      const CompiledRule& rule = *candidates[layer][c];
      keyed.push_back(KeyedRule{verdictKey(compiled.model, scratch.candidateGroup[layer][c], rule), &rule});
      unresolved.add(keyed.back(), family);
    }
    const auto& base = any.painted<Address>();
    if (paintOneAtATime(keyed, family, base.size())) {
      paint.painting.assign(base.begin(), base.end());
      paintEach(std::span<const KeyedRule>(keyed), paint);
    } else {
      std::sort(keyed.begin(), keyed.end(),
                [](const KeyedRule& a, const KeyedRule& b) { return a.key < b.key; });
      paintKeyed(std::span<const KeyedRule>(keyed), scratch, paint.next);
      overlay(std::span<const KeyedRange<Address>>(base), std::span<const KeyedRange<Address>>(paint.next),
              paint.painting);
    }
    labelPainting(std::span<const KeyedRange<Address>>(paint.painting), unresolved, paint.painted[layer]);
    uncovered[layer] = unresolved.uncovered();
  }
  FamilyVerdict& out = candidatesMatter ? scratch.verdict : scratch.anyProtocolVerdict[f];
  combineLayers(std::span<const std::vector<LabelledRange<Address>>>(paint.painted.data(), layerCount),
                std::span<const VerdictLabel>(uncovered.data(), layerCount), scratch, out.admitted,
                out.undetermined);
  if (!candidatesMatter) scratch.anyProtocolVerdictValid[f] = true;
  return out;
}

// A verdict for one key, written over `verdict`, whose sets keep their memory. `candidates` are each layer's
// rules of the key's protocol that match it (of group scratch.candidateGroup); the rules of protocol any are
// in scratch.anyProtocol, painted by paintAnyProtocol. A few candidates are painted over those one at a time
// (a painting takes the lowest key, so in any order); more are painted together first.
void evaluateVerdict(const CompiledFirewall& firewall,
                     const std::vector<std::vector<const CompiledRule*>>& candidates, std::uint16_t key,
                     const AddressSet& universe, Scratch& scratch, ReachVerdict& verdict) {
  verdict.ports = PortRange::single(key);
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    if (universe.ranges(family).empty()) {
      verdict.admitted.assignCanonicalRanges(family, {});
      verdict.undetermined.assignCanonicalRanges(family, {});
      continue;
    }
    const FamilyVerdict& ranges = family == IpFamily::V4 ? verdictFamily<V4>(firewall, candidates, scratch)
                                                         : verdictFamily<V6>(firewall, candidates, scratch);
    verdict.admitted.assignCanonicalRanges(family, ranges.admitted);
    verdict.undetermined.assignCanonicalRanges(family, ranges.undetermined);
  }
}

UnresolvedSource toUnresolvedSource(std::size_t layer, const CompiledRule& rule) {
  return UnresolvedSource{layer, describe(rule.rule->source), rule.action, rule.rule->origin};
}

// The public answer for `outcome`, written over `answer`, whose vectors keep their memory: reachEach reuses
// its answers, and most of an answer's cost is allocation.
void writeAnswer(const IntervalOutcome& outcome, PortIntervalAnswer& answer) {
  answer.ports = outcome.ports;
  answer.unresolved.clear();
  for (const auto& [layer, rule] : outcome.unresolved)
    answer.unresolved.push_back(toUnresolvedSource(layer, *rule));
  answer.pieces.resize(outcome.pieces.size());
  for (std::size_t p = 0; p < outcome.pieces.size(); ++p) {
    const FlatPiece& piece = outcome.pieces[p];
    AddressPiece& out = answer.pieces[p];
    auto choices = outcome.choicesOf(piece);
    out.decisions.resize(choices.size());
    for (std::size_t layer = 0; layer < choices.size(); ++layer) {
      const FlatChoice& choice = choices[layer];
      LayerDecision& decision = out.decisions[layer];
      decision.layer = layer;
      decision.action = choice.action();
      if (choice.decider) {
        decision.rule = choice.decider->origin;
      } else {
        decision.rule.reset();
      }
      decision.unless_member_of.clear();
      for (const CompiledRule* precedent : outcome.precedentsOf(choice))
        decision.unless_member_of.push_back(toUnresolvedSource(layer, *precedent));
    }
    out.verdict = piece.admitted ? RuleAction::Allow : RuleAction::Deny;
    out.depends_on_unresolved = piece.depends_on_unresolved;
    const auto ranges = outcome.rangesOf(piece);
    out.addresses.assignCanonicalRanges(IpFamily::V4,
                                        piece.family == IpFamily::V4 ? ranges : decltype(ranges){});
    out.addresses.assignCanonicalRanges(IpFamily::V6,
                                        piece.family == IpFamily::V6 ? ranges : decltype(ranges){});
  }
  answer.admitted.assignCanonicalRanges(IpFamily::V4, outcome.admitted[0]);
  answer.admitted.assignCanonicalRanges(IpFamily::V6, outcome.admitted[1]);
  answer.undetermined.assignCanonicalRanges(IpFamily::V4, outcome.undetermined[0]);
  answer.undetermined.assignCanonicalRanges(IpFamily::V6, outcome.undetermined[1]);
}

PortIntervalAnswer toAnswer(const IntervalOutcome& outcome) {
  PortIntervalAnswer answer;
  writeAnswer(outcome, answer);
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

}  // namespace

AddressSet addressUniverse(Protocol protocol) {
  return universeOf(protocol);
}

std::shared_ptr<const CompiledSecurityGroup>& FirewallCompiler::cached(const SecurityGroup* group,
                                                                       EvaluationModel model) {
  auto slotOf = [](const std::vector<CacheSlot>& slots, const SecurityGroup* key, EvaluationModel keyModel) {
    const std::size_t mask = slots.size() - 1;
    std::size_t i =
        static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(key) >> 4) * 0x9e3779b97f4a7c15ull >> 20) ^
        static_cast<std::size_t>(keyModel);
    for (i &= mask; slots[i].group != nullptr; i = (i + 1) & mask) {
      if (slots[i].group == key && slots[i].model == keyModel) break;
    }
    return i;
  };
  if ((cache_used_ + 1) * 2 > cache_.size()) {
    std::vector<CacheSlot> grown(std::max<std::size_t>(64, cache_.size() * 2));
    for (CacheSlot& slot : cache_) {
      if (slot.group != nullptr) grown[slotOf(grown, slot.group, slot.model)] = std::move(slot);
    }
    cache_.swap(grown);
  }
  CacheSlot& slot = cache_[slotOf(cache_, group, model)];
  if (slot.group == nullptr) {
    slot.group = group;
    slot.model = model;
    ++cache_used_;
  }
  return slot.compiled;
}

CompiledFirewall FirewallCompiler::compile(const Firewall& firewall) {
  CompiledFirewall out;
  out.layers.reserve(firewall.layers.size());
  for (const FirewallLayer& layer : firewall.layers) {
    CompiledLayer compiled{layer.model, {}};
    compiled.groups.reserve(layer.groups.size());
    for (const auto& group : layer.groups) {
      auto& slot = cached(group.get(), layer.model);
      if (!slot) slot = compileGroup(group, layer.model, resolver_);
      compiled.groups.push_back(slot);
    }
    out.layers.push_back(std::move(compiled));
  }
  return out;
}

ReachAnswer reach(const CompiledFirewall& firewall, Protocol protocol, PortRange ports) {
  ReachAnswer answer{protocol, ports, {}};
  const AddressSet& universe = universeOf(protocol);
  // One scratch space per thread, kept between questions: its vectors keep their capacity, so a question
  // allocates little beyond its answer. reach() does not call itself, so one per thread is enough.
  thread_local Scratch scratch;

  auto& candidates = scratch.candidates;
  candidates.resize(std::max(candidates.size(), firewall.layers.size()));
  for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer)
    candidateRules(firewall.layers[layer], protocol, ports, candidates[layer]);

  // Elementary intervals: split `ports` wherever a candidate rule's key ranges start or end, so that every
  // rule matches either all keys of an interval or none.
  auto& starts = scratch.keyStarts;
  starts.assign(1, ports.first);
  if (protocol.hasKey() && ports.first != ports.last) {  // one key is one interval
    for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer) {
      for (const CompiledRule* rule : candidates[layer]) {
        if (!rule->keysMatter(protocol)) continue;
        for (const PortRange& range : rule->ports()) {
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

  // Outcomes are built in scratch slots; a slot equal to the one before merges into it and is reused.
  auto& outcomes = scratch.outcomes;
  std::size_t used = 0;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    std::uint16_t last = i + 1 < starts.size() ? static_cast<std::uint16_t>(starts[i + 1] - 1) : ports.last;
    if (outcomes.size() == used) outcomes.emplace_back();
    IntervalOutcome& outcome = outcomes[used];
    evaluateInterval(firewall, candidates, protocol, PortRange{starts[i], last}, starts.size() == 1, universe,
                     scratch, outcome);
    if (used > 0 && outcomes[used - 1].sameAs(outcome)) {
      outcomes[used - 1].ports.last = last;
    } else {
      ++used;
    }
  }
  answer.intervals.reserve(used);
  for (std::size_t i = 0; i < used; ++i)
    answer.intervals.push_back(toAnswer(outcomes[i]));
  return answer;
}

ReachAnswer reach(const Firewall& firewall, const SourceResolver& resolver, Protocol protocol,
                  PortRange ports) {
  FirewallCompiler compiler(resolver);
  return reach(compiler.compile(firewall), protocol, ports);
}

namespace {

// A hash of a firewall's content (its layers' models and groups): the standard library's, of its bytes.
struct FirewallContentHash {
  std::size_t operator()(const std::vector<std::uintptr_t>& content) const {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(content.data()),
                                                          content.size() * sizeof(std::uintptr_t)));
  }
};

// The walk of reachEach and verdictEach: questions grouped by firewall and protocol in key order, each
// group's index walked once, and one evaluation per distinct set of candidate rules. The Policy says what an
// answer is and how it is evaluated:
//   Policy::Answer, what visit(question, answer) gets, with its ports set to the key asked;
//   Policy::kAnyProtocolApart: candidates are only the rules of the protocol asked (each layer's, with each
//     candidate's group position in scratch.candidateGroup), in no particular order; otherwise they include
//     the rules of protocol any, in the layer's evaluation order;
//   policy.start(firewall, universe, scratch), before a firewall's questions about one protocol;
//   policy.evaluate(firewall, candidates, protocol, key, universe, scratch, answer), which writes an Answer
//     over one that keeps its memory.
template <class Policy, class Visit>
void answerEach(std::span<const KeyQuestion> questions, Policy&& policy, Visit&& visit) {
  using Answer = typename std::remove_cvref_t<Policy>::Answer;
  constexpr bool kAnyProtocolApart = std::remove_cvref_t<Policy>::kAnyProtocolApart;
  // The questions grouped by firewall, in the order the firewalls first appear, and in (protocol, key,
  // position) order within each: a counting sort by firewall, then a sort of one integer per question.
  struct Ordered {
    const CompiledFirewall* firewall;
    std::uint64_t bits;  // protocol and key above the question's position

    std::uint32_t protocolAndKey() const { return static_cast<std::uint32_t>(bits >> 32); }
    std::uint32_t question() const { return static_cast<std::uint32_t>(bits); }
  };
  assert(questions.size() <= std::numeric_limits<std::uint32_t>::max());
  // Firewalls of the same groups under the same models give the same answers (a node pool's nodes share
  // their security groups): they are numbered as one, and their questions asked of the first of them.
  std::vector<std::uint32_t> firewallOf(questions.size());  // each question's firewall, numbered
  std::vector<std::uint32_t> firewallStart(1, 0);           // then where each firewall's questions start
  std::vector<const CompiledFirewall*> asked;               // each number's firewall
  {
    std::unordered_map<const CompiledFirewall*, std::uint32_t> numbers;
    std::unordered_map<std::vector<std::uintptr_t>, std::uint32_t, FirewallContentHash> byContent;
    std::vector<std::uintptr_t> content;
    const CompiledFirewall* last = nullptr;
    std::uint32_t number = 0;
    for (std::size_t i = 0; i < questions.size(); ++i) {
      if (i == 0 || questions[i].firewall != last) {  // an audit asks a node's questions together
        last = questions[i].firewall;
        auto [it, added] = numbers.try_emplace(last, 0);
        if (added) {
          content.clear();
          for (const CompiledLayer& layer : last->layers) {
            content.push_back(static_cast<std::uintptr_t>(layer.model));
            content.push_back(layer.groups.size());
            for (const auto& group : layer.groups)
              content.push_back(reinterpret_cast<std::uintptr_t>(group.get()));
          }
          auto [same, first] = byContent.try_emplace(content, static_cast<std::uint32_t>(asked.size()));
          if (first) {
            asked.push_back(last);
            firewallStart.push_back(0);
          }
          it->second = same->second;
        }
        number = it->second;
      }
      firewallOf[i] = number;
      ++firewallStart[number + 1];
    }
  }
  for (std::size_t f = 1; f < firewallStart.size(); ++f)
    firewallStart[f] += firewallStart[f - 1];
  std::vector<Ordered> order(questions.size());
  {
    std::vector<std::uint32_t> next(firewallStart.begin(), firewallStart.end() - 1);
    for (std::size_t i = 0; i < questions.size(); ++i) {
      const KeyQuestion& question = questions[i];
      const auto protocol = static_cast<std::uint16_t>(question.protocol.number());
      const std::uint64_t protocolAndKey = (std::uint64_t{protocol} << 16) | question.key;
      order[next[firewallOf[i]]++] = Ordered{asked[firewallOf[i]], (protocolAndKey << 32) | i};
    }
  }
  for (std::size_t f = 0; f + 1 < firewallStart.size(); ++f) {
    std::sort(order.begin() + firewallStart[f], order.begin() + firewallStart[f + 1],
              [](const Ordered& a, const Ordered& b) { return a.bits < b.bits; });
  }

  thread_local Scratch scratch;
  // Where each group of the firewall stands in its index for the protocol: the elementary interval of the
  // current key (index null: the group names the protocol in no rule, only its rules of protocol any count).
  struct GroupCursor {
    std::size_t layer;
    std::uint32_t position;  // in the layer
    const CompiledSecurityGroup* group;
    const ProtocolIndex* index;
    std::size_t interval;
  };
  std::vector<GroupCursor> cursors;
  // The answers evaluated for the current firewall and protocol, with the candidate rules they were evaluated
  // from (each layer's, followed by null): keys of different elementary intervals often meet the same rules,
  // such as only those of protocol any.
  struct Evaluated {
    std::vector<const CompiledRule*> rules;
    Answer answer;
  };
  std::vector<Evaluated> evaluated;
  std::size_t evaluatedCount = 0;
  std::size_t current = 0;  // the answer of the current key
  std::vector<const CompiledRule*> signature;
  for (std::size_t begin = 0; begin < order.size();) {
    const CompiledFirewall& firewall = *order[begin].firewall;
    const std::uint32_t protocolBits = order[begin].protocolAndKey() >> 16;
    // From the sorted entry rather than the question, which lies elsewhere in memory.
    const Protocol protocol = protocolBits == 0xffff
                                  ? Protocol::any()
                                  : Protocol::fromNumber(static_cast<int>(protocolBits)).value();
    std::size_t end = begin + 1;
    while (end < order.size() && order[end].firewall == order[begin].firewall &&
           order[end].protocolAndKey() >> 16 == protocolBits) {
      ++end;
    }
    cursors.clear();
    evaluatedCount = 0;
    for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer) {
      const auto& groups = firewall.layers[layer].groups;
      for (std::uint32_t position = 0; position < groups.size(); ++position) {
        const auto& byProtocol = groups[position]->byProtocol;
        const auto index = std::find_if(byProtocol.begin(), byProtocol.end(), [&](const ProtocolIndex& i) {
          return i.protocol == protocol.number();
        });
        cursors.push_back(GroupCursor{layer, position, groups[position].get(),
                                      index == byProtocol.end() ? nullptr : &*index, 0});
      }
    }
    const AddressSet& universe = universeOf(protocol);
    auto& candidates = scratch.candidates;
    candidates.resize(std::max(candidates.size(), firewall.layers.size()));
    scratch.candidateGroup.resize(std::max(scratch.candidateGroup.size(), firewall.layers.size()));
    policy.start(firewall, universe, scratch);
    for (std::size_t k = begin; k < end; ++k) {
      const std::uint32_t question = order[k].question();
      const auto key = static_cast<std::uint16_t>(order[k].protocolAndKey() & 0xffff);
      bool moved = k == begin;
      for (GroupCursor& cursor : cursors) {
        if (cursor.index == nullptr) continue;
        const auto& starts = cursor.index->starts;  // one interval when the protocol has no keys
        while (cursor.interval + 1 < starts.size() && starts[cursor.interval + 1] <= key) {
          ++cursor.interval;
          moved = true;
        }
      }
      if (moved) {
        for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer) {
          candidates[layer].clear();
          scratch.candidateGroup[layer].clear();
        }
        for (const GroupCursor& cursor : cursors) {
          std::span<const std::uint32_t> indexed;
          if (cursor.index != nullptr) {
            const auto& offsets = cursor.index->offsets;
            indexed = std::span<const std::uint32_t>(cursor.index->rules.data() + offsets[cursor.interval],
                                                     offsets[cursor.interval + 1] - offsets[cursor.interval]);
          }
          if constexpr (kAnyProtocolApart) {
            for (std::uint32_t rule : indexed) {
              candidates[cursor.layer].push_back(&cursor.group->rules[rule]);
              scratch.candidateGroup[cursor.layer].push_back(cursor.position);
            }
          } else {
            appendIndexedCandidates(*cursor.group, indexed, candidates[cursor.layer]);
          }
        }
        signature.clear();
        for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer) {
          signature.insert(signature.end(), candidates[layer].begin(), candidates[layer].end());
          signature.push_back(nullptr);
        }
        current = 0;
        while (current < evaluatedCount && evaluated[current].rules != signature)
          ++current;
        if (current == evaluatedCount) {
          // The candidates' first cache lines, fetched together before evaluation reads them one by one: in
          // a fleet they are mostly misses.
          for (const CompiledRule* rule : signature) {
            if (rule != nullptr) __builtin_prefetch(rule);
          }
          if constexpr (!kAnyProtocolApart) {
            for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer)
              orderCandidates(firewall.layers[layer], candidates[layer]);
          }
          if (evaluated.size() == evaluatedCount) evaluated.emplace_back();
          policy.evaluate(firewall, candidates, protocol, key, universe, scratch, evaluated[current].answer);
          evaluated[current].rules.swap(signature);
          ++evaluatedCount;
        }
      }
      // Otherwise the key lies in the elementary interval of the key before, and has the same answer.
      Answer& answer = evaluated[current].answer;
      answer.ports = PortRange::single(key);
      visit(question, answer);
    }
    begin = end;
  }
}

// reachEach's answers: the pieces of the address space with their deciding rules.
struct FullAnswers {
  using Answer = PortIntervalAnswer;
  static constexpr bool kAnyProtocolApart = false;
  IntervalOutcome outcome;

  void start(const CompiledFirewall&, const AddressSet&, Scratch&) {}
  void evaluate(const CompiledFirewall& firewall,
                const std::vector<std::vector<const CompiledRule*>>& candidates, Protocol protocol,
                std::uint16_t key, const AddressSet& universe, Scratch& scratch, PortIntervalAnswer& answer) {
    evaluateInterval(firewall, candidates, protocol, PortRange::single(key), true, universe, scratch,
                     outcome);
    writeAnswer(outcome, answer);
  }
};

// verdictEach's answers.
struct Verdicts {
  using Answer = ReachVerdict;
  static constexpr bool kAnyProtocolApart = true;

  void start(const CompiledFirewall& firewall, const AddressSet& universe, Scratch& scratch) {
    paintAnyProtocol(firewall, universe, scratch);
  }
  void evaluate(const CompiledFirewall& firewall,
                const std::vector<std::vector<const CompiledRule*>>& candidates, Protocol, std::uint16_t key,
                const AddressSet& universe, Scratch& scratch, ReachVerdict& verdict) {
    evaluateVerdict(firewall, candidates, key, universe, scratch, verdict);
  }
};

}  // namespace

void reachEach(std::span<const KeyQuestion> questions,
               const std::function<void(std::size_t question, const PortIntervalAnswer& answer)>& visit) {
  thread_local FullAnswers policy;
  answerEach(questions, policy, visit);
}

void verdictEach(std::span<const KeyQuestion> questions,
                 const std::function<void(std::size_t question, const ReachVerdict& verdict)>& visit) {
  answerEach(questions, Verdicts{}, visit);
}

std::vector<PortIntervalAnswer> reachEach(std::span<const KeyQuestion> questions) {
  std::vector<PortIntervalAnswer> answers(questions.size());
  reachEach(questions,
            [&](std::size_t question, const PortIntervalAnswer& answer) { answers[question] = answer; });
  return answers;
}

}  // namespace sgaudit::core
