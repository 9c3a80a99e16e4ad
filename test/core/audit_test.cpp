// The audit as a whole: one finding per cause at fleet scale, rules told apart without ids, fixes proven.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cluster_builder.hpp"
#include "sgaudit/core/audit.hpp"

namespace sgaudit::core {
namespace {

using ::testing::HasSubstr;

SecurityGroupRule allowFrom(const std::string& cidr, Protocol protocol = Protocol::any(),
                            PortSet ports = PortSet::all()) {
  SecurityGroupRule rule;
  rule.protocol = protocol;
  rule.ports = ports;
  rule.source = *Cidr::parse(cidr);
  rule.origin.provider = "aws";
  return rule;  // no rule id: as `aws ec2 describe-security-groups` prints rules
}

CloudSecurityGroup group(const std::string& id, const std::string& name,
                         std::vector<SecurityGroupRule> rules) {
  auto sg = std::make_shared<SecurityGroup>();
  sg->id = id;
  sg->name = name;
  sg->rules = std::move(rules);
  return {"aws", EvaluationModel::Union, sg, "vpc-1", "", {}};
}

Instance instance(const std::string& ip, std::vector<std::string> groups) {
  Instance i;
  i.provider = "aws";
  i.id = "i-" + ip;
  i.private_ips = {ip};
  i.security_group_ids = std::move(groups);
  return i;
}

std::string ipOf(int n) {
  return "10.0." + std::to_string(n / 200) + "." + std::to_string(n % 200 + 10);
}

// A DaemonSet pod with hostPort `port` on `node`.
Pod daemonPod(const std::string& name, int port, const std::string& node) {
  Pod pod =
      test::barePod(name + "-" + node, test::hostNetworkSpec({test::container("agent", {test::port(port)})}),
                    node, "kube-system");
  pod.owner = ObjectRef{"DaemonSet", "kube-system", name};
  return pod;
}

const Finding* only(const AuditResult& result, std::string_view check) {
  const Finding* found = nullptr;
  for (const auto& finding : result.findings) {
    if (finding.check_id != check) continue;
    EXPECT_EQ(found, nullptr) << "a second " << check << ": " << finding.title;
    found = &finding;
  }
  return found;
}

// Test that instances that are no Kubernetes node are audited for sensitive ports: with no cluster at all (an
// account given alone), the finding names the instance, its fix is verified, and a warning says plainly that
// no cluster was given; beside a cluster, a bastion is named as an instance next to the nodes, and no
// workload's port is asked of it.
TEST(AuditTest, InstancesThatAreNoNodeAreAuditedForSensitivePorts) {
  AuditInput input;
  input.cloud.security_groups = {
      group("sg-ssh", "bastion-ssh",
            {allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(22)))}),
      group("sg-web", "web", {allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(443)))})};
  Instance bastion = instance("10.0.9.9", {"sg-ssh"});
  bastion.name = "bastion";
  input.cloud.instances = {bastion, instance("10.0.9.10", {"sg-web"}), instance("10.0.9.11", {"sg-unknown"})};
  {
    const AuditResult result = runAudit(input);
    ASSERT_EQ(result.findings.size(), 1U);  // 443 is no sensitive port; sg-unknown is not among the inputs
    const Finding& exposed = result.findings[0];
    EXPECT_EQ(exposed.check_id, check::kSensitivePortExposed);
    EXPECT_EQ(exposed.severity, Severity::Critical);
    EXPECT_EQ(exposed.nodes, (std::vector<std::string>{"i-10.0.9.9"}));
    EXPECT_THAT(exposed.title,
                HasSubstr("22/TCP is open to the whole internet on instance i-10.0.9.9 (bastion)"));
    EXPECT_THAT(exposed.detail, HasSubstr("No socket data for these instances"));
    ASSERT_TRUE(exposed.fix_verified.has_value());
    EXPECT_TRUE(*exposed.fix_verified) << exposed.fix_verification;
    ASSERT_FALSE(result.warnings.empty());
    EXPECT_THAT(result.warnings.front(), HasSubstr("no cluster input was given"));
    EXPECT_THAT(result.warnings.front(), HasSubstr("the 2 instance(s) given were audited"));
    EXPECT_TRUE(result.nodes.empty()) << "instances are not listed as nodes";
  }
  // Security groups alone: nothing to audit them on, and the warning says what to add.
  {
    AuditInput groups_only;
    groups_only.cloud.security_groups = input.cloud.security_groups;
    const AuditResult result = runAudit(groups_only);
    EXPECT_TRUE(result.findings.empty());
    ASSERT_FALSE(result.warnings.empty());
    EXPECT_THAT(result.warnings.front(), HasSubstr("no cluster input and no instances were given"));
  }
  // Beside a cluster: the node and the bastion share a group that opens SSH; the workload template's port is
  // asked of the node only.
  input.cloud.instances = {bastion, instance("10.0.0.10", {"sg-ssh"})};
  input.cluster.nodes = {test::node("10.0.0.10")};
  Workload web =
      test::deployment("web", 1, test::hostNetworkSpec({test::container("web", {test::port(8080)})}));
  web.annotations[kRequiredSourcesAnnotation] = "internet";
  input.cluster.workloads = {web};
  const AuditResult result = runAudit(input);
  for (const auto& warning : result.warnings)
    EXPECT_THAT(warning, ::testing::Not(HasSubstr("no cluster input"))) << warning;
  const Finding* exposed = only(result, check::kSensitivePortExposed);
  ASSERT_NE(exposed, nullptr);
  EXPECT_EQ(exposed->nodes, (std::vector<std::string>{"10.0.0.10", "i-10.0.9.9"}));
  EXPECT_THAT(exposed->title, HasSubstr("on 1 node and 1 instance"));
  const Finding* blocked = only(result, check::kPortBlocked);
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(blocked->nodes, (std::vector<std::string>{"10.0.0.10"}));
  for (const auto& cell : result.matrix)
    EXPECT_EQ(cell.node, "10.0.0.10");
}

// Test that the example of the fixes issue is fixed: an AWS node in `web` ("tcp 6379 from 50.176.9.0/24",
// then "tcp 443 from 0.0.0.0/0") and `ops` ("all traffic from 0.0.0.0/0"), none with an id. SSH is open
// through ops' rule, and its fix narrows that rule, never web's 6379 or 443 rule (6379 from a public /24 is
// a finding of its own, about web's rule).
TEST(AuditTest, RulesWithoutIdsAreToldApartByContent) {
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  input.cloud.security_groups = {
      group("sg-web", "web",
            {allowFrom("50.176.9.0/24", Protocol::tcp(), PortSet::of(PortRange::single(6379))),
             allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(443)))}),
      group("sg-ops", "ops", {allowFrom("0.0.0.0/0")})};
  input.cloud.instances = {instance("10.0.0.10", {"sg-web", "sg-ops"})};
  const AuditResult result = runAudit(input);
  const Finding* exposed = nullptr;
  for (const auto& finding : result.findings) {
    if (finding.check_id == check::kSensitivePortExposed && finding.severity == Severity::Critical)
      exposed = &finding;
  }
  ASSERT_NE(exposed, nullptr);
  EXPECT_THAT(exposed->title, HasSubstr("allow all traffic from 0.0.0.0/0, no id) of ops"));
  EXPECT_THAT(exposed->title, HasSubstr("22/TCP"));
  ASSERT_EQ(exposed->narrow_plans.size(), 1U);
  const NarrowRulePlan& plan = exposed->narrow_plans.front();
  EXPECT_EQ(plan.group_id, "sg-ops");
  EXPECT_TRUE(plan.rule.protocol.isAny());
  EXPECT_EQ(describe(plan.rule.source), "0.0.0.0/0");
  for (const auto& finding : result.findings) {
    for (const auto& narrow : finding.narrow_plans) {
      EXPECT_FALSE(narrow.rule.ports == PortSet::of(PortRange::single(443))) << finding.title;
      if (narrow.rule.ports == PortSet::of(PortRange::single(6379))) {
        EXPECT_EQ(narrow.group_id, "sg-web");
        EXPECT_NE(&finding, exposed);
      }
    }
  }
  // Applied to ops, the plan removes exactly that rule.
  const SecurityGroup after = applyPlans(*input.cloud.security_groups[1].group, {}, exposed->narrow_plans);
  EXPECT_TRUE(after.rules.empty());
  const SecurityGroup web = applyPlans(*input.cloud.security_groups[0].group, {}, exposed->narrow_plans);
  EXPECT_EQ(web.rules.size(), 2U);
}

// One replica of a hostNetwork Deployment `name` listening on `port`, requiring `sources`, on `node`: the
// workload of most tests here.
void addHostNetworkApp(AuditInput& input, const std::string& name, int port, const std::string& sources,
                       const std::string& node) {
  Workload workload =
      test::deployment(name, 1, test::hostNetworkSpec({test::container(name, {test::port(port)})}));
  workload.annotations[kRequiredSourcesAnnotation] = sources;
  input.cluster.pods.push_back(test::podOf(workload, "x1", node));
  input.cluster.workloads.push_back(std::move(workload));
}

SecurityGroupRule ruleFrom(RuleSource source, RuleAction action, int priority, Protocol protocol,
                           PortSet ports) {
  SecurityGroupRule rule;
  rule.protocol = protocol;
  rule.ports = ports;
  rule.source = std::move(source);
  rule.action = action;
  rule.priority = priority;
  return rule;
}

// Test that an instance's firewall is its layers as its reader gives them, each under its own model, and that
// traffic must pass every layer: a NIC layer (union) admitting 80 and 22 from the internet behind a subnet
// layer (first match) that denies 80 and admits only 443 blocks the workload's 80 with the subnet's deny
// named and exposes no SSH; without the subnet layer, 80 passes and SSH is exposed.
TEST(AuditTest, EveryFirewallLayerMustAdmit) {
  const PortSet web = PortSet::of(PortRange::single(80));
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  CloudSecurityGroup subnet =
      group("nsg-subnet", "subnet",
            {ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Deny, 100, Protocol::tcp(), web),
             ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Allow, 200, Protocol::tcp(),
                      PortSet::of(PortRange::single(443)))});
  subnet.model = EvaluationModel::FirstMatchByPriority;
  for (auto& rule : std::const_pointer_cast<SecurityGroup>(subnet.group)->rules)
    rule.origin.rule_id = rule.action == RuleAction::Deny ? "deny-web" : "allow-https";
  input.cloud.security_groups = {
      subnet, group("nsg-nic", "nic",
                    {allowFrom("0.0.0.0/0", Protocol::tcp(), web),
                     allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(22)))})};
  Instance vm = instance("10.0.0.10", {"nsg-subnet", "nsg-nic"});
  vm.firewall_layers = {{"NSG of subnet nodes", EvaluationModel::FirstMatchByPriority, {"nsg-subnet"}},
                        {"NSG of nic-0", EvaluationModel::Union, {"nsg-nic"}}};
  input.cloud.instances = {vm};
  addHostNetworkApp(input, "web", 80, "internet", "10.0.0.10");

  const AuditResult layered = runAudit(input);
  const Finding* blocked = only(layered, check::kPortBlocked);
  ASSERT_NE(blocked, nullptr);
  EXPECT_THAT(blocked->title + " " + nlohmann::json(blocked->evidence).dump(), HasSubstr("deny-web"));
  EXPECT_EQ(only(layered, check::kSensitivePortExposed), nullptr) << "the subnet layer admits no SSH";

  input.cloud.instances[0].firewall_layers.erase(input.cloud.instances[0].firewall_layers.begin());
  const AuditResult nic_only = runAudit(input);
  EXPECT_EQ(only(nic_only, check::kPortBlocked), nullptr);
  EXPECT_NE(only(nic_only, check::kSensitivePortExposed), nullptr);
}

// Test that one provider rule read as several core rules (an Azure rule with a list of source prefixes, or
// `*` for IPv4 and IPv6; a GCP rule with several sourceRanges) keeps every part: the parts share the
// provider's rule id, and only the same part read twice is one. Were parts de-duplicated by id alone, the
// second prefix would vanish and its clients be reported blocked.
TEST(AuditTest, PartsOfOneProviderRuleSharingItsIdAreAllKept) {
  const PortSet web = PortSet::of(PortRange::single(80));
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  CloudSecurityGroup nsg =
      group("nsg-nic", "nic",
            {ruleFrom(*Cidr::parse("10.9.0.0/16"), RuleAction::Allow, 100, Protocol::tcp(), web),
             ruleFrom(*Cidr::parse("203.0.113.0/24"), RuleAction::Allow, 100, Protocol::tcp(), web),
             ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Deny, 4096, Protocol::any(), PortSet::all())});
  nsg.model = EvaluationModel::FirstMatchByPriority;
  auto& rules = std::const_pointer_cast<SecurityGroup>(nsg.group)->rules;
  rules[0].origin.rule_id = rules[1].origin.rule_id = "AllowPartners";
  rules[2].origin.rule_id = "DenyAll";
  // The same NSG listed twice (as `az network nsg list` and `show` would give it) is still one rule set.
  input.cloud.security_groups = {nsg, nsg};
  input.cloud.instances = {instance("10.0.0.10", {"nsg-nic"})};
  addHostNetworkApp(input, "web", 80, "203.0.113.0/24", "10.0.0.10");

  const AuditResult result = runAudit(input);
  EXPECT_EQ(only(result, check::kPortBlocked), nullptr)
      << "the second prefix of AllowPartners admits the clients";

  input.cluster.workloads.clear();
  input.cluster.pods.clear();
  addHostNetworkApp(input, "web", 80, "198.51.100.0/24", "10.0.0.10");
  const AuditResult refused = runAudit(input);
  const Finding* blocked = only(refused, check::kPortBlocked);
  ASSERT_NE(blocked, nullptr) << "neither prefix admits 198.51.100.0/24";
  EXPECT_THAT(nlohmann::json(blocked->evidence).dump(), HasSubstr("DenyAll"));
}

// Test that a provider's service tag is resolved where the inventory defines it (a "service-tag" address set
// named like the tag) and stays symbolic otherwise: SSH allowed from "Internet" is exposed once the tag is
// known to be the whole IPv4 space, and is no exposure while the tag is unknown.
TEST(AuditTest, ServiceTagsResolveWhereTheInventoryDefinesThem) {
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  input.cloud.security_groups = {group("nsg-nic", "nic",
                                       {ruleFrom(ProviderTag{"Internet"}, RuleAction::Allow, 1,
                                                 Protocol::tcp(), PortSet::of(PortRange::single(22)))})};
  input.cloud.instances = {instance("10.0.0.10", {"nsg-nic"})};
  EXPECT_EQ(only(runAudit(input), check::kSensitivePortExposed), nullptr)
      << "an undefined tag is no evidence of exposure";

  NamedAddressSet internet;
  internet.provider = "azure";
  internet.kind = "service-tag";
  internet.id = "Internet";
  internet.name = "Internet";
  internet.entries = {"0.0.0.0/0"};
  internet.addresses = AddressSet::of(*Cidr::parse("0.0.0.0/0"));
  input.cloud.address_sets = {internet};
  const AuditResult resolved = runAudit(input);
  const Finding* exposed = only(resolved, check::kSensitivePortExposed);
  ASSERT_NE(exposed, nullptr);
  EXPECT_THAT(exposed->title, HasSubstr("22/TCP"));
  EXPECT_THAT(exposed->title, HasSubstr("service tag Internet"));
}

// Test that a fix is proven by auditing again: removing ops' "all traffic from 0.0.0.0/0" closes SSH, and is
// verified while nothing needs that rule. Once a workload needs 8080 from the internet through the same rule,
// removing it would close 8080: the fix is replaced by one that also keeps 8080 open from the internet, and
// that one is verified. When the workload needs 22 itself, no change can close SSH to the internet and keep
// it open, and the fix says so instead of claiming success.
TEST(AuditTest, FixesAreVerifiedByAuditingAgain) {
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  input.cloud.security_groups = {group("sg-ops", "ops", {allowFrom("0.0.0.0/0")})};
  input.cloud.instances = {instance("10.0.0.10", {"sg-ops"})};
  {
    const AuditResult result = runAudit(input);
    const Finding* exposed = only(result, check::kSensitivePortExposed);
    ASSERT_NE(exposed, nullptr);
    ASSERT_TRUE(exposed->fix_verified.has_value());
    EXPECT_TRUE(*exposed->fix_verified) << exposed->fix_verification;
    EXPECT_TRUE(exposed->allow_plans.empty()) << "nothing needs the rule: removing it is the whole fix";
  }
  auto needs = [&](int port) {
    Workload web =
        test::deployment("web", 1, test::hostNetworkSpec({test::container("web", {test::port(port)})}));
    web.annotations[kRequiredSourcesAnnotation] = "internet";
    input.cluster.workloads = {web};
    input.cluster.pods = {test::podOf(web, "x1", "10.0.0.10")};
    return runAudit(input);
  };
  {
    const AuditResult result = needs(8080);
    EXPECT_EQ(only(result, check::kPortBlocked), nullptr) << "8080 is open from the internet today";
    const Finding* exposed = only(result, check::kSensitivePortExposed);
    ASSERT_NE(exposed, nullptr);
    ASSERT_TRUE(exposed->fix_verified.has_value());
    EXPECT_TRUE(*exposed->fix_verified) << exposed->fix_verification;
    ASSERT_EQ(exposed->narrow_plans.size(), 1U);
    ASSERT_EQ(exposed->allow_plans.size(), 1U);
    const AllowIngressPlan& keep = exposed->allow_plans.front();
    EXPECT_EQ(keep.group_id, "sg-ops");
    EXPECT_EQ(keep.protocol, Protocol::tcp());
    EXPECT_EQ(keep.ports.toString(), "8080");
    EXPECT_THAT(keep.sources, ::testing::Contains(*Cidr::parse("0.0.0.0/0")));
    EXPECT_THAT(exposed->fix_reach, ::testing::Contains(HasSubstr("keeps 8080/TCP open from 0.0.0.0/0")));
    // Applied, the plans leave a group that admits 8080 and nothing else from the internet.
    const SecurityGroup after =
        applyPlans(*input.cloud.security_groups[0].group, exposed->allow_plans, exposed->narrow_plans);
    for (const auto& rule : after.rules) {
      const Cidr* source = std::get_if<Cidr>(&rule.source);
      if (source != nullptr && source->prefixLength() == 0) {
        EXPECT_EQ(rule.protocol, Protocol::tcp());
        EXPECT_EQ(rule.ports.toString(), "8080");
      }
    }
  }
  {
    const AuditResult result = needs(22);
    const Finding* exposed = only(result, check::kSensitivePortExposed);
    ASSERT_NE(exposed, nullptr);
    ASSERT_TRUE(exposed->fix_verified.has_value());
    EXPECT_FALSE(*exposed->fix_verified);
    EXPECT_THAT(exposed->fix_verification, HasSubstr("it closes 22/TCP for Deployment/default/web"));
    EXPECT_TRUE(exposed->allow_plans.empty()) << "a keeping rule that fails is not offered";
  }
}

// Test the placement of an allow under PriorityDenyWins (GCP), where every rule of the layer is weighed by
// priority whatever its group: the workload's 80 is refused by a deny at 900 in the network-wide group while
// the node pool's group allows it at 1000. The allow goes to the node pool's group (not the network-wide one
// whose internal rule admits 80 to some), at 899, below the deny of another group, which stays (the allow is
// weighed before it), and the plan is verified.
TEST(AuditTest, PriorityDenyWinsAllowOutranksTheLayersLowestDeny) {
  const PortSet web = PortSet::of(PortRange::single(80));
  AuditInput input;
  input.cluster.nodes = {test::node("10.0.0.10")};
  CloudSecurityGroup network =
      group("default/all", "network default for all instances",
            {ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Deny, 900, Protocol::tcp(), web),
             ruleFrom(*Cidr::parse("10.0.0.0/8"), RuleAction::Allow, 65534, Protocol::any(), PortSet::all()),
             ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Deny, 65535, Protocol::any(), PortSet::all())});
  auto& network_rules = std::const_pointer_cast<SecurityGroup>(network.group)->rules;
  network_rules[0].origin.rule_id = "deny-web-legacy";
  network_rules[1].origin.rule_id = "allow-internal";
  network_rules[2].origin.rule_id = "implied-deny-ingress";
  network_rules[2].fixed = true;
  CloudSecurityGroup pool =
      group("default/tags/pool-a", "network default for tag pool-a",
            {ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Allow, 1000, Protocol::tcp(), web)});
  std::const_pointer_cast<SecurityGroup>(pool.group)->rules[0].origin.rule_id = "allow-web";
  for (CloudSecurityGroup* cloud_group : {&network, &pool}) {
    cloud_group->provider = "gcp";
    cloud_group->model = EvaluationModel::PriorityDenyWins;
    cloud_group->priority_range = std::make_pair(0, 65535);
    cloud_group->rules_name_groups = false;
  }
  input.cloud.security_groups = {network, pool};
  Instance vm = instance("10.0.0.10", {"default/tags/pool-a", "default/all"});
  vm.provider = "gcp";
  vm.firewall_layers = {
      {"firewall rules of network default", EvaluationModel::PriorityDenyWins, vm.security_group_ids}};
  input.cloud.instances = {vm};
  addHostNetworkApp(input, "web", 80, "internet", "10.0.0.10");

  const AuditResult result = runAudit(input);
  const Finding* blocked = only(result, check::kPortBlocked);
  ASSERT_NE(blocked, nullptr);
  EXPECT_THAT(nlohmann::json(blocked->evidence).dump(), HasSubstr("deny-web-legacy"));
  ASSERT_EQ(blocked->allow_plans.size(), 1U);
  EXPECT_EQ(blocked->allow_plans[0].group_id, "default/tags/pool-a");
  EXPECT_EQ(blocked->allow_plans[0].priority, 899);
  EXPECT_THAT(blocked->narrow_plans, ::testing::IsEmpty()) << "the allow outranks the deny, which stays";
  ASSERT_TRUE(blocked->fix_verified.has_value());
  EXPECT_TRUE(*blocked->fix_verified) << blocked->fix_verification;
}

// Test that a deny refusing what a workload needs is removed only when the allow the fix adds cannot be
// weighed before it. Under Huawei Cloud's first match (group by group in the instance's order, priority 1
// first, a deny winning a tie): a deny of 8080 from anywhere at priority 50 in the node's group stays (the
// allow at priority 1 goes first, and the deny keeps refusing the rest of the internet); the same deny at
// priority 1 goes. A deny of part of the VPC in a group listed first, while the port is managed in a later
// group (whose rule admits it to another part), goes too: no allow in the later group is weighed before it.
// A deny of the internet in the first group, with nothing admitted elsewhere, takes the allow into that
// group, before it, and stays.
TEST(AuditTest, DenyGoesOnlyWhenTheAllowCannotOutrankIt) {
  const PortSet app = PortSet::of(PortRange::single(8080));
  struct Case {
    int deny_priority;
    const char* deny_source;
    bool deny_in_earlier_group;
    const char* admin_source;  // what the node's group admits 8080 from already
    const char* allow_group;
    bool removed;
  };
  for (const Case c : {Case{50, "0.0.0.0/0", false, "192.0.2.0/24", "sg-node", false},
                       Case{1, "0.0.0.0/0", false, "192.0.2.0/24", "sg-node", true},
                       Case{50, "10.0.128.0/17", true, "10.0.0.0/24", "sg-node", true},
                       Case{50, "0.0.0.0/0", true, "192.0.2.0/24", "sg-base", false}}) {
    AuditInput input;
    input.cluster.nodes = {test::node("10.0.0.10")};
    SecurityGroupRule deny =
        ruleFrom(*Cidr::parse(c.deny_source), RuleAction::Deny, c.deny_priority, Protocol::tcp(), app);
    deny.origin.rule_id = "deny-app";
    SecurityGroupRule admin =
        ruleFrom(*Cidr::parse(c.admin_source), RuleAction::Allow, 10, Protocol::tcp(), app);
    admin.origin.rule_id = "allow-admin";
    std::vector<CloudSecurityGroup> groups = {group("sg-node", "node", {admin})};
    std::vector<std::string> order = {"sg-node"};
    if (c.deny_in_earlier_group) {
      groups.push_back(group("sg-base", "base", {deny}));
      order.insert(order.begin(), "sg-base");
    } else {
      std::const_pointer_cast<SecurityGroup>(groups[0].group)->rules.push_back(deny);
    }
    for (auto& cloud_group : groups) {
      cloud_group.provider = "huaweicloud";
      cloud_group.model = EvaluationModel::FirstMatchByPriority;
    }
    input.cloud.security_groups = groups;
    Instance vm = instance("10.0.0.10", order);
    vm.provider = "huaweicloud";
    input.cloud.instances = {vm};
    input.cloud.networks.push_back({"huaweicloud", "vpc", "vpc-1", "vpc", "", {"10.0.0.0/16"}, {}, {}});
    addHostNetworkApp(input, "app", 8080, "vpc", "10.0.0.10");

    const AuditResult result = runAudit(input);
    const Finding* blocked = only(result, check::kPortBlocked);
    ASSERT_NE(blocked, nullptr) << c.deny_priority;
    ASSERT_EQ(blocked->allow_plans.size(), 1U);
    EXPECT_EQ(blocked->allow_plans[0].group_id, c.allow_group) << c.deny_source;
    EXPECT_EQ(blocked->allow_plans[0].priority, 1);
    if (c.removed) {
      ASSERT_EQ(blocked->narrow_plans.size(), 1U) << c.deny_priority << " " << c.deny_in_earlier_group;
      EXPECT_EQ(blocked->narrow_plans[0].rule.origin.rule_id, "deny-app");
    } else {
      EXPECT_THAT(blocked->narrow_plans, ::testing::IsEmpty());
    }
    ASSERT_TRUE(blocked->fix_verified.has_value());
    EXPECT_TRUE(*blocked->fix_verified) << blocked->fix_verification;
  }
}

// Test that a rule keeping what a workload needs, added when a rule is narrowed, takes a priority the
// provider accepts: just before the narrowed rule, inside the group's range (Azure 100-4096, never the
// default 1), and under PriorityDenyWins below the narrowed rule's number.
TEST(AuditTest, KeepingRulesGetAPriorityInTheProvidersRange) {
  for (const auto model : {EvaluationModel::FirstMatchByPriority, EvaluationModel::PriorityDenyWins}) {
    const bool gcp = model == EvaluationModel::PriorityDenyWins;
    AuditInput input;
    input.cluster.nodes = {test::node("10.0.0.10")};
    CloudSecurityGroup ops = group("sg-ops", "ops",
                                   {ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Allow, gcp ? 1000 : 300,
                                             Protocol::any(), PortSet::all()),
                                    ruleFrom(*Cidr::parse("0.0.0.0/0"), RuleAction::Deny, gcp ? 65535 : 4000,
                                             Protocol::any(), PortSet::all())});
    auto& rules = std::const_pointer_cast<SecurityGroup>(ops.group)->rules;
    rules[0].origin.rule_id = "allow-all";
    rules[1].origin.rule_id = "deny-all";
    rules[1].fixed = true;
    ops.model = model;
    ops.priority_range = gcp ? std::make_pair(0, 65535) : std::make_pair(100, 4096);
    ops.rules_name_groups = false;
    input.cloud.security_groups = {ops};
    input.cloud.instances = {instance("10.0.0.10", {"sg-ops"})};
    addHostNetworkApp(input, "web", 8080, "internet", "10.0.0.10");
    const AuditResult result = runAudit(input);
    const Finding* exposed = only(result, check::kSensitivePortExposed);
    ASSERT_NE(exposed, nullptr) << toString(model);
    ASSERT_TRUE(exposed->fix_verified.has_value());
    EXPECT_TRUE(*exposed->fix_verified) << exposed->fix_verification;
    ASSERT_EQ(exposed->allow_plans.size(), 1U) << toString(model);
    EXPECT_EQ(exposed->allow_plans[0].ports.toString(), "8080");
    EXPECT_EQ(exposed->allow_plans[0].priority, gcp ? 999 : 299) << toString(model);
  }
}

// Test that a Kubernetes fix is also proven against the firewall: spreading two replicas that collide on a
// node open to the internet (placed there before the port was declared) moves one to a node whose group
// admits only the VPC, which the workload's clients cannot reach; the fix says so instead of trading a crash
// loop for a blocked port. With both nodes open, the same fix is verified.
TEST(AuditTest, KubernetesFixesAreCheckedWhereTheyMoveReplicas) {
  auto run = [](const std::string& second_source) {
    AuditInput input;
    input.cluster.nodes = {test::node("10.0.0.10"), test::node("10.0.0.11")};
    input.cloud.security_groups = {
        group("sg-a", "a", {allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(80)))}),
        group("sg-b", "b", {allowFrom(second_source, Protocol::tcp(), PortSet::of(PortRange::single(80)))})};
    input.cloud.instances = {instance("10.0.0.10", {"sg-a"}), instance("10.0.0.11", {"sg-b"})};
    Workload web =
        test::deployment("web", 2, test::hostNetworkSpec({test::container("web", {test::port(80)})}));
    web.annotations[kRequiredSourcesAnnotation] = "internet";
    input.cluster.workloads = {web};
    // Both replicas on one node, as when they were placed before the port was declared.
    input.cluster.pods = {test::podOf(web, "x1", "10.0.0.10"), test::podOf(web, "x2", "10.0.0.10")};
    return runAudit(input);
  };
  {
    const AuditResult result = run("10.0.0.0/16");
    const Finding* conflict = only(result, check::kHostPortConflict);
    ASSERT_NE(conflict, nullptr);
    ASSERT_FALSE(conflict->workload_changes.empty());
    for (const auto& change : conflict->workload_changes) {
      ASSERT_TRUE(change.verified.has_value());
      EXPECT_FALSE(*change.verified);
      EXPECT_THAT(
          change.verification,
          HasSubstr("moves a replica to node 10.0.0.11, where 80/TCP is partly blocked for internet"));
    }
  }
  const AuditResult result = run("0.0.0.0/0");
  const Finding* conflict = only(result, check::kHostPortConflict);
  ASSERT_NE(conflict, nullptr);
  ASSERT_FALSE(conflict->workload_changes.empty());
  for (const auto& change : conflict->workload_changes) {
    ASSERT_TRUE(change.verified.has_value());
    EXPECT_TRUE(*change.verified) << change.verification;
  }
}

// Test that a rule kept open for what a workload needs is written as an opening is: a DaemonSet that needs
// 8080 from "nodes" through ops' "all traffic from 0.0.0.0/0" keeps it open from the members of a group
// that holds every node, one rule, not one per node address (a fleet's fix was 4,480 lines of /32s and /31s).
TEST(AuditTest, KeptOpeningNamesTheNodeGroupNotEachAddress) {
  AuditInput input;
  Workload agent =
      test::deployment("agent", 40, test::hostNetworkSpec({test::container("agent", {test::port(8080)})}));
  agent.annotations[kRequiredSourcesAnnotation] = "nodes";
  input.cloud.security_groups = {group("sg-ops", "ops", {allowFrom("0.0.0.0/0")}),
                                 group("sg-nodes", "nodes", {})};
  for (int n = 0; n < 40; ++n) {
    // Addresses no CIDR of a few rules holds: 10.0.<n>.<7n+1>.
    const std::string ip = "10.0." + std::to_string(n) + "." + std::to_string(7 * n % 250 + 1);
    input.cluster.nodes.push_back(test::node(ip));
    input.cloud.instances.push_back(instance(ip, {"sg-ops", "sg-nodes"}));
    input.cluster.pods.push_back(test::podOf(agent, "a" + std::to_string(n), ip));
  }
  input.cluster.workloads = {agent};
  const AuditResult result = runAudit(input);
  const Finding* exposed = only(result, check::kSensitivePortExposed);
  ASSERT_NE(exposed, nullptr);
  ASSERT_TRUE(exposed->fix_verified.has_value());
  EXPECT_TRUE(*exposed->fix_verified) << exposed->fix_verification;
  ASSERT_EQ(exposed->allow_plans.size(), 1U);
  const AllowIngressPlan& keep = exposed->allow_plans.front();
  EXPECT_EQ(keep.ports.toString(), "8080");
  EXPECT_TRUE(keep.sources.empty()) << keep.sources.size() << " CIDRs";
  ASSERT_EQ(keep.source_groups.size(), 1U);
  // A group that holds every node and nothing else (both do here; the node's first group is chosen).
  EXPECT_EQ(keep.source_groups.front().id, "sg-ops");
  EXPECT_THAT(exposed->fix_reach, ::testing::Contains(HasSubstr("keeps 8080/TCP open from members of ops")));
}

struct Fleet {
  AuditInput input;
  void addNode(int n, int pools) {
    const std::string ip = ipOf(n);
    input.cluster.nodes.push_back(test::node(ip));
    input.cloud.instances.push_back(instance(ip, {"sg-pool-" + std::to_string(n % pools), "sg-nodes"}));
    input.cluster.pods.push_back(daemonPod("proxy-agent", 10256, ip));
  }
};

// A fleet of `nodes` in `pools` node pools: each pool's group; pool 0's opens all traffic to the internet; a
// group every node carries; a DaemonSet whose hostPort 10256 collides with kube-proxy on every node.
Fleet fleetOf(int nodes, int pools) {
  Fleet fleet;
  for (int p = 0; p < pools; ++p) {
    std::vector<SecurityGroupRule> rules = {allowFrom("10.0.0.0/8")};
    if (p == 0) rules.push_back(allowFrom("0.0.0.0/0"));
    fleet.input.cloud.security_groups.push_back(
        group("sg-pool-" + std::to_string(p), "pool-" + std::to_string(p), std::move(rules)));
  }
  fleet.input.cloud.security_groups.push_back(group("sg-nodes", "nodes", {}));
  for (int n = 0; n < nodes; ++n)
    fleet.addNode(n, pools);
  return fleet;
}

// Test that proving fixes side by side gives the same result as one by one: 40 pools whose groups each open
// all traffic to the internet, each with its own plan and proof, audited with one thread and with four.
TEST(AuditTest, ProofsSideBySideMatchProofsOneByOne) {
  Fleet fleet = fleetOf(120, 40);
  for (auto& group : fleet.input.cloud.security_groups) {
    auto open = std::make_shared<SecurityGroup>(*group.group);
    open->rules.push_back(allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange{20, 30})));
    group.group = open;
  }
  fleet.input.threads = 1;
  const nlohmann::json one = runAudit(fleet.input);
  fleet.input.threads = 4;
  const nlohmann::json four = runAudit(fleet.input);
  std::size_t verified = 0;
  for (const auto& finding : one.at("findings"))
    verified += finding.contains("fix_reach") ? 1 : 0;
  EXPECT_GE(verified, 40U);
  EXPECT_EQ(one, four);
}

// Test that a few hundred nodes in node pools give one finding per cause: the DaemonSet's reserved port once
// with every node, pool 0's internet rule once with its nodes, each finding's JSON within 64 KB, and the
// fingerprints unchanged when a node joins pool 0 (its node list grows instead).
TEST(AuditTest, FleetInNodePoolsGivesOneFindingPerCause) {
  constexpr int kNodes = 360;
  constexpr int kPools = 6;
  Fleet fleet = fleetOf(kNodes, kPools);
  const AuditResult result = runAudit(fleet.input);
  const Finding* reserved = only(result, check::kHostPortReserved);
  ASSERT_NE(reserved, nullptr);
  EXPECT_EQ(reserved->nodes.size(), static_cast<std::size_t>(kNodes));
  EXPECT_TRUE(reserved->node.empty());
  EXPECT_THAT(reserved->title, HasSubstr("on 360 nodes"));
  const Finding* exposed = only(result, check::kSensitivePortExposed);
  ASSERT_NE(exposed, nullptr);
  ASSERT_EQ(exposed->nodes.size(), static_cast<std::size_t>(kNodes / kPools));
  for (const auto& node : exposed->nodes) {
    const auto it = std::find_if(fleet.input.cloud.instances.begin(), fleet.input.cloud.instances.end(),
                                 [&](const Instance& i) { return i.private_ips.front() == node; });
    ASSERT_NE(it, fleet.input.cloud.instances.end());
    EXPECT_EQ(it->security_group_ids.front(), "sg-pool-0") << node;
  }
  EXPECT_EQ(exposed->severity, Severity::Critical);
  EXPECT_EQ(exposed->narrow_plans.size(), 1U);
  EXPECT_EQ(result.findings.size(), 2U);
  for (const auto& finding : result.findings) {
    nlohmann::json json = finding;
    EXPECT_LE(json.dump().size(), 64U * 1024) << finding.title;
  }

  fleet.addNode(kNodes * kPools, kPools);  // a node of pool 0
  const AuditResult grown = runAudit(fleet.input);
  const Finding* reserved_after = only(grown, check::kHostPortReserved);
  const Finding* exposed_after = only(grown, check::kSensitivePortExposed);
  ASSERT_NE(reserved_after, nullptr);
  ASSERT_NE(exposed_after, nullptr);
  EXPECT_EQ(reserved_after->fingerprint, reserved->fingerprint);
  EXPECT_EQ(exposed_after->fingerprint, exposed->fingerprint);
  EXPECT_EQ(exposed_after->nodes.size(), exposed->nodes.size() + 1);
}

// Test that a node list past the JSON budget is cut in JSON, with the whole count kept, and the finding
// stays within 64 KB.
TEST(AuditTest, LongNodeListsAreCountedAndCut) {
  Finding finding;
  finding.check_id = "hostport.reserved";
  std::vector<std::string> nodes;
  for (int n = 0; n < 5000; ++n)
    nodes.push_back("ip-10-0-" + std::to_string(n) + ".eu-west-1.compute.internal");
  setNodes(finding, nodes);
  nlohmann::json json = finding;
  EXPECT_EQ(json.at("node_count"), 5000);
  EXPECT_TRUE(json.at("nodes_truncated").get<bool>());
  EXPECT_LT(json.at("nodes").size(), 5000U);
  EXPECT_GT(json.at("nodes").size(), 100U);
  EXPECT_LE(json.dump().size(), 64U * 1024);
  EXPECT_FALSE(json.contains("node"));
}

// Test that the evidence carries what it names as data: a port admitted from 80 scattered public /24s and
// required from the internet is blocked in part, its "not admitted" text names the first 16 CIDRs while the
// data lists every one (with the admitted ones they give exactly what the cell requires); the SSH rule that
// exposes the node is referenced by group, id and action, with what it exposes and on which nodes.
TEST(AuditTest, EvidenceCarriesAddressesRulesAndNodesAsData) {
  std::vector<SecurityGroupRule> rules;
  for (int n = 0; n < 80; ++n)
    rules.push_back(allowFrom("50." + std::to_string(2 * n) + ".0.0/24", Protocol::tcp(),
                              PortSet::of(PortRange::single(8080))));
  SecurityGroupRule ssh = allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(22)));
  ssh.origin.rule_id = "sgr-ssh";
  ssh.origin.description = "remote login";
  rules.push_back(ssh);
  AuditInput input;
  input.cloud.security_groups = {group("sg-web", "web", rules)};
  input.cloud.instances = {instance("10.0.0.10", {"sg-web"}), instance("10.0.0.11", {"sg-web"})};
  input.cluster.nodes = {test::node("10.0.0.10"), test::node("10.0.0.11")};
  Workload web =
      test::deployment("web", 1, test::hostNetworkSpec({test::container("web", {test::port(8080)})}));
  web.annotations[kRequiredSourcesAnnotation] = "internet";
  input.cluster.workloads = {web};
  const AuditResult result = runAudit(input);

  const Finding* blocked = only(result, check::kPortBlocked);
  ASSERT_NE(blocked, nullptr);
  const Evidence* admitted = nullptr;
  const Evidence* missing = nullptr;
  for (const auto& evidence : blocked->evidence) {
    if (evidence.text.starts_with("admitted: ")) admitted = &evidence;
    if (evidence.text.starts_with("not admitted: ")) missing = &evidence;
  }
  ASSERT_NE(admitted, nullptr);
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(admitted->addresses.size(), 80U);
  EXPECT_EQ(admitted->addresses.front(), "50.0.0.0/24");
  EXPECT_GT(missing->missing.size(), 64U);
  EXPECT_THAT(missing->text, HasSubstr(" more ("));  // the text is cut, the data is not
  ASSERT_FALSE(result.matrix.empty());
  const PortVerdict& cell = result.matrix.front();
  EXPECT_EQ(missing->missing, cell.missing);
  auto required = AddressSet::parse(cell.required);
  auto not_admitted = AddressSet::parse(missing->missing);
  auto admitted_set = AddressSet::parse(admitted->addresses);
  ASSERT_TRUE(required && not_admitted && admitted_set);
  EXPECT_TRUE(admitted_set->unite(*not_admitted).contains(*required));
  EXPECT_TRUE(required->contains(admitted_set->unite(*not_admitted)));
  EXPECT_FALSE(admitted_set->intersects(*not_admitted));
  // The two nodes' cells require and miss the same: one list each, shared (a fleet's thousands of cells of
  // one workload held a copy each).
  ASSERT_EQ(result.matrix.size(), 2U);
  EXPECT_EQ(result.matrix[0].required.identity(), result.matrix[1].required.identity());
  EXPECT_EQ(result.matrix[0].missing.identity(), result.matrix[1].missing.identity());
  EXPECT_NE(result.matrix[0].missing.identity(), nullptr);

  const Finding* exposed = only(result, check::kSensitivePortExposed);
  ASSERT_NE(exposed, nullptr);
  const Evidence* by_rule = nullptr;
  const Evidence* on_nodes = nullptr;
  for (const auto& evidence : exposed->evidence) {
    if (evidence.rule) by_rule = &evidence;
    if (evidence.text.starts_with("on nodes")) on_nodes = &evidence;
  }
  ASSERT_NE(by_rule, nullptr);
  EXPECT_EQ(by_rule->rule->provider, "aws");
  EXPECT_EQ(by_rule->rule->group_id, "sg-web");
  EXPECT_EQ(by_rule->rule->group_name, "web");
  EXPECT_EQ(by_rule->rule->rule_id, "sgr-ssh");
  EXPECT_EQ(by_rule->rule->description, "remote login");
  EXPECT_EQ(by_rule->rule->action, "allow");
  EXPECT_FALSE(by_rule->rule->key.empty());
  EXPECT_FALSE(by_rule->rule->priority.has_value());  // the union model orders no rules
  auto exposed_set = AddressSet::parse(by_rule->addresses);
  ASSERT_TRUE(exposed_set);
  EXPECT_TRUE(exposed_set->contains(*IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(exposed_set->contains(*IpAddress::parse("10.0.0.1")));
  EXPECT_EQ(by_rule->nodes, (std::vector<std::string>{"10.0.0.10", "10.0.0.11"}));
  ASSERT_NE(on_nodes, nullptr);
  EXPECT_EQ(on_nodes->nodes, exposed->nodes);

  // The JSON carries the typed fields beside the text.
  const nlohmann::json json = *exposed;
  bool found = false;
  for (const auto& item : json.at("evidence")) {
    if (!item.contains("rule")) continue;
    found = true;
    EXPECT_EQ(item.at("rule").at("rule_id"), "sgr-ssh");
    EXPECT_EQ(item.at("rule").at("group_id"), "sg-web");
    EXPECT_EQ(item.at("rule").at("action"), "allow");
    EXPECT_FALSE(item.at("rule").contains("priority"));
    EXPECT_EQ(item.at("nodes"), nlohmann::json({"10.0.0.10", "10.0.0.11"}));
    EXPECT_EQ(item.at("node_count"), 2);
    EXPECT_FALSE(item.at("addresses").empty());
    EXPECT_TRUE(item.contains("text"));
  }
  EXPECT_TRUE(found);
  const nlohmann::json blocked_json = *blocked;
  std::size_t missing_in_json = 0;
  for (const auto& item : blocked_json.at("evidence"))
    if (item.contains("missing")) missing_in_json = item.at("missing").size();
  EXPECT_EQ(missing_in_json, missing->missing.size());
}

// Test that fixes are proven on a node that names its security group (as `openstack server show` and
// Huawei's ECS list print a group without its id) as on one that gives its id: the proof must ask the changed
// group under that name too, not the group as it was.
TEST(AuditTest, FixesAreProvenOnNodesThatNameTheirGroups) {
  AuditInput input;
  // Under first match, where the node's whole firewall is asked again (see checkSensitivePorts).
  input.cloud.security_groups = {group(
      "sg-1", "ssh-open", {allowFrom("0.0.0.0/0", Protocol::tcp(), PortSet::of(PortRange::single(22)))})};
  input.cloud.security_groups[0].model = EvaluationModel::FirstMatchByPriority;
  input.cloud.instances = {instance("10.0.0.10", {"name:ssh-open"}), instance("10.0.0.11", {"sg-1"})};
  input.cluster.nodes = {test::node("10.0.0.10"), test::node("10.0.0.11")};
  addHostNetworkApp(input, "web", 8080, "internet", "10.0.0.10");
  const AuditResult result = runAudit(input);
  for (const std::string_view check : {check::kSensitivePortExposed, check::kPortBlocked}) {
    const Finding* finding = only(result, check);
    ASSERT_NE(finding, nullptr) << check;
    ASSERT_TRUE(finding->fix_verified.has_value()) << check;
    EXPECT_TRUE(*finding->fix_verified) << check << ": " << finding->fix_verification;
  }
}

}  // namespace
}  // namespace sgaudit::core
