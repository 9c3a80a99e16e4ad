// Compiling firewalls (firewall_engine.hpp): each security group's ingress rules resolved against the
// resolver and cut to their ethertype, ordered by the model, their addresses and keys in pools of the group,
// and indexed by protocol and elementary key interval; each group compiled once per model by the compiler.

#include <algorithm>
#include <memory>
#include <vector>

#include "firewall_engine.hpp"

namespace sgaudit::core {
namespace engine {
namespace {

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

// Builds the group's rule index. Each protocol's arrays are built in scratch space, then the group's pools
// are allocated once at their final size and the spans taken.
// Scratch space of buildProtocolIndex.
struct IndexScratch {
  struct Cover {
    std::uint32_t rule;
    std::uint32_t first;  // intervals first..last
    std::uint32_t last;
  };
  // Where each protocol's arrays lie in the pools.
  struct Placed {
    std::int16_t protocol;
    std::size_t starts, intervals, offsets, rules, rule_count;
  };
  std::vector<std::int16_t> protocols;
  std::vector<std::uint16_t> start_pool;
  std::vector<std::uint32_t> index_pool;
  std::vector<Cover> covers;
  std::vector<Placed> placed;

  std::size_t capacityBytes() const {
    using sgaudit::core::capacityBytes;
    return capacityBytes(protocols) + capacityBytes(start_pool) + capacityBytes(index_pool) +
           capacityBytes(covers) + capacityBytes(placed);
  }
};

void buildProtocolIndex(CompiledSecurityGroup& compiled) {
  using Cover = IndexScratch::Cover;
  using Placed = IndexScratch::Placed;
  thread_local ThreadScratch<IndexScratch> pool;
  auto scratch = pool.lease();
  auto& [protocols, startPool, indexPool, covers, placed] = *scratch;
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
    at.rule_count = offsets[at.intervals];
    at.rules = indexPool.size();
    indexPool.resize(indexPool.size() + at.rule_count);
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
  compiled.start_pool.assign(startPool.begin(), startPool.end());
  compiled.index_pool.assign(indexPool.begin(), indexPool.end());
  compiled.any_protocol = std::span<const std::uint32_t>(compiled.index_pool.data(), anyCount);
  compiled.by_protocol.reserve(placed.size());
  for (const Placed& at : placed) {
    compiled.by_protocol.push_back(ProtocolIndex{
        at.protocol, std::span<const std::uint16_t>(compiled.start_pool.data() + at.starts, at.intervals),
        std::span<const std::uint32_t>(compiled.index_pool.data() + at.offsets, at.intervals + 1),
        std::span<const std::uint32_t>(compiled.index_pool.data() + at.rules, at.rule_count)});
  }
}

// A rule's resolved source, looked up without copying: a CIDR's one range, or the resolver's set.
struct Pending {
  const SecurityGroupRule* rule = nullptr;
  bool resolved = true;
  const AddressSet* set = nullptr;  // null for a CIDR
  IpFamily cidr_family = IpFamily::V4;
  AddressRange cidr_range;

  std::span<const AddressRange> ranges(IpFamily family) const {
    if (set) return set->ranges(family);
    if (family != cidr_family) return {};
    return {&cidr_range, 1};
  }
};

// Scratch space of compileGroup.
struct CompileScratch {
  std::vector<Pending> pending;
  std::vector<std::uint64_t> keys;  // sort keys, when the model orders rules
  std::vector<Pending> sorted;

  std::size_t capacityBytes() const {
    using sgaudit::core::capacityBytes;
    return capacityBytes(pending) + capacityBytes(keys) + capacityBytes(sorted);
  }
};

std::shared_ptr<const CompiledSecurityGroup> compileGroup(std::shared_ptr<const SecurityGroup> group,
                                                          EvaluationModel model,
                                                          const SourceResolver& resolver) {
  thread_local ThreadScratch<CompileScratch> pool;
  auto scratch = pool.lease();
  auto& pending = scratch->pending;
  pending.clear();
  std::size_t portCount = 0;
  std::size_t addressCount = 0;
  for (const SecurityGroupRule& rule : group->rules) {
    if (rule.direction != Direction::Ingress) continue;
    if (model == EvaluationModel::Union && rule.action != RuleAction::Allow) continue;
    Pending entry;
    entry.rule = &rule;
    if (const auto* cidr = std::get_if<Cidr>(&rule.source)) {
      entry.cidr_family = cidr->family();
      entry.cidr_range = cidr->range();
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
    auto& keys = scratch->keys;
    auto& sorted = scratch->sorted;
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
  compiled->port_pool.reserve(portCount);
  compiled->address_pool.reserve(addressCount);
  auto appendAddresses = [&](std::span<const AddressRange> ranges) {
    compiled->address_pool.insert(compiled->address_pool.end(), ranges.begin(), ranges.end());
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
    std::size_t portBegin = compiled->port_pool.size();
    const auto& ports = rule.ports.ranges();
    compiled->port_pool.insert(compiled->port_pool.end(), ports.begin(), ports.end());
    out.port_data = compiled->port_pool.data() + portBegin;
    out.port_count = static_cast<std::uint16_t>(ports.size());
    if (entry.resolved) {
      out.addresses = compiled->address_pool.data() + compiled->address_pool.size();
      if (admits(rule.ethertype, IpFamily::V4)) out.v4_count = appendAddresses(entry.ranges(IpFamily::V4));
      if (admits(rule.ethertype, IpFamily::V6)) out.v6_count = appendAddresses(entry.ranges(IpFamily::V6));
    } else {
      out.resolved = false;
      out.may_match_v4 = admits(rule.ethertype, IpFamily::V4);
      out.may_match_v6 = admits(rule.ethertype, IpFamily::V6);
    }
    compiled->rules.push_back(std::move(out));
  }
  buildProtocolIndex(*compiled);
  paintGroupAnyProtocol(*compiled, model);
  compiled->group = std::move(group);
  return compiled;
}

}  // namespace
}  // namespace engine

using namespace engine;

namespace {

template <typename Slot>
std::size_t slotOf(const std::vector<Slot>& slots, const SecurityGroup* key, EvaluationModel keyModel) {
  const std::size_t mask = slots.size() - 1;
  std::size_t i =
      static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(key) >> 4) * 0x9e3779b97f4a7c15ull >> 20) ^
      static_cast<std::size_t>(keyModel);
  for (i &= mask; slots[i].group != nullptr; i = (i + 1) & mask) {
    if (slots[i].group == key && slots[i].model == keyModel) break;
  }
  return i;
}

}  // namespace

std::shared_ptr<const CompiledSecurityGroup> FirewallCompiler::findShared(const SecurityGroup* group,
                                                                          EvaluationModel model) const {
  if (shared_ == nullptr || shared_->cache_.empty()) return nullptr;
  return shared_->cache_[slotOf(shared_->cache_, group, model)].compiled;
}

std::shared_ptr<const CompiledSecurityGroup>& FirewallCompiler::cached(const SecurityGroup* group,
                                                                       EvaluationModel model) {
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
      if (!slot) slot = findShared(group.get(), layer.model);
      if (!slot) slot = compileGroup(group, layer.model, resolver_);
      compiled.groups.push_back(slot);
    }
    out.layers.push_back(std::move(compiled));
  }
  return out;
}

}  // namespace sgaudit::core
