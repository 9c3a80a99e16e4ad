// One key interval in full (firewall_engine.hpp): the candidate rules of each layer, a sweep over their
// source ranges in which the first covering rule decides, and the layers combined into pieces of the address
// space with their deciding rules and the unresolved references that could change them; written as the public
// answer. reach() asks it for each elementary interval of a port range.

#include <algorithm>
#include <map>
#include <vector>

#include "interval_algebra.hpp"

#include "firewall_engine.hpp"

namespace sgaudit::core {
namespace engine {
namespace {

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
  auto& packedEvents = scratch.packed_events;
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
  choice.precedent_begin = static_cast<std::uint32_t>(outcome.precedents.size());
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
  choice.precedent_end = static_cast<std::uint32_t>(outcome.precedents.size());
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
          makeChoice(active[layer], deciders[layer], family, scratch.has_unresolved[layer] != 0, outcome);
      verdict.add(choice.action() == RuleAction::Allow, choice.precedent_end != choice.precedent_begin);
      outcome.choices.push_back(choice);
    }
    FlatPiece& piece = outcome.pieces.back();
    piece.admitted = verdict.admitted;
    piece.depends_on_unresolved = verdict.dependsOnUnresolved();
    return index;
  };
  auto& starts = scratch.run_starts;
  auto& runPieces = scratch.run_pieces;
  starts.clear();
  runPieces.clear();
  if (layerCount == 1) {
    const LayerRuns& runs = scratch.runs[0];
    auto& pieceOf = scratch.piece_of_decider;
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
  auto& count = scratch.range_count;
  count.assign(pieceCount, 0);
  for (std::uint32_t piece : runPieces)
    ++count[piece];
  auto offset = static_cast<std::uint32_t>(outcome.ranges.size());
  for (std::size_t p = 0; p < pieceCount; ++p) {
    FlatPiece& piece = outcome.pieces[firstPiece + p];
    piece.range_begin = offset;
    piece.range_end = offset;
    offset += count[p];
  }
  outcome.ranges.resize(offset);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    Uint128 last = i + 1 < starts.size() ? starts[i + 1] - 1 : familyLast;
    FlatPiece& piece = outcome.pieces[firstPiece + runPieces[i]];
    const AddressRange range{starts[i], last};
    outcome.ranges[piece.range_end++] = range;
    // Runs come in address order, so the admitted and undetermined sets come out canonical.
    if (piece.admitted) intervals::appendMerging(outcome.admitted[family == IpFamily::V4 ? 0 : 1], range);
    if (piece.depends_on_unresolved)
      intervals::appendMerging(outcome.undetermined[family == IpFamily::V4 ? 0 : 1], range);
  }
}

}  // namespace

// The rules of one elementary interval of a group's index (`indexed`) merged with its rules of protocol any,
// both in evaluation order, appended to `out`.
void appendIndexedCandidates(const CompiledSecurityGroup& group, std::span<const std::uint32_t> indexed,
                             std::vector<const CompiledRule*>& out) {
  const auto& any = group.any_protocol;
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
    const auto& byProtocol = group->by_protocol;
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
  scratch.has_unresolved.assign(layerCount, 0);
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    active[layer].clear();
    for (const CompiledRule* rule : candidates[layer]) {
      if (!everyCandidateMatches && !matchesKey(*rule, protocol, ports.first)) continue;
      active[layer].push_back(rule);
      if (rule->resolved) continue;
      scratch.has_unresolved[layer] = 1;
      bool reachesUniverse = (rule->may_match_v4 && !universe.ranges(IpFamily::V4).empty()) ||
                             (rule->may_match_v6 && !universe.ranges(IpFamily::V6).empty());
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
  outcome.layer_count = layerCount;
  selectActive(layerCount, candidates, protocol, ports, everyCandidateMatches, universe, scratch,
               &outcome.unresolved);
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    if (universe.ranges(family).empty()) continue;
    partitionFamily(scratch.active, family, scratch, outcome);
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

}  // namespace engine

using namespace engine;

AddressSet addressUniverse(Protocol protocol) {
  return universeOf(protocol);
}

ReachAnswer reach(const CompiledFirewall& firewall, Protocol protocol, PortRange ports) {
  ReachAnswer answer{protocol, ports, {}};
  const AddressSet& universe = universeOf(protocol);
  // One scratch space per thread, kept between questions: its vectors keep their capacity, so a question
  // allocates little beyond its answer. reach() does not call itself, so one per thread is enough.
  thread_local ThreadScratch<Scratch> pool;
  auto lease = pool.lease();
  Scratch& scratch = *lease;

  auto& candidates = scratch.candidates;
  candidates.resize(std::max(candidates.size(), firewall.layers.size()));
  for (std::size_t layer = 0; layer < firewall.layers.size(); ++layer)
    candidateRules(firewall.layers[layer], protocol, ports, candidates[layer]);

  // Elementary intervals: split `ports` wherever a candidate rule's key ranges start or end, so that every
  // rule matches either all keys of an interval or none.
  auto& starts = scratch.key_starts;
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

}  // namespace sgaudit::core
