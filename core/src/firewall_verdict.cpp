// Verdicts only (firewall_engine.hpp): which addresses a key admits, without deciding rules, for the audit's
// many questions. Each layer's rules are painted over the address space as ranges keyed by evaluation order
// (the lowest key decides); the rules of protocol any are painted once per group when it is compiled and once
// per firewall and protocol, and the layers' paintings combined into admitted and undetermined addresses.

#include <algorithm>
#include <vector>

#include "interval_algebra.hpp"

#include "firewall_engine.hpp"

namespace sgaudit::core::engine {
namespace {

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
  auto& blockPacked = scratch.packed_events;
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
  auto& next = scratch.next_run;
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

}  // namespace

// Paints a group's rules of protocol any (its any_protocol_painting), keyed within the group.
void paintGroupAnyProtocol(CompiledSecurityGroup& group, EvaluationModel model) {
  thread_local ThreadScratch<Scratch> pool;
  auto lease = pool.lease();
  Scratch& scratch = *lease;
  auto& keyed = scratch.keyed;
  keyed.clear();
  for (std::uint32_t rule : group.any_protocol)
    keyed.push_back(KeyedRule{groupVerdictKey(model, group.rules[rule]), &group.rules[rule]});
  std::sort(keyed.begin(), keyed.end(), [](const KeyedRule& a, const KeyedRule& b) { return a.key < b.key; });
  AnyProtocolPainting& any = group.any_protocol_painting;
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    for (const KeyedRule& rule : keyed)
      any.unresolved[family == IpFamily::V4 ? 0 : 1].add(rule, family);
  }
  paintRules(std::span<const KeyedRule>(keyed), scratch, any.v4);
  paintRules(std::span<const KeyedRule>(keyed), scratch, any.v6);
}

namespace {

// A layer's painting of its groups' rules of protocol any, from each group's, into `out`.
template <class Address>
void paintLayerAnyProtocol(const CompiledLayer& layer, Scratch& scratch,
                           std::vector<KeyedRange<Address>>& out) {
  PaintScratch<Address>& paint = scratch.paint<Address>();
  out.clear();
  for (std::uint32_t g = 0; g < layer.groups.size(); ++g) {
    const auto& painted = layer.groups[g]->any_protocol_painting.painted<Address>();
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

}  // namespace

// Paints every layer's rules of protocol any (scratch.any_protocol) from its groups' paintings, once for all
// the questions about `firewall` and a protocol of `universe`.
void paintAnyProtocol(const CompiledFirewall& firewall, const AddressSet& universe, Scratch& scratch) {
  const std::size_t layerCount = firewall.layers.size();
  scratch.any_protocol.resize(std::max(scratch.any_protocol.size(), layerCount));
  scratch.any_protocol_verdict_valid = {};
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    const CompiledLayer& compiled = firewall.layers[layer];
    AnyProtocolPainting& any = scratch.any_protocol[layer];
    any.unresolved = {};
    for (std::uint32_t g = 0; g < compiled.groups.size(); ++g) {
      for (std::size_t f = 0; f < 2; ++f)
        any.unresolved[f].add(compiled.groups[g]->any_protocol_painting.unresolved[f], compiled.model, g);
    }
    any.v4.clear();
    any.v6.clear();
    if (!universe.ranges(IpFamily::V4).empty()) paintLayerAnyProtocol(compiled, scratch, any.v4);
    if (!universe.ranges(IpFamily::V6).empty()) paintLayerAnyProtocol(compiled, scratch, any.v6);
  }
}

namespace {

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
  if (!candidatesMatter && scratch.any_protocol_verdict_valid[f]) return scratch.any_protocol_verdict[f];
  PaintScratch<Address>& paint = scratch.paint<Address>();
  paint.painted.resize(std::max(paint.painted.size(), layerCount));
  auto& uncovered = scratch.uncovered;
  uncovered.resize(layerCount);
  auto& keyed = scratch.keyed;
  for (std::size_t layer = 0; layer < layerCount; ++layer) {
    const CompiledLayer& compiled = firewall.layers[layer];
    const AnyProtocolPainting& any = scratch.any_protocol[layer];
    keyed.clear();
    UnresolvedKeys unresolved = any.unresolved[f];
    for (std::size_t c = 0; c < candidates[layer].size(); ++c) {
      const CompiledRule& rule = *candidates[layer][c];
      keyed.push_back(KeyedRule{verdictKey(compiled.model, scratch.candidate_group[layer][c], rule), &rule});
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
  FamilyVerdict& out = candidatesMatter ? scratch.verdict : scratch.any_protocol_verdict[f];
  combineLayers(std::span<const std::vector<LabelledRange<Address>>>(paint.painted.data(), layerCount),
                std::span<const VerdictLabel>(uncovered.data(), layerCount), scratch, out.admitted,
                out.undetermined);
  if (!candidatesMatter) scratch.any_protocol_verdict_valid[f] = true;
  return out;
}

}  // namespace

// A verdict for one key, written over `verdict`, whose sets keep their memory. `candidates` are each layer's
// rules of the key's protocol that match it (of group scratch.candidate_group); the rules of protocol any are
// in scratch.any_protocol, painted by paintAnyProtocol. A few candidates are painted over those one at a time
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

}  // namespace sgaudit::core::engine
