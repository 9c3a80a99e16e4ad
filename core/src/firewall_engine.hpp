#pragma once

// The firewall engine's inside, shared by the files that compile firewalls and answer questions about them
// (firewall.hpp says what each model means):
//   firewall_compile.cpp  a group's rules resolved, ordered by the model and indexed by protocol and key;
//   firewall_reach.cpp    one key interval in full: the pieces of the address space and their deciding rules;
//   firewall_verdict.cpp  one key's verdict only, painted as ranges keyed by evaluation order;
//   firewall_batch.cpp    many questions over many firewalls, sharing work between equal firewalls and keys.
// What an answer means for a requirement is in firewall_requirements.cpp. Everything here is internal to
// core/: its types are the compiled rules, the outcomes and the scratch space those files pass each other.

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "scratch.hpp"
#include "sgaudit/core/firewall.hpp"

namespace sgaudit::core {

// A rule ready for evaluation: its source resolved and cut to its ethertype. Its key and address ranges live
// in pools of its group, so that evaluating a group touches a few contiguous blocks of memory.
// One cache line, with everything a question about one key reads of a candidate rule: in a large fleet those
// reads, scattered over many groups, are mostly cache misses, and the smaller the rules the more of them stay
// cached.
struct alignas(64) CompiledRule {
  const AddressRange* addresses = nullptr;  // when resolved: v4_count IPv4 ranges, then v6_count IPv6 ranges
  std::uint32_t v4_count = 0;
  std::uint32_t v6_count = 0;
  std::shared_ptr<const RuleOrigin> origin;  // cited by answers; aliases the group, which it keeps alive
  const SecurityGroupRule* rule = nullptr;   // its source, for answers
  const PortRange* port_data = nullptr;      // key ranges, read by questions over several keys
  std::int32_t priority = 0;                 // copied: ordering reads it for every candidate
  std::uint16_t port_count = 0;
  std::int16_t protocol = Protocol::kAnyNumber;
  RuleAction action = RuleAction::Allow;
  bool resolved = true;
  bool may_match_v4 = false;  // when unresolved: the families its ethertype admits
  bool may_match_v6 = false;

  std::span<const AddressRange> ranges(IpFamily family) const {
    return family == IpFamily::V4 ? std::span<const AddressRange>(addresses, v4_count)
                                  : std::span<const AddressRange>(addresses + v4_count, v6_count);
  }
  std::span<const PortRange> ports() const { return {port_data, port_count}; }
  bool mayMatch(IpFamily family) const { return family == IpFamily::V4 ? may_match_v4 : may_match_v6; }
  bool keysMatter(Protocol query) const { return protocol != Protocol::kAnyNumber && query.hasKey(); }
};
static_assert(sizeof(CompiledRule) == 64);

namespace engine {

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
inline std::uint64_t groupVerdictKey(EvaluationModel model, const CompiledRule& rule) {
  const std::uint64_t allows = rule.action == RuleAction::Allow ? 1 : 0;
  if (model == EvaluationModel::Union) return allows;
  const std::uint64_t priority = static_cast<std::uint32_t>(rule.priority) ^ 0x80000000u;  // signed order
  return (priority << 1) | allows;
}

inline std::uint64_t layerVerdictKey(EvaluationModel model, std::uint32_t groupPosition,
                                     std::uint64_t groupKey) {
  assert(groupPosition < (std::uint32_t{1} << 31));
  if (model != EvaluationModel::FirstMatchByPriority) return groupKey;
  return groupKey | (std::uint64_t{groupPosition} << 33);
}

inline std::uint64_t verdictKey(EvaluationModel model, std::uint32_t groupPosition,
                                const CompiledRule& rule) {
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

  std::size_t capacityBytes() const {
    return sgaudit::core::capacityBytes(v4) + sgaudit::core::capacityBytes(v6);
  }

  template <class Address>
  const std::vector<KeyedRange<Address>>& painted() const {
    if constexpr (familyOf<Address> == IpFamily::V4) {
      return v4;
    } else {
      return v6;
    }
  }
};

}  // namespace engine

// The rules of a group for one protocol its rules name, per elementary key interval (the keys between the
// boundaries of the protocol's rules), so that a question about one key reads only the rules that match it.
// Rules of protocol any are kept apart (CompiledSecurityGroup::any_protocol) and merged in at the question.
struct ProtocolIndex {
  std::int16_t protocol = 0;
  std::span<const std::uint16_t> starts;   // first key of each interval; starts[0] == 0
  std::span<const std::uint32_t> offsets;  // interval i's rules: rules[offsets[i], offsets[i + 1])
  std::span<const std::uint32_t> rules;    // indices into CompiledSecurityGroup::rules, ascending
};

struct CompiledSecurityGroup {
  std::shared_ptr<const SecurityGroup> group;
  std::vector<CompiledRule> rules;  // ingress rules that take part, in the model's order within the group
  std::vector<PortRange> port_pool;
  std::vector<AddressRange> address_pool;
  std::vector<ProtocolIndex> by_protocol;
  std::span<const std::uint32_t> any_protocol;        // rules of protocol any, ascending
  engine::AnyProtocolPainting any_protocol_painting;  // theirs, for verdicts
  // What the index's spans point into: every protocol's starts, and its offsets and rules.
  std::vector<std::uint16_t> start_pool;
  std::vector<std::uint32_t> index_pool;
};

namespace engine {

// Evaluation order within one group: ascending priority, deny before allow at equal priority, then as
// written.
inline bool comesBefore(const CompiledRule& a, const CompiledRule& b) {
  if (a.priority != b.priority) return a.priority < b.priority;
  return a.action == RuleAction::Deny && b.action == RuleAction::Allow;
}

// The interval of sorted `starts` (starts[0] == 0) that contains `key`: the last start at or below it. A
// binary search without branches on the comparisons, which are unpredictable: building an index makes many.
inline std::size_t intervalContaining(std::span<const std::uint16_t> starts, std::uint16_t key) {
  const std::uint16_t* base = starts.data();
  for (std::size_t n = starts.size(); n > 1;) {
    const std::size_t half = n / 2;
    base = base[half] <= key ? base + half : base;
    n -= half;
  }
  return static_cast<std::size_t>(base - starts.data());
}

// The decision of one layer for a piece: the deciding rule (nullptr: default deny) and the unresolved rules
// evaluated before it with the opposite action, as a run of IntervalOutcome::precedents.
struct FlatChoice {
  const CompiledRule* decider = nullptr;
  std::uint32_t precedent_begin = 0;
  std::uint32_t precedent_end = 0;

  RuleAction action() const { return decider ? decider->action : RuleAction::Deny; }
};

// A piece of one family: a run of IntervalOutcome::ranges and one choice per layer from choiceBegin.
struct FlatPiece {
  IpFamily family = IpFamily::V4;
  std::uint32_t range_begin = 0;
  std::uint32_t range_end = 0;
  std::uint32_t choice_begin = 0;
  bool admitted = false;               // every layer allows
  bool depends_on_unresolved = false;  // see AddressPiece
};

// The outcome for one elementary key interval before it is turned into the public answer. Flat, so that
// building it costs a handful of allocations however many pieces it has.
struct IntervalOutcome {
  PortRange ports;
  std::size_t layer_count = 0;
  std::vector<AddressRange> ranges;
  std::vector<FlatPiece> pieces;  // IPv4 first, each family in order of its first address
  std::vector<FlatChoice> choices;
  std::vector<const CompiledRule*> precedents;
  std::vector<std::pair<std::size_t, const CompiledRule*>> unresolved;  // (layer, rule)
  // The admitted and undetermined addresses of each family (IPv4, IPv6), in canonical form.
  std::vector<AddressRange> admitted[2];
  std::vector<AddressRange> undetermined[2];

  std::size_t capacityBytes() const {
    using sgaudit::core::capacityBytes;
    return capacityBytes(ranges) + capacityBytes(pieces) + capacityBytes(choices) +
           capacityBytes(precedents) + capacityBytes(unresolved) + capacityBytes(admitted[0]) +
           capacityBytes(admitted[1]) + capacityBytes(undetermined[0]) + capacityBytes(undetermined[1]);
  }

  std::span<const AddressRange> rangesOf(const FlatPiece& piece) const {
    return {ranges.data() + piece.range_begin, piece.range_end - piece.range_begin};
  }
  std::span<const FlatChoice> choicesOf(const FlatPiece& piece) const {
    return {choices.data() + piece.choice_begin, layer_count};
  }
  std::span<const CompiledRule* const> precedentsOf(const FlatChoice& choice) const {
    return {precedents.data() + choice.precedent_begin, choice.precedent_end - choice.precedent_begin};
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
        layer_count != other.layer_count) {
      return false;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const FlatPiece& a = pieces[i];
      const FlatPiece& b = other.pieces[i];
      if (a.family != b.family || !std::ranges::equal(rangesOf(a), other.rangesOf(b))) return false;
      auto aChoices = choicesOf(a);
      auto bChoices = other.choicesOf(b);
      for (std::size_t l = 0; l < layer_count; ++l) {
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

  std::size_t capacityBytes() const {
    return sgaudit::core::capacityBytes(starts) + sgaudit::core::capacityBytes(deciders);
  }
};

// Combines the layers' decisions for some addresses: a packet gets through when every layer allows. Allowed
// addresses flip when any layer may deny; denied addresses only when every denying layer may allow.
struct LayersVerdict {
  bool admitted = true;
  bool any_allow_layer_may_deny = false;
  bool every_deny_layer_may_allow = true;

  // A layer's decision, and whether an unresolved reference could reverse it.
  void add(bool allows, bool mayFlip) {
    if (allows) {
      any_allow_layer_may_deny = any_allow_layer_may_deny || mayFlip;
    } else {
      admitted = false;
      every_deny_layer_may_allow = every_deny_layer_may_allow && mayFlip;
    }
  }
  bool dependsOnUnresolved() const {
    return admitted ? any_allow_layer_may_deny : every_deny_layer_may_allow;
  }
};

// The admitted and undetermined addresses of one family, canonical.
struct FamilyVerdict {
  std::vector<AddressRange> admitted;
  std::vector<AddressRange> undetermined;

  std::size_t capacityBytes() const {
    return sgaudit::core::capacityBytes(admitted) + sgaudit::core::capacityBytes(undetermined);
  }
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

  std::size_t capacityBytes() const {
    using sgaudit::core::capacityBytes;
    return capacityBytes(block) + capacityBytes(fresh) + capacityBytes(merged) + capacityBytes(painting) +
           capacityBytes(next) + capacityBytes(painted);
  }
};

// Scratch space reused across layers, families and intervals, to keep allocation out of the inner loop.
struct Scratch {
  std::vector<std::vector<const CompiledRule*>> candidates;  // per layer
  std::vector<std::uint16_t> key_starts;
  std::vector<IntervalOutcome> outcomes;
  std::vector<std::vector<const CompiledRule*>> active;  // per layer
  std::vector<SweepEvent> events;
  std::vector<std::uint64_t> packed_events;  // IPv4 events: see sweepLayer
  std::vector<std::uint64_t> covering;       // bit k: active rule k covers the sweep position
  std::vector<LayerRuns> runs;               // per layer
  std::vector<Uint128> run_starts;           // the runs of all layers combined
  std::vector<std::uint32_t> run_pieces;
  std::vector<std::int32_t> tuple;
  std::vector<std::uint32_t> piece_of_decider;  // single layer: decider + 1 -> piece index + 1
  std::vector<std::uint32_t> range_count;       // per piece of the family
  std::vector<char> has_unresolved;             // per layer: some active rule is unresolved
  // Verdicts only (verdictEach).
  std::vector<std::vector<std::uint32_t>> candidate_group;  // per layer: each candidate's group position
  std::vector<AnyProtocolPainting> any_protocol;            // per layer
  std::vector<KeyedRule> keyed;
  PaintScratch<V4> paint4;
  PaintScratch<V6> paint6;
  std::vector<VerdictLabel> uncovered;  // per layer
  std::vector<VerdictLabel> labels;     // per layer
  std::vector<std::size_t> next_run;    // per layer
  FamilyVerdict verdict;
  // Per family: the verdict when no candidate of the protocol asked can match the family, which is the rules
  // of protocol any's alone, the same for every key of the firewall and protocol (valid since
  // paintAnyProtocol).
  std::array<FamilyVerdict, 2> any_protocol_verdict;
  std::array<bool, 2> any_protocol_verdict_valid{};

  std::size_t capacityBytes() const {
    using sgaudit::core::capacityBytes;
    return capacityBytes(candidates) + capacityBytes(key_starts) + capacityBytes(outcomes) +
           capacityBytes(active) + capacityBytes(events) + capacityBytes(packed_events) +
           capacityBytes(covering) + capacityBytes(runs) + capacityBytes(run_starts) +
           capacityBytes(run_pieces) + capacityBytes(tuple) + capacityBytes(piece_of_decider) +
           capacityBytes(range_count) + capacityBytes(has_unresolved) + capacityBytes(candidate_group) +
           capacityBytes(any_protocol) + capacityBytes(keyed) + paint4.capacityBytes() +
           paint6.capacityBytes() + capacityBytes(uncovered) + capacityBytes(labels) +
           capacityBytes(next_run) + verdict.capacityBytes() + any_protocol_verdict[0].capacityBytes() +
           any_protocol_verdict[1].capacityBytes();
  }

  template <class Address>
  PaintScratch<Address>& paint() {
    if constexpr (familyOf<Address> == IpFamily::V4) {
      return paint4;
    } else {
      return paint6;
    }
  }
};

// Across the engine's files.

// firewall_reach.cpp
const AddressSet& universeOf(Protocol protocol);
void appendIndexedCandidates(const CompiledSecurityGroup& group, std::span<const std::uint32_t> indexed,
                             std::vector<const CompiledRule*>& out);
void orderCandidates(const CompiledLayer& layer, std::vector<const CompiledRule*>& candidates);
void evaluateInterval(const CompiledFirewall& firewall,
                      const std::vector<std::vector<const CompiledRule*>>& candidates, Protocol protocol,
                      PortRange ports, bool everyCandidateMatches, const AddressSet& universe,
                      Scratch& scratch, IntervalOutcome& outcome);
void writeAnswer(const IntervalOutcome& outcome, PortIntervalAnswer& answer);

// firewall_verdict.cpp
void paintGroupAnyProtocol(CompiledSecurityGroup& group, EvaluationModel model);
void paintAnyProtocol(const CompiledFirewall& firewall, const AddressSet& universe, Scratch& scratch);
void evaluateVerdict(const CompiledFirewall& firewall,
                     const std::vector<std::vector<const CompiledRule*>>& candidates, std::uint16_t key,
                     const AddressSet& universe, Scratch& scratch, ReachVerdict& verdict);

}  // namespace engine
}  // namespace sgaudit::core
