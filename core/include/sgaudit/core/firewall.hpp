#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/port.hpp"
#include "sgaudit/core/rule.hpp"

namespace sgaudit::core {

// How one layer of security groups turns its ingress rules into a verdict for a packet.
enum class EvaluationModel {
  // AWS security groups, OpenStack Neutron, Huawei Cloud v1 rules: allow-only; any matching rule admits; no
  // match denies. Deny rules (which these providers cannot express) are ignored.
  Union,
  // Huawei Cloud v3 rules (and Azure NSGs, whose default rules are given as ordinary rules): groups in the
  // instance's order; inside a group ascending priority (1 first), deny before allow at equal priority; the
  // first matching rule decides; no match denies.
  FirstMatchByPriority,
  // GCP VPC firewall rules: every rule of the layer by ascending priority whatever its group; at equal
  // priority deny before allow; the first match decides; no match denies. Target tags and service accounts
  // select which rules apply to the node, which the caller does before building the layer.
  PriorityDenyWins,
};
const char* toString(EvaluationModel model);

// Security groups evaluated together under one model. The model belongs to the layer, not the firewall,
// because layers of one node can differ: an AWS network ACL (ordered, stateless) in front of its security
// groups (union).
struct FirewallLayer {
  std::string name;  // "node security groups", "subnet NSG", "NIC NSG"
  EvaluationModel model = EvaluationModel::Union;
  std::vector<std::shared_ptr<const SecurityGroup>> groups;  // in the instance's order
};

// Everything that guards one node's ingress. A packet gets through when every layer admits it (Azure: subnet
// and NIC NSGs); AWS, Huawei Cloud and OpenStack have one layer. With no layers nothing guards the node and
// every source is admitted.
struct Firewall {
  std::vector<FirewallLayer> layers;
};

// The addresses behind symbolic sources, as far as the inventory knows them. A missing entry is "unresolved":
// the answer then keeps the source symbolic ("members of sg-123") and never guesses its addresses.
struct SourceResolver {
  std::unordered_map<std::string, AddressSet> security_group_members;
  std::unordered_map<std::string, AddressSet> address_groups;
  std::unordered_map<std::string, AddressSet> prefix_lists;
  std::unordered_map<std::string, AddressSet> provider_tags;

  // The addresses `source` stands for (a CIDR always resolves), or nullopt when unknown.
  std::optional<AddressSet> resolve(const RuleSource& source) const;
  // The same without a copy: the set the resolver holds, or `scratch` holding a CIDR's; null when unknown.
  // (A node group's members are thousands of addresses, asked for every rule that names the group.)
  const AddressSet* find(const RuleSource& source, AddressSet& scratch) const;
};

// A rule whose source could not be resolved, as it appears in an answer.
struct UnresolvedSource {
  std::size_t layer = 0;
  std::string source;  // "members of sg-123"
  RuleAction action = RuleAction::Allow;
  RuleOrigin rule;

  friend bool operator==(const UnresolvedSource&, const UnresolvedSource&) = default;
};

// How one layer decided for a piece of the address space.
struct LayerDecision {
  std::size_t layer = 0;
  RuleAction action = RuleAction::Deny;
  // The deciding rule's origin, or null: no rule matched: default deny. Shared with the security group it
  // came from (which it keeps alive), so answers stay cheap to build and copy.
  std::shared_ptr<const RuleOrigin> rule;
  // Unresolved references that this layer evaluates before the deciding rule and whose action is the
  // opposite: the decision holds unless the source is a member of one of them. (Under Union: the unresolved
  // allow rules of a default-deny piece.) Unresolved references with the same action cannot change the
  // decision and are left out.
  std::vector<UnresolvedSource> unless_member_of;
};

// A part of the address space (one family) with one verdict and the same deciding rules throughout.
struct AddressPiece {
  AddressSet addresses;
  RuleAction verdict = RuleAction::Deny;
  std::vector<LayerDecision> decisions;  // one per layer, in layer order
  // True when membership of an unresolved reference could change the verdict. References are treated as
  // independent, so this may say "could" for a combination that is impossible, never "cannot" for one that
  // is.
  bool depends_on_unresolved = false;
};

// The answer for a run of keys (ports, or ICMP type/code) over which nothing changes.
struct PortIntervalAnswer {
  PortRange ports;
  AddressSet admitted;      // verdict allow, taking unresolved references to match nobody
  AddressSet undetermined;  // addresses whose verdict depends on unresolved references
  // Every unresolved reference among the rules that match these keys, whether or not it changes a verdict.
  std::vector<UnresolvedSource> unresolved;
  // A partition of the protocol's address universe (see addressUniverse), IPv4 first, in address order.
  std::vector<AddressPiece> pieces;
};

struct ReachAnswer {
  Protocol protocol;
  PortRange ports;  // as asked
  // Maximal runs of keys with identical answers, in order, covering `ports` exactly.
  std::vector<PortIntervalAnswer> intervals;

  // The interval containing `key`; `key` must lie within `ports`.
  const PortIntervalAnswer& at(std::uint16_t key) const;
};

// The bytes of scratch space the engine keeps on the calling thread between calls, so that the next question
// allocates little: after any call, at most a few MiB per kind of work, however large the last question was.
std::size_t retainedScratchBytes();

// Sources that can send a protocol at all: IPv4 for ICMP, IPv6 for ICMPv6, both otherwise.
AddressSet addressUniverse(Protocol protocol);

struct CompiledSecurityGroup;  // a group's ingress rules, resolved and ordered for one model

// A layer of a compiled firewall; answers name it by its position, as in the firewall.
struct CompiledLayer {
  EvaluationModel model = EvaluationModel::Union;
  std::vector<std::shared_ptr<const CompiledSecurityGroup>> groups;
};

// A firewall prepared for many questions: sources resolved, rules ordered. Shares compiled groups (and
// through them the security groups) with other firewalls built by the same compiler.
struct CompiledFirewall {
  std::vector<CompiledLayer> layers;
};

// Compiles firewalls, compiling each security group once per model: a fleet's nodes share groups.
class FirewallCompiler {
 public:
  // `resolver` must outlive the compiler.
  explicit FirewallCompiler(const SourceResolver& resolver) : resolver_(resolver) {}
  // One that first takes what `shared` (compiled with the same resolver, and no longer compiling: it is only
  // read) has compiled: a re-audit with a few groups changed compiles only those.
  FirewallCompiler(const SourceResolver& resolver, const FirewallCompiler& shared)
      : resolver_(resolver), shared_(&shared) {}

  CompiledFirewall compile(const Firewall& firewall);

 private:
  // What `shared` compiled of (group, model), or null.
  std::shared_ptr<const CompiledSecurityGroup> findShared(const SecurityGroup* group,
                                                          EvaluationModel model) const;

  struct CacheSlot {
    const SecurityGroup* group = nullptr;  // null: empty
    EvaluationModel model = EvaluationModel::Union;
    std::shared_ptr<const CompiledSecurityGroup> compiled;
  };
  // The slot for (group, model), added empty when missing. Open addressing, at most half full: a fleet's
  // compilation looks up every group of every node, and a lookup costs one cache miss.
  std::shared_ptr<const CompiledSecurityGroup>& cached(const SecurityGroup* group, EvaluationModel model);

  const SourceResolver& resolver_;
  const FirewallCompiler* shared_ = nullptr;
  std::vector<CacheSlot> cache_;
  std::size_t cache_used_ = 0;
};

// Which sources reach `ports` of `protocol` on the node (ingress), and which rule decided each address.
// Egress rules are ignored. Only rules of protocol any match a question about protocol any.
ReachAnswer reach(const CompiledFirewall& firewall, Protocol protocol, PortRange ports = PortRange::all());
ReachAnswer reach(const Firewall& firewall, const SourceResolver& resolver, Protocol protocol,
                  PortRange ports = PortRange::all());

// One question of a batch: which sources reach one key (port, or ICMP type * 256 + code) of `protocol` on the
// node `firewall` guards. The firewall must outlive the call.
struct KeyQuestion {
  const CompiledFirewall* firewall = nullptr;
  Protocol protocol;
  std::uint16_t key = 0;
};

// Answers many questions: calls visit(i, answer) once for every question i, where `answer` equals
// reach(*questions[i].firewall, questions[i].protocol, PortRange::single(questions[i].key)).intervals[0].
// Questions are answered grouped by firewall and protocol in key order, and visited in that order: each
// group's rule index is walked once along the keys, and keys that meet the same rules (those of one
// elementary interval, the keys between two boundaries of the rules, and of other intervals with the same
// rules) share one evaluation. Firewalls of the same groups under the same models (a node pool's nodes) count
// as one. `answer` is valid only during the call. Cheaper than one reach() per question
// when a fleet asks many questions, and cheaper still than keeping every answer (below) when the caller
// needs only a digest of most of them.
void reachEach(std::span<const KeyQuestion> questions,
               const std::function<void(std::size_t question, const PortIntervalAnswer& answer)>& visit);
// The answers in the questions' order.
std::vector<PortIntervalAnswer> reachEach(std::span<const KeyQuestion> questions);

// Who gets through, without who decided: the part of an answer that says whether a port is open.
struct ReachVerdict {
  PortRange ports;
  AddressSet admitted;      // as PortIntervalAnswer::admitted
  AddressSet undetermined;  // as PortIntervalAnswer::undetermined
};

// reachEach for verdicts only: calls visit(i, verdict) once for every question i, where verdict.admitted and
// verdict.undetermined equal those of reachEach's answer for it. Skips the pieces and their deciding rules,
// most of an answer's cost: an audit asks this for every port and reach() only for the ports it reports.
void verdictEach(std::span<const KeyQuestion> questions,
                 const std::function<void(std::size_t question, const ReachVerdict& verdict)>& visit);

enum class Exposure { Open, PartiallyOpen, Blocked };
const char* toString(Exposure exposure);

// An answer held against the addresses that must get through. What only a finding displays (the missing part
// as CIDRs, the rules that decided each part) is derived on demand: an audit asks many questions and reports
// few.
struct RequirementCheck {
  PortRange ports;
  Exposure exposure = Exposure::Blocked;  // Open when `required` is empty
  AddressSet missing;                     // required but not admitted
  AddressSet admitted;                    // required and admitted
  // Whether unresolved references could change the result for a required address.
  bool depends_on_unresolved = false;

  // `missing` as the fewest CIDRs.
  std::vector<Cidr> missingCidrs() const { return missing.toCidrs(); }
  // The pieces of `answer`, which must be the answer checked, cut to `missing`: who denied each missing
  // address.
  std::vector<AddressPiece> missingDecidedBy(const PortIntervalAnswer& answer) const;
  // The pieces of `answer`, which must be the answer checked, cut to `admitted`: who admitted each required
  // address.
  std::vector<AddressPiece> admittedDecidedBy(const PortIntervalAnswer& answer) const;
};

RequirementCheck checkRequired(const PortIntervalAnswer& answer, const AddressSet& required);
// checkRequired(answer, required).exposure, from the admitted addresses alone and without building sets.
Exposure exposureOf(const AddressSet& admitted, const AddressSet& required);
// One check per interval of the answer.
std::vector<RequirementCheck> checkRequired(const ReachAnswer& answer, const AddressSet& required);
// Open when every check is open, Blocked when every check is blocked, PartiallyOpen otherwise.
Exposure combinedExposure(const std::vector<RequirementCheck>& checks);

}  // namespace sgaudit::core
