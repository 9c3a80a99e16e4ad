// The fixes' property: on random security groups, rules, nodes and workloads under each provider's model,
// every plan the audit writes is proven by its re-audit (Finding::fix_verified and WorkloadChange::verified),
// and every plan it proved holds when the inputs with it applied are audited from scratch.
// The seed varies per run unless SGAUDIT_FIX_SEED is set, and a failure prints it with the case.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "cluster_builder.hpp"
#include "sgaudit/core/audit.hpp"

namespace sgaudit::core {
namespace {

std::uint64_t envNumber(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 0);
}

// SGAUDIT_FIX_SEED, or one that varies per run.
std::uint64_t runSeed() {
  return envNumber("SGAUDIT_FIX_SEED",
                   static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
}

struct Provider {
  const char* name;
  EvaluationModel model;
  bool rule_ids;  // AWS describe-security-groups prints none
  bool denies;
};

class Generator {
 public:
  Generator(std::uint64_t seed, Provider provider) : rng_(seed), provider_(provider) {}

  AuditInput generate() {
    AuditInput input;
    input.cloud.networks.push_back({provider_.name, "vpc", "vpc-1", "vpc", "", {"10.0.0.0/16"}, {}, {}});
    const int groups = between(1, 3);
    for (int g = 0; g < groups; ++g) {
      auto group = std::make_shared<SecurityGroup>();
      group->id = "sg-" + std::to_string(g);
      group->name = "group-" + std::to_string(g);
      const int rules = between(0, 4);
      for (int r = 0; r < rules; ++r)
        group->rules.push_back(randomRule(*group, r, groups));
      input.cloud.security_groups.push_back({provider_.name, provider_.model, group, "vpc-1", "", {}});
    }
    const int nodes = between(1, 3);
    for (int n = 0; n < nodes; ++n) {
      const std::string ip = "10.0.0." + std::to_string(10 + n);
      input.cluster.nodes.push_back(test::node(ip));
      Instance instance;
      instance.provider = provider_.name;
      instance.id = "i-" + std::to_string(n);
      instance.private_ips = {ip};
      instance.vpc_id = "vpc-1";
      for (int g = 0; g < groups; ++g) {
        if (instance.security_group_ids.empty() || chance(0.4))
          instance.security_group_ids.push_back("sg-" + std::to_string((g + n) % groups));
      }
      std::sort(instance.security_group_ids.begin(), instance.security_group_ids.end());
      instance.security_group_ids.erase(
          std::unique(instance.security_group_ids.begin(), instance.security_group_ids.end()),
          instance.security_group_ids.end());
      input.cloud.instances.push_back(std::move(instance));
    }
    // Workloads on ports of their own (two on one port is a Kubernetes conflict, tested elsewhere).
    std::vector<int> ports = {80, 443, 8080, 9100};
    std::shuffle(ports.begin(), ports.end(), rng_);
    const int workloads = between(0, 2);
    for (int w = 0; w < workloads; ++w) {
      Workload workload =
          test::deployment("web" + std::to_string(w), 1,
                           test::hostNetworkSpec({test::container("web", {test::port(ports[w])})}));
      workload.annotations[kRequiredSourcesAnnotation] =
          pick<const char*>({"internet", "vpc", "nodes", "203.0.113.0/24", "vpc, 198.51.100.0/24"});
      const std::string node = input.cluster.nodes[static_cast<std::size_t>(between(0, nodes - 1))].name;
      input.cluster.pods.push_back(test::podOf(workload, "x", node));
      input.cluster.workloads.push_back(std::move(workload));
    }
    return input;
  }

 private:
  int between(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + between(0, static_cast<int>(values.size()) - 1));
  }

  SecurityGroupRule randomRule(const SecurityGroup& group, int index, int groups) {
    SecurityGroupRule rule;
    rule.protocol = pick({Protocol::tcp(), Protocol::tcp(), Protocol::udp(), Protocol::any()});
    switch (between(0, 3)) {
      case 0:
        rule.ports =
            PortSet::of(PortRange::single(pick<std::uint16_t>({22, 80, 443, 3389, 6443, 8080, 9100, 2379})));
        break;
      case 1:
        rule.ports = PortSet::of(pick<PortRange>({{20, 25}, {80, 9000}, {1, 1024}, {8000, 8100}}));
        break;
      default:
        rule.ports = PortSet::all();
    }
    if (chance(0.15)) {
      rule.source = SecurityGroupRef{"sg-" + std::to_string(between(0, groups - 1))};
    } else {
      rule.source = *Cidr::parse(pick<const char*>(
          {"0.0.0.0/0", "0.0.0.0/0", "203.0.113.0/24", "198.51.100.7/32", "10.0.0.0/16", "10.0.0.10/32"}));
    }
    if (provider_.denies) {
      rule.action = chance(0.25) ? RuleAction::Deny : RuleAction::Allow;
      rule.priority = between(1, 100);
    }
    rule.origin.provider = provider_.name;
    rule.origin.group_id = group.id;
    rule.origin.group_name = group.name;
    if (provider_.rule_ids) rule.origin.rule_id = group.id + "-rule-" + std::to_string(index);
    return rule;
  }

  std::mt19937_64 rng_;
  Provider provider_;
};

std::string describe(const AuditInput& input) {
  std::ostringstream out;
  for (const auto& group : input.cloud.security_groups) {
    out << group.group->id << ":\n";
    for (const auto& rule : group.group->rules) {
      out << "  " << (rule.action == RuleAction::Allow ? "allow " : "deny ") << rule.protocol.name() << " "
          << rule.ports.toString() << " from " << core::describe(rule.source) << " priority " << rule.priority
          << "\n";
    }
  }
  for (const auto& instance : input.cloud.instances) {
    out << instance.private_ips.front() << " in";
    for (const auto& id : instance.security_group_ids)
      out << " " << id;
    out << "\n";
  }
  for (const auto& workload : input.cluster.workloads) {
    out << workload.name << " on " << workload.template_spec.containers[0].ports[0].container_port
        << " needs " << workload.annotations.at(kRequiredSourcesAnnotation) << "\n";
  }
  return out.str();
}

std::string plansOf(const Finding& finding) {
  std::ostringstream out;
  for (const auto& plan : finding.narrow_plans) {
    out << "plan: narrow " << plan.rule.origin.key << " of " << plan.group_id << " to";
    for (const auto& cidr : plan.narrower)
      out << " " << cidr.toString();
    out << "\n";
  }
  for (const auto& plan : finding.allow_plans) {
    out << "plan: allow " << plan.protocol.name() << " " << plan.ports.toString() << " into " << plan.group_id
        << " priority " << plan.priority << " from";
    for (const auto& cidr : plan.sources)
      out << " " << cidr.toString();
    for (const auto& group : plan.source_groups)
      out << " members of " << group.id;
    out << "\n";
  }
  return out.str();
}

// What was found, by fingerprint, as one text for a failure message.
std::string texts(const std::map<std::string, std::string>& found) {
  std::string out;
  for (const auto& [fingerprint, text] : found)
    out += text + "\n";
  return out;
}

// The proof's oracle: the inputs with a finding's plans applied, audited from scratch (every port, every
// node). Empty when they hold what the proof claimed: the finding gone, no finding the audit did not have,
// and no cell that was open closed.
std::string freshAuditOfFix(const AuditInput& input, const AuditResult& before, const Finding& finding) {
  AuditInput fixed = input;
  fixed.verify_fixes = false;
  for (auto& group : fixed.cloud.security_groups) {
    group.group =
        std::make_shared<SecurityGroup>(applyPlans(*group.group, finding.allow_plans, finding.narrow_plans));
  }
  const AuditResult after = runAudit(fixed);
  std::set<std::string> known;
  for (const auto& other : before.findings)
    known.insert(other.fingerprint);
  std::string problems;
  for (const auto& other : after.findings) {
    if (other.fingerprint == finding.fingerprint) problems += "still there: " + other.title + "\n";
    if (known.count(other.fingerprint) == 0) problems += "adds: " + other.title + "\n";
  }
  for (const auto& cell : before.matrix) {
    if (cell.status != "open") continue;
    for (const auto& again : after.matrix) {
      if (again.node == cell.node && again.port == cell.port && again.protocol == cell.protocol &&
          again.workload == cell.workload && again.status != "open")
        problems +=
            "closes " + std::to_string(cell.port) + " for " + cell.workload + " on " + cell.node + "\n";
    }
  }
  return problems;
}

void checkEveryPlanIsVerified(Provider provider) {
  const std::uint64_t seed = runSeed();
  const long cases = static_cast<long>(envNumber("SGAUDIT_FIX_CASES", 10000));
  long plans = 0;
  long failures = 0;
  for (long i = 0; i < cases; ++i) {
    Generator generator(seed + static_cast<std::uint64_t>(i), provider);
    const AuditInput input = generator.generate();
    const AuditResult result = runAudit(input);
    for (const auto& finding : result.findings) {
      std::vector<std::string> failed;
      if (finding.fix_verified) {
        ++plans;
        if (!*finding.fix_verified) failed.push_back(finding.fix_verification);
      }
      // A proof asks only the ports and nodes the change can touch; the fresh audit asks them all.
      if (finding.fix_verified && *finding.fix_verified) {
        if (const std::string wrong = freshAuditOfFix(input, result, finding); !wrong.empty())
          failed.push_back("verified, but audited from scratch with the fix applied it " + wrong);
      }
      for (const auto& change : finding.workload_changes) {
        ++plans;
        if (!change.verified.value_or(false)) failed.push_back(change.verification);
      }
      for (const auto& why : failed) {
        if (++failures <= 3) {
          ADD_FAILURE() << provider.name << " case " << i << " (SGAUDIT_FIX_SEED=" << seed + i
                        << " SGAUDIT_FIX_CASES=1): " << finding.title << "\n  not verified: " << why << "\n"
                        << describe(input) << plansOf(finding);
        }
      }
    }
  }
  EXPECT_EQ(failures, 0) << "of " << plans << " plans over " << cases << " cases, seed " << seed;
  EXPECT_GT(plans, cases / 4) << "the generator should give most cases something to fix";
  std::printf("%s: %ld plans over %ld cases, all verified unless reported (seed %llu)\n", provider.name,
              plans, cases, static_cast<unsigned long long>(seed));
}

TEST(FixPropertyTest, EveryAwsPlanIsVerified) {
  checkEveryPlanIsVerified({"aws", EvaluationModel::Union, false, false});
}

TEST(FixPropertyTest, EveryOpenStackPlanIsVerified) {
  checkEveryPlanIsVerified({"openstack", EvaluationModel::Union, true, false});
}

TEST(FixPropertyTest, EveryHuaweiPlanIsVerified) {
  checkEveryPlanIsVerified({"huaweicloud", EvaluationModel::FirstMatchByPriority, true, true});
}

// A proof asks again only what its change can alter: the ports of the rules it changes (under the union
// model), and no exposure at all when it changes nothing public on a sensitive port. With
// AuditInput::exhaustive_proofs it asks every port of every node the change touches: each finding's proof
// (its verdict, why, what else the change does, the plans it ends with) must be the same both ways.
void checkProofsAreWhatAskingEverythingFinds(Provider provider) {
  const std::uint64_t seed = runSeed();
  const long cases = static_cast<long>(envNumber("SGAUDIT_FIX_CASES", 2000));
  long proofs = 0;
  long failures = 0;
  auto proofsOf = [](const AuditResult& result) {
    std::map<std::string, std::string> found;  // by fingerprint
    for (const auto& finding : result.findings) {
      if (!finding.fix_verified) continue;
      std::string text =
          (*finding.fix_verified ? "verified" : "not verified: " + finding.fix_verification) + "\n";
      for (const auto& line : finding.fix_reach)
        text += "  " + line + "\n";
      found[finding.fingerprint] = finding.title + "\n" + text + plansOf(finding);
    }
    return found;
  };
  for (long i = 0; i < cases; ++i) {
    Generator generator(seed + static_cast<std::uint64_t>(i), provider);
    const AuditInput input = generator.generate();
    AuditInput exhaustive = input;
    exhaustive.exhaustive_proofs = true;
    const auto asked = proofsOf(runAudit(input));
    const auto everything = proofsOf(runAudit(exhaustive));
    proofs += static_cast<long>(asked.size());
    if (asked != everything && ++failures <= 3) {
      ADD_FAILURE() << provider.name << " case " << i << " (SGAUDIT_FIX_SEED=" << seed + i
                    << " SGAUDIT_FIX_CASES=1)\n"
                    << describe(input) << "asking what the change can alter:\n"
                    << texts(asked) << "asking everything:\n"
                    << texts(everything);
    }
  }
  EXPECT_EQ(failures, 0) << "over " << cases << " cases, seed " << seed;
  EXPECT_GT(proofs, cases / 4) << "the generator should give most cases something to prove";
}

TEST(FixPropertyTest, AwsProofsAreWhatAskingEverythingFinds) {
  checkProofsAreWhatAskingEverythingFinds({"aws", EvaluationModel::Union, false, false});
}

TEST(FixPropertyTest, HuaweiProofsAreWhatAskingEverythingFinds) {
  checkProofsAreWhatAskingEverythingFinds({"huaweicloud", EvaluationModel::FirstMatchByPriority, true, true});
}

// Under one layer of allow-only groups the audit finds a rule's exposure once per group (the same on every
// node that holds it); under several layers it asks each node's firewall. With a second layer that admits
// everything, what each node's firewall admits is the same, and so are the findings about the first layer's
// groups: each path is the other's oracle.
TEST(FixPropertyTest, ExposureFoundPerGroupIsWhatEachFirewallAdmits) {
  const std::uint64_t seed = runSeed();
  const long cases = static_cast<long>(envNumber("SGAUDIT_FIX_CASES", 3000));
  long exposures = 0;
  long failures = 0;
  for (long i = 0; i < cases; ++i) {
    Generator generator(seed + static_cast<std::uint64_t>(i), {"aws", EvaluationModel::Union, false, false});
    AuditInput one_layer = generator.generate();
    one_layer.verify_fixes = false;
    // Sensitive ports asked one by one, in runs, and as a range too wide to ask port by port.
    switch (i % 3) {
      case 1:
        one_layer.policy.sensitive_ports = PortSet::of({2379, 2380});
        one_layer.policy.sensitive_ports.add({8000, 8100});
        break;
      case 2:
        one_layer.policy.sensitive_ports = PortSet::of({1, 1024});
        break;
      default:
        break;
    }
    AuditInput two_layers = one_layer;
    auto open = std::make_shared<SecurityGroup>();
    open->id = "acl-open";
    for (const char* cidr : {"0.0.0.0/0", "::/0"}) {
      SecurityGroupRule rule;
      rule.protocol = Protocol::any();
      rule.ports = PortSet::all();
      rule.source = *Cidr::parse(cidr);
      rule.origin.group_id = open->id;
      open->rules.push_back(rule);
    }
    two_layers.cloud.security_groups.push_back({"aws", EvaluationModel::Union, open, "vpc-1", "", {}});
    for (auto& instance : two_layers.cloud.instances) {
      instance.firewall_layers = {{"security groups", std::nullopt, instance.security_group_ids},
                                  {"network ACL", std::nullopt, {open->id}}};
    }
    auto exposed = [&](const AuditResult& result) {
      std::map<std::string, std::string> found;  // by fingerprint
      for (const auto& finding : result.findings) {
        if (finding.check_id != check::kSensitivePortExposed || finding.fingerprint.empty()) continue;
        if (std::any_of(finding.narrow_plans.begin(), finding.narrow_plans.end(),
                        [&](const NarrowRulePlan& plan) { return plan.group_id == open->id; }))
          continue;
        std::string nodes;
        for (const auto& node : finding.nodes)
          nodes += node + " ";
        found[finding.fingerprint] =
            finding.title + "\n" + finding.detail + "\n" + nodes + "\n" + plansOf(finding);
      }
      return found;
    };
    const auto per_group = exposed(runAudit(one_layer));
    const auto per_firewall = exposed(runAudit(two_layers));
    exposures += static_cast<long>(per_group.size());
    if (per_group != per_firewall && ++failures <= 3) {
      ADD_FAILURE() << "case " << i << " (SGAUDIT_FIX_SEED=" << seed + i << " SGAUDIT_FIX_CASES=1)\n"
                    << describe(one_layer) << "per group:\n"
                    << texts(per_group) << "per firewall:\n"
                    << texts(per_firewall);
    }
  }
  EXPECT_EQ(failures, 0) << "over " << cases << " cases, seed " << seed;
  EXPECT_GT(exposures, cases / 4) << "the generator should expose something in most cases";
}

}  // namespace
}  // namespace sgaudit::core
