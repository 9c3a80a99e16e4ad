// Many questions at once (reachEach, verdictEach; firewall_engine.hpp): questions grouped by firewall and
// protocol in key order, firewalls of the same groups asked once, each group's index walked once, and one
// evaluation per distinct set of candidate rules, in full (firewall_reach.cpp) or as a verdict
// (firewall_verdict.cpp).

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "firewall_engine.hpp"

namespace sgaudit::core {
namespace engine {
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
//     candidate's group position in scratch.candidate_group), in no particular order; otherwise they include
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

  thread_local ThreadScratch<Scratch> pool;
  auto lease = pool.lease();
  Scratch& scratch = *lease;
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
        const auto& byProtocol = groups[position]->by_protocol;
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
    scratch.candidate_group.resize(std::max(scratch.candidate_group.size(), firewall.layers.size()));
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
          scratch.candidate_group[layer].clear();
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
              scratch.candidate_group[cursor.layer].push_back(cursor.position);
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

  std::size_t capacityBytes() const { return outcome.capacityBytes(); }
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
}  // namespace engine

using namespace engine;

void reachEach(std::span<const KeyQuestion> questions,
               const std::function<void(std::size_t question, const PortIntervalAnswer& answer)>& visit) {
  thread_local ThreadScratch<FullAnswers> pool;
  auto policy = pool.lease();
  answerEach(questions, *policy, visit);
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
