#pragma once

// What an audit reports: one finding per situation, with a stable id from the finding catalogue,
// a fingerprint that survives re-runs and input order, the evidence that shows it, and the fixes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/core/kubernetes.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::core {

namespace check {
inline constexpr std::string_view kPortBlocked = "sg.port-blocked";
inline constexpr std::string_view kSensitivePortExposed = "sg.sensitive-port-exposed";
inline constexpr std::string_view kNodepoolInconsistent = "sg.nodepool-inconsistent";
inline constexpr std::string_view kHostPortConflict = "hostport.conflict";
inline constexpr std::string_view kHostPortCapacity = "hostport.capacity";
inline constexpr std::string_view kHostPortUndeclared = "hostport.undeclared";
inline constexpr std::string_view kHostPortReserved = "hostport.reserved";
inline constexpr std::string_view kDnsPolicy = "hostnetwork.dns-policy";
}  // namespace check

// The finding catalogue (docs/architecture.md): every check the audit reports, as the reports, the API and
// the policy name and describe it. One list: a check added above is added here.
struct CheckInfo {
  std::string_view id;
  std::string_view name;  // PascalCase, for SARIF's reportingDescriptor.name
  std::string_view description;
};

inline constexpr CheckInfo kChecks[] = {
    {check::kPortBlocked, "PortBlocked",
     "A host port in use by a pod is not reachable from a source the policy requires."},
    {check::kSensitivePortExposed, "SensitivePortExposed",
     "A sensitive port on a node (SSH, RDP, kubelet, etcd, databases) is reachable from the internet."},
    {check::kNodepoolInconsistent, "NodepoolInconsistent",
     "One workload's host port is reachable on some of its nodes and not on others."},
    {check::kHostPortConflict, "HostPortConflict",
     "Two pods on one node want the same protocol and port on overlapping host addresses."},
    {check::kHostPortCapacity, "HostPortCapacity",
     "A workload wants more replicas than there are eligible nodes where its host ports are free."},
    {check::kHostPortUndeclared, "HostPortUndeclared",
     "A hostNetwork container listens on a port it does not declare, so the scheduler cannot see it."},
    {check::kHostPortReserved, "HostPortReserved",
     "A pod's host port collides with a port the node itself needs (kubelet, kube-proxy, NodePort range, "
     "sshd)."},
    {check::kDnsPolicy, "HostNetworkDnsPolicy",
     "A hostNetwork pod uses dnsPolicy ClusterFirst instead of ClusterFirstWithHostNet."},
};

constexpr const CheckInfo* checkInfo(std::string_view id) {
  for (const auto& info : kChecks) {
    if (info.id == id) return &info;
  }
  return nullptr;
}
static_assert(checkInfo(check::kPortBlocked) && checkInfo(check::kSensitivePortExposed) &&
                  checkInfo(check::kNodepoolInconsistent) && checkInfo(check::kHostPortConflict) &&
                  checkInfo(check::kHostPortCapacity) && checkInfo(check::kHostPortUndeclared) &&
                  checkInfo(check::kHostPortReserved) && checkInfo(check::kDnsPolicy),
              "every check is in the catalogue");

enum class Severity { Info, Low, Medium, High, Critical };

std::string_view toString(Severity severity);
std::optional<Severity> parseSeverity(std::string_view text);

// Something a finding is about: a workload, pod, node, container, security group or rule.
struct Subject {
  std::string kind;  // "Deployment", "Pod", "Node", "Container", "SecurityGroup", "Rule", ...
  std::string namespace_name;
  std::string name;

  std::string key() const;  // "Deployment/default/nginx"
  friend bool operator==(const Subject&, const Subject&) = default;
};

// A security-group rule an evidence item is about, as data: the evidence text names it in words.
struct RuleRef {
  std::string provider;  // "huaweicloud", "aws", "openstack", "azure", "gcp"
  std::string group_id;
  std::string group_name;
  std::string rule_id;  // empty when the provider gave the rule none
  std::string key;      // the rule's identity within the inputs (see RuleOrigin::key)
  std::string description;
  std::string action;                          // "allow" or "deny"
  std::optional<int> priority = std::nullopt;  // set when non-zero: where the provider's model orders rules

  friend bool operator==(const RuleRef&, const RuleRef&) = default;
};

// The reference to `origin`, with the action and priority of `rule` when the rule is known (nullptr: not).
RuleRef ruleRefOf(const RuleOrigin& origin, const SecurityGroupRule* rule);

// A fact that shows the finding: a pod's state, a log line, a socket, a manifest line, a rule. `text` is what
// a person reads; what it names is also given as data (the rule, the addresses, the nodes), and whatever
// reads a finding (the report, the API's clients) reads the data, never the text.
struct Evidence {
  std::string kind;  // "pod-status", "log", "socket", "manifest", "rule", "scheduling", "node", "note"
  std::string text;
  SourceLocation source;
  std::optional<RuleRef> rule = std::nullopt;  // the one rule the item is about
  std::vector<std::string> addresses = {};     // CIDRs the item shows admitted (or exposed)
  std::vector<std::string> missing = {};       // CIDRs required and not admitted
  std::vector<std::string> nodes = {};         // the nodes the item holds on, sorted
};

// Evidence of `kind` with `text` about `nodes` (sorted and made unique here).
Evidence nodeEvidence(std::string kind, std::string text, std::vector<std::string> nodes);

// One way to fix it, in one tool's own language.
struct Fix {
  std::string tool;    // "kubernetes-patch", "kubectl", "huawei-api", "hcloud", "terraform", "aws-cli", ...
  std::string title;   // what the fix does, in a sentence
  std::string format;  // "yaml", "json", "shell", "hcl"
  std::string content;
  // Whether the change this fix writes was applied to a copy of the inputs and audited again (see
  // verifyFixes): true when the finding went away, nothing new appeared and no required port closed. Unset
  // for advice that changes nothing sgaudit models.
  std::optional<bool> verified = std::nullopt;
  std::string verification = {};  // why it is not verified, or what else the change does
  int change = -1;                // the index of the workload change it was rendered from; -1: none
};

struct PortToDeclare {
  int port = 0;
  PortProtocol protocol = PortProtocol::Tcp;
};

// The Kubernetes half of a fix as data: one change to a workload's spec (its pod template, or a bare pod's
// spec), before any YAML or kubectl syntax. The parts set are applied together; kubernetes_fixes renders
// them, and the audit applies them to a copy of the cluster and checks its host ports again.
struct WorkloadChange {
  Subject workload = {};                          // kind/namespace/name of the top-level workload or bare pod
  std::string container = {};                     // whose ports to declare
  std::vector<PortToDeclare> declare_ports = {};  // declared as containerPort (hostPort defaults to it)
  std::optional<int> replicas = std::nullopt;     // scale to
  bool anti_affinity = false;                     // a required pod anti-affinity on kubernetes.io/hostname
  bool dns_cluster_first = false;                 // dnsPolicy ClusterFirstWithHostNet
  bool roll_in_place = false;                     // RollingUpdate with maxSurge 0, maxUnavailable 1
  // Proven by the host-port checks run again on the changed copy (see verifyWorkloadChanges).
  std::optional<bool> verified = std::nullopt;
  std::string verification = {};  // why not
};

struct Finding {
  std::string check_id;
  Severity severity = Severity::Medium;
  std::string title;   // one line
  std::string detail;  // the explanation a person reads
  std::vector<Subject> subjects;
  std::string namespace_name;  // for filtering; empty when not namespaced
  std::string node;            // the one node it is about; empty when it is about none or several
  // Every node the cause reaches, sorted: one finding per cause, however many nodes share it. Its JSON lists
  // them up to a byte budget and always gives their count.
  std::vector<std::string> nodes;
  std::size_t nodes_left_out = 0;  // read back from JSON whose node list was cut: how many it left out
  std::optional<PortProtocol> protocol;
  std::optional<int> port;
  std::vector<Evidence> evidence;
  std::vector<Fix> fixes;
  // Security-group changes, before a provider's renderer (cloud/) writes them as fixes.
  std::vector<AllowIngressPlan> allow_plans;
  std::vector<NarrowRulePlan> narrow_plans;
  // Workload changes, each an alternative fix; the fixes rendered from change i carry `change` = i.
  std::vector<WorkloadChange> workload_changes;
  std::string fingerprint;
  // What the planned change also does beyond this finding ("also closes 3389/TCP on 49 other nodes"), so
  // that nobody applies it blind.
  std::vector<std::string> fix_reach;
  // Whether the security-group plans above were proven by a re-audit with them applied: the finding gone, no
  // new finding, no required port closed. Unset when there is no plan. The provider renderers copy it onto
  // each fix they write from the plans.
  std::optional<bool> fix_verified;
  std::string fix_verification;  // why not, when it failed
  bool suppressed = false;       // by the policy: kept and shown, but not counted toward --fail-on
  std::string suppression_reason;
};

// A stable 128-bit hex digest of the check id and the parts that identify the situation (sorted by the
// caller where order is not meaningful). Never includes pod hash suffixes, times or input order.
std::string fingerprintOf(std::string_view check_id, const std::vector<std::string>& identity);

// Two sets of findings compared by fingerprint, the one way every diff (the report's changes, the API's
// ?against=, a schedule's new and resolved findings) compares them. Indices into the lists given; a
// fingerprint listed twice counts once, where it first appears.
struct FindingsDiff {
  std::vector<std::size_t> added;                              // in current only
  std::vector<std::pair<std::size_t, std::size_t>> unchanged;  // (current, previous)
  std::vector<std::size_t> resolved;                           // in previous only
};

FindingsDiff diffFingerprints(const std::vector<std::string_view>& current,
                              const std::vector<std::string_view>& previous);

// The same over any two lists, `fingerprint` reading each item's.
template <class Current, class Previous, class Fingerprint>
FindingsDiff diffFindings(const Current& current, const Previous& previous, Fingerprint fingerprint) {
  std::vector<std::string_view> now;
  std::vector<std::string_view> before;
  for (const auto& item : current)
    now.push_back(fingerprint(item));
  for (const auto& item : previous)
    before.push_back(fingerprint(item));
  return diffFingerprints(now, before);
}

// Sets `nodes` (sorted, unique) and `node` (when there is exactly one).
void setNodes(Finding& finding, std::vector<std::string> nodes);

// "node-1, node-2, node-3 and 47 more": at most `limit` names, the rest counted.
std::string nameList(const std::vector<std::string>& names, std::size_t limit = 5);

// The most bytes of node names one finding's JSON lists; past it the list is cut and "nodes_truncated" set
// ("node_count" is always the whole count).
inline constexpr std::size_t kNodeListBudget = 16 * 1024;
// The most evidence items a finding keeps; the rest are counted in a last item.
inline constexpr std::size_t kEvidenceBudget = 24;

// Orders findings by severity (highest first), check id, then fingerprint: the same input gives the
// same report whatever order the files came in.
void sortFindings(std::vector<Finding>& findings);

void to_json(nlohmann::json& out, const Finding& finding);
// The same finding's JSON as nlohmann::json(finding).dump(-1, ' ', false, replace) writes it, byte for byte,
// appended to `out` without building the tree: a fleet's report is tens of megabytes of findings.
void appendJson(std::string& out, const Finding& finding);
void to_json(nlohmann::json& out, const Subject& subject);
void to_json(nlohmann::json& out, const RuleRef& rule);
void to_json(nlohmann::json& out, const Evidence& evidence);
void to_json(nlohmann::json& out, const Fix& fix);

}  // namespace sgaudit::core
