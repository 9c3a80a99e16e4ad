#include "sgaudit/cloud/gcp/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "sgaudit/cloud/gcp/targets.hpp"
#include "sgaudit/cloud/json_walk.hpp"

namespace sgaudit::cloud::gcp {
namespace {

using json_walk::Cursor;
using nlohmann::json;

// Rules one document may hold, so that a hostile upload cannot become an unbounded model.
constexpr std::size_t kMaxRules = 1'000'000;

constexpr std::pair<int, int> kPriorities = {0, 65535};
constexpr int kImpliedPriority = 65535;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

// The segment after `key` in a URL ("projects" -> "shop-prod"), or "".
std::string segmentAfter(std::string_view url, std::string_view key) {
  std::size_t at = 0;
  while (at < url.size()) {
    const auto end = std::min(url.find('/', at), url.size());
    if (url.substr(at, end - at) == key && end < url.size()) {
      const auto next = std::min(url.find('/', end + 1), url.size());
      return std::string(url.substr(end + 1, next - end - 1));
    }
    at = end + 1;
  }
  return {};
}

// The kind a Compute API "kind" names: its resources, lists and aggregated lists.
std::optional<std::string_view> kindOfComputeKind(std::string_view kind) {
  if (kind == "compute#firewall" || kind == "compute#firewallList") return kind::kFirewalls;
  if (kind == "compute#instance" || kind == "compute#instanceList" ||
      kind == "compute#instanceAggregatedList")
    return kind::kInstances;
  if (kind == "compute#network" || kind == "compute#networkList") return kind::kNetworks;
  if (kind == "compute#subnetwork" || kind == "compute#subnetworkList" ||
      kind == "compute#subnetworkAggregatedList")
    return kind::kSubnetworks;
  return std::nullopt;
}

bool has(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && !object[key].is_null();
}

// GKE's cluster: node pools beside members only a cluster has.
bool isGkeCluster(const json& object) {
  if (!object.is_object() || !object.contains("nodePools") || !object["nodePools"].is_array()) return false;
  return has(object, "clusterIpv4Cidr") || has(object, "currentMasterVersion") ||
         has(object, "servicesIpv4Cidr") || has(object, "nodeConfig") || has(object, "ipAllocationPolicy");
}

// The kind of one resource by its "kind" or its shape.
std::optional<KindClaim> resourceKind(const json& object) {
  if (!object.is_object()) return std::nullopt;
  if (const auto kind = object.find("kind"); kind != object.end() && kind->is_string()) {
    if (const auto found = kindOfComputeKind(kind->get_ref<const std::string&>()))
      return KindClaim{std::string(*found), true};
  }
  if (isGkeCluster(object)) return KindClaim{std::string(kind::kGkeCluster), true};
  if ((has(object, "allowed") || has(object, "denied")) &&
      (has(object, "sourceRanges") || has(object, "network") || has(object, "direction") ||
       has(object, "targetTags") || has(object, "sourceTags")))
    return KindClaim{std::string(kind::kFirewalls), false};
  if (has(object, "networkInterfaces") && (has(object, "zone") || has(object, "machineType")))
    return KindClaim{std::string(kind::kInstances), false};
  if (has(object, "ipCidrRange") && has(object, "network"))
    return KindClaim{std::string(kind::kSubnetworks), false};
  if (has(object, "autoCreateSubnetworks") || has(object, "x_gcloud_subnet_mode"))
    return KindClaim{std::string(kind::kNetworks), false};
  return std::nullopt;
}

// The resources of a document: a bare array (gcloud), {"items": [...]} (API lists), {"items": {"zones/a":
// {"instances": [...]}}} (aggregated lists), {"clusters": [...]} (GKE's list) or one resource.
template <typename Each>
void forEachResource(const Cursor& root, std::string_view member, Each&& each) {
  auto list = [&](const Cursor& items) {
    for (std::size_t i = 0, n = items.array(true); i < n; ++i) {
      items[i].object(true);
      each(items[i]);
    }
  };
  if (root.present() && root.json().is_array()) return list(root);
  root.object(true);
  const Cursor items = root["items"];
  if (items.present() && items.json().is_object()) {
    for (const auto& [scope, value] : items.json().items()) {
      const Cursor at = items[scope];
      at.object(true);
      if (at[member].present()) list(at[member]);  // a scope with nothing holds only a "warning"
    }
    return;
  }
  if (items.present()) return list(items);
  if (root["clusters"].present() && !root["nodePools"].present()) return list(root["clusters"]);
  // An empty API list prints no "items".
  if (const auto kind = root["kind"].string(); kind.ends_with("List")) return;
  each(root);
}

core::Protocol protocolOf(const Cursor& at) {
  const auto text = at.stringOrNumber();
  if (!text || text->empty())
    at.expected("a protocol (tcp, udp, icmp, esp, ah, sctp, ipip, all or a number)");
  const std::string name = lower(*text);
  if (name == "all") return core::Protocol::any();
  if (name == "tcp") return core::Protocol::tcp();
  if (name == "udp") return core::Protocol::udp();
  if (name == "icmp") return core::Protocol::icmp();
  if (name == "sctp") return core::Protocol::sctp();
  if (name == "esp") return *core::Protocol::fromNumber(50);
  if (name == "ah") return *core::Protocol::fromNumber(51);
  if (name == "ipip") return *core::Protocol::fromNumber(4);
  if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }) &&
      name.size() <= 3) {
    if (auto protocol = core::Protocol::fromNumber(std::stoi(name))) return *protocol;
  }
  at.expected("a protocol (tcp, udp, icmp, esp, ah, sctp, ipip, all or a number 0-255)");
}

// "ports": ["22", "8000-8100"]; absent: every port. Only TCP, UDP and SCTP take ports.
core::PortSet portsOf(const Cursor& entry, core::Protocol protocol) {
  const Cursor list = entry["ports"];
  const std::size_t n = list.array();
  if (n == 0) return core::PortSet::all();
  if (!protocol.hasPorts()) list.fail("ports apply only to tcp, udp and sctp");
  core::PortSet ports;
  for (std::size_t i = 0; i < n; ++i) {
    const Cursor at = list[i];
    const std::string text = at.stringOrNumber().value_or("");
    const auto dash = text.find('-');
    auto number = [&](std::string_view digits) -> long {
      if (digits.empty() || digits.size() > 5 ||
          !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
        at.expected("a port 0-65535 or a range a-b");
      return std::stol(std::string(digits));
    };
    const long first = number(std::string_view(text).substr(0, dash));
    const long last = dash == std::string::npos ? first : number(std::string_view(text).substr(dash + 1));
    auto range = core::PortRange::make(first, last);
    if (!range) at.fail(range.error().message);
    ports.add(*range);
  }
  return ports;
}

core::Cidr cidrOf(const Cursor& at) {
  const std::string text = at.requiredString();
  auto cidr = core::Cidr::parse(text);
  if (!cidr) at.fail("\"" + text + "\": " + cidr.error().message);
  return *cidr;
}

std::vector<std::string> namesOf(const Cursor& list, std::string_view what) {
  std::vector<std::string> names;
  for (std::size_t i = 0, n = list.array(); i < n; ++i) {
    std::string name = list[i].requiredString();
    if (!isTargetName(name)) list[i].expected(what);
    names.push_back(std::move(name));
  }
  return names;
}

std::string ipOf(const Cursor& at) {
  const std::string text = at.string();
  if (!text.empty() && !core::IpAddress::parse(text)) at.expected("an IP address");
  return text;
}

class Reader {
 public:
  Reader(std::string_view source, std::vector<std::string>* warnings)
      : source_(source), warnings_(warnings), location_{std::string(source), 0} {}

  core::CloudInventory read(std::string_view kind, const json& document) {
    const Cursor root(&document, "");
    if (kind == kind::kFirewalls) {
      forEachResource(root, "firewalls", [&](const Cursor& at) { firewall(at); });
      finishGroups();
    } else if (kind == kind::kInstances) {
      forEachResource(root, "instances", [&](const Cursor& at) { instance(at); });
    } else if (kind == kind::kNetworks) {
      forEachResource(root, "networks", [&](const Cursor& at) { network(at); });
    } else if (kind == kind::kSubnetworks) {
      forEachResource(root, "subnetworks", [&](const Cursor& at) { subnetwork(at); });
    } else if (kind == kind::kGkeCluster) {
      forEachResource(root, "clusters", [&](const Cursor& at) { cluster(at); });
    } else {
      root.fail("unknown Google Cloud input kind \"" + std::string(kind) + "\"");
    }
    return std::move(out_);
  }

 private:
  void warn(const Cursor& at, const std::string& message) {
    if (warnings_ != nullptr) warnings_->push_back(source_ + ": " + at.pointer() + ": " + message);
  }

  // A network's name from its URL; a rule or interface that names none is on "default".
  static std::string networkOf(const Cursor& at) {
    const std::string url = at.string();
    if (url.empty()) return "default";
    std::string name = lastSegment(url);
    if (!isTargetName(name)) at.expected("a network URL or name");
    return name;
  }

  core::SecurityGroup& group(const Targets& targets) {
    const std::string id = targets.groupId();
    auto [it, added] = groups_.try_emplace(id);
    if (added) {
      it->second = std::make_shared<core::SecurityGroup>();
      it->second->id = id;
      it->second->name = targets.groupName();
      order_.push_back(id);
      network_of_[id] = targets.network;
    }
    return *it->second;
  }

  // GCP's implied rules on every network a listing names: deny all ingress, allow all egress, at the lowest
  // priority; nobody can change them, so fixes outrank them.
  void implied(const std::string& network, const Cursor& at) {
    if (!implied_.insert(network).second) return;
    core::SecurityGroup& all = group(Targets::of(network, Targets::Kind::All, {}));
    core::RuleOrigin origin{kProvider, all.id, all.name, kImpliedDenyIngress, "GCP's implied rule"};
    for (const auto& source : {core::Cidr::containing(core::IpAddress::v4(0), 0),
                               core::Cidr::containing(core::IpAddress::v6(0), 0)})
      add(all, core::Direction::Ingress, core::Protocol::any(), core::PortSet::all(), source,
          core::RuleAction::Deny, kImpliedPriority, origin, true, at);
    origin.rule_id = kImpliedAllowEgress;
    for (const auto& source : {core::Cidr::containing(core::IpAddress::v4(0), 0),
                               core::Cidr::containing(core::IpAddress::v6(0), 0)})
      add(all, core::Direction::Egress, core::Protocol::any(), core::PortSet::all(), source,
          core::RuleAction::Allow, kImpliedPriority, origin, true, at);
  }

  void firewall(const Cursor& at) {
    const std::string name = at["name"].requiredString();
    const std::string network = networkOf(at["network"]);
    const std::string direction = upper(at["direction"].string("INGRESS"));
    if (direction != "INGRESS" && direction != "EGRESS") at["direction"].expected("INGRESS or EGRESS");
    const auto priority =
        at["priority"].optionalInteger(kPriorities.first, kPriorities.second, "a priority 0..65535");
    const bool disabled = at["disabled"].optionalBoolean().value_or(false);
    const Cursor allowed = at["allowed"];
    const Cursor denied = at["denied"];
    if (allowed.present() && denied.present()) denied.fail("a rule either allows or denies, not both");
    if (!allowed.present() && !denied.present())
      at["allowed"].expected("the traffic the rule allows or denies");
    const Cursor entries = allowed.present() ? allowed : denied;
    const core::RuleAction action = allowed.present() ? core::RuleAction::Allow : core::RuleAction::Deny;
    std::vector<std::pair<core::Protocol, core::PortSet>> traffic;
    for (std::size_t i = 0, n = entries.array(true); i < n; ++i) {
      const Cursor entry = entries[i].object(true);
      const core::Protocol protocol = protocolOf(entry["IPProtocol"]);
      traffic.emplace_back(protocol, portsOf(entry, protocol));
    }
    if (traffic.empty()) entries.expected("at least one protocol");
    std::vector<core::RuleSource> sources;
    const Cursor ranges = at["sourceRanges"];
    for (std::size_t i = 0, n = ranges.array(); i < n; ++i)
      sources.push_back(cidrOf(ranges[i]));
    const auto source_tags = namesOf(at["sourceTags"], "a network tag");
    const auto source_accounts = namesOf(at["sourceServiceAccounts"], "a service account's email");
    const auto target_tags = namesOf(at["targetTags"], "a network tag");
    const auto target_accounts = namesOf(at["targetServiceAccounts"], "a service account's email");
    if (!target_tags.empty() && !target_accounts.empty())
      at["targetServiceAccounts"].fail("a rule targets tags or service accounts, not both");
    const Cursor destinations = at["destinationRanges"];
    std::vector<std::string> limited;
    for (std::size_t i = 0, n = destinations.array(); i < n; ++i) {
      const core::Cidr cidr = cidrOf(destinations[i]);
      if (cidr.prefixLength() != 0) limited.push_back(cidr.toString());
    }
    implied(network, at);
    if (disabled || direction == "EGRESS")
      return;  // a disabled rule applies to nothing; egress reaches no node
    if (!limited.empty()) {
      warn(destinations, "rule " + name + " is limited to destination " + limited.front() +
                             (limited.size() > 1 ? " and others" : "") +
                             "; sgaudit applies it to every instance it targets");
    }
    for (const auto& tag : source_tags)
      sources.push_back(core::AddressGroupRef{sourceTagSetId(network, tag)});
    for (const auto& email : source_accounts)
      sources.push_back(core::AddressGroupRef{sourceServiceAccountSetId(network, email)});
    // An ingress rule that names no source admits or denies every IPv4 address.
    if (sources.empty()) sources.push_back(core::Cidr::containing(core::IpAddress::v4(0), 0));
    const Targets targets = !target_tags.empty() ? Targets::of(network, Targets::Kind::Tags, target_tags)
                            : !target_accounts.empty()
                                ? Targets::of(network, Targets::Kind::ServiceAccounts, target_accounts)
                                : Targets::of(network, Targets::Kind::All, {});
    core::SecurityGroup& into = group(targets);
    const core::RuleOrigin origin{kProvider, into.id, into.name, name, at["description"].string()};
    for (const auto& [protocol, ports] : traffic) {
      for (const auto& source : sources)
        add(into, core::Direction::Ingress, protocol, ports, source, action,
            static_cast<int>(priority.value_or(1000)), origin, false, at);
    }
  }

  void add(core::SecurityGroup& group, core::Direction direction, core::Protocol protocol,
           const core::PortSet& ports, core::RuleSource source, core::RuleAction action, int priority,
           const core::RuleOrigin& origin, bool fixed, const Cursor& at) {
    if (++rule_count_ > kMaxRules) at.fail("more than " + std::to_string(kMaxRules) + " rules");
    core::SecurityGroupRule rule;
    rule.direction = direction;
    rule.protocol = protocol;
    rule.ports = ports;
    rule.source = std::move(source);
    rule.action = action;
    rule.priority = priority;
    rule.origin = origin;
    rule.fixed = fixed;
    group.rules.push_back(std::move(rule));
  }

  void finishGroups() {
    for (const auto& id : order_) {
      core::CloudSecurityGroup cloud_group;
      cloud_group.provider = kProvider;
      cloud_group.model = core::EvaluationModel::PriorityDenyWins;
      cloud_group.vpc_id = network_of_[id];
      cloud_group.group = groups_[id];
      cloud_group.source = location_;
      cloud_group.priority_range = kPriorities;
      // A rule's sources are ranges, tags or service accounts, never "the instances this rule targets":
      // fixes name addresses.
      cloud_group.rules_name_groups = false;
      out_.security_groups.push_back(std::move(cloud_group));
    }
  }

  void instance(const Cursor& at) {
    core::Instance instance;
    instance.provider = kProvider;
    instance.name = at["name"].requiredString();
    if (!isTargetName(instance.name)) at["name"].expected("an instance name");
    const std::string zone_url = at["zone"].string();
    const std::string zone = lastSegment(zone_url);
    std::string project = segmentAfter(zone_url, "projects");
    if (project.empty()) project = segmentAfter(at["selfLink"].string(), "projects");
    // As GKE's providerID names it: gce://<project>/<zone>/<name>.
    instance.id = (project.empty() ? "" : project + "/") + (zone.empty() ? "" : zone + "/") + instance.name;
    const Cursor nics = at["networkInterfaces"];
    for (std::size_t i = 0, n = nics.array(); i < n; ++i) {
      const Cursor nic = nics[i].object(true);
      core::NetworkInterface interface;
      interface.provider = kProvider;
      interface.id = instance.id + "/" + nic["name"].string("nic" + std::to_string(i));
      interface.device_id = instance.id;
      interface.subnet_id = lastSegment(nic["subnetwork"].string());
      for (const auto& ip : {ipOf(nic["networkIP"]), ipOf(nic["ipv6Address"])}) {
        if (!ip.empty()) interface.fixed_ips.push_back(ip);
      }
      instance.private_ips.insert(instance.private_ips.end(), interface.fixed_ips.begin(),
                                  interface.fixed_ips.end());
      const Cursor configs = nic["accessConfigs"];
      for (std::size_t j = 0, m = configs.array(); j < m; ++j) {
        if (auto ip = ipOf(configs[j].object(true)["natIP"]); !ip.empty())
          instance.public_ips.push_back(std::move(ip));
      }
      const Cursor v6_configs = nic["ipv6AccessConfigs"];
      for (std::size_t j = 0, m = v6_configs.array(); j < m; ++j) {
        if (auto ip = ipOf(v6_configs[j].object(true)["externalIpv6"]); !ip.empty())
          instance.public_ips.push_back(std::move(ip));
      }
      if (i == 0) instance.vpc_id = networkOf(nic["network"]);
      interface.source = location_;
      instance.interfaces.push_back(std::move(interface));
    }
    instance.network_tags = namesOf(at["tags"].object()["items"], "a network tag");
    const Cursor accounts = at["serviceAccounts"];
    for (std::size_t i = 0, n = accounts.array(); i < n; ++i) {
      const Cursor email = accounts[i].object(true)["email"];
      std::string text = email.requiredString();
      if (!isTargetName(text)) email.expected("a service account's email");
      instance.service_accounts.push_back(std::move(text));
    }
    instance.source = location_;
    out_.instances.push_back(std::move(instance));
  }

  void network(const Cursor& at) {
    core::Network network;
    network.provider = kProvider;
    network.kind = "vpc";
    network.name = at["name"].requiredString();
    if (!isTargetName(network.name)) at["name"].expected("a network name");
    network.id = network.name;
    // A legacy network has one range of its own; the others have their subnetworks'.
    if (at["IPv4Range"].present()) network.cidrs.push_back(cidrOf(at["IPv4Range"]).toString());
    network.source = location_;
    out_.networks.push_back(std::move(network));
  }

  void subnetwork(const Cursor& at) {
    core::Network subnet;
    subnet.provider = kProvider;
    subnet.kind = "subnet";
    subnet.name = at["name"].requiredString();
    const std::string region = lastSegment(at["region"].string());
    subnet.id = region.empty() ? subnet.name : region + "/" + subnet.name;
    subnet.parent_id = networkOf(at["network"]);
    subnet.cidrs.push_back(cidrOf(at["ipCidrRange"]).toString());
    const Cursor secondary = at["secondaryIpRanges"];
    for (std::size_t i = 0, n = secondary.array(); i < n; ++i)
      subnet.cidrs.push_back(cidrOf(secondary[i].object(true)["ipCidrRange"]).toString());
    if (at["ipv6CidrRange"].present()) subnet.cidrs.push_back(cidrOf(at["ipv6CidrRange"]).toString());
    subnet.source = location_;
    out_.networks.push_back(std::move(subnet));
  }

  void cluster(const Cursor& at) {
    core::ClusterNetworking cluster;
    cluster.provider = kProvider;
    cluster.name = at["name"].requiredString();
    const std::string self = at["selfLink"].string();
    const auto path = self.find("/projects/");
    cluster.id = path == std::string::npos ? cluster.name : self.substr(path + 1);
    const Cursor config = at["networkConfig"].object();
    cluster.vpc_id = networkOf(at["network"].present() ? at["network"] : config["network"]);
    const std::string subnetwork =
        lastSegment(at["subnetwork"].present() ? at["subnetwork"].string() : config["subnetwork"].string());
    if (!subnetwork.empty()) cluster.subnet_ids.push_back(subnetwork);
    const Cursor policy = at["ipAllocationPolicy"].object();
    cluster.container_network_mode =
        policy["useIpAliases"].optionalBoolean().value_or(false) ? "vpc-native" : "routes";
    const Cursor pods =
        at["clusterIpv4Cidr"].present() ? at["clusterIpv4Cidr"] : policy["clusterIpv4CidrBlock"];
    if (pods.present() && !pods.string().empty()) cluster.container_cidrs.push_back(cidrOf(pods).toString());
    const Cursor services =
        at["servicesIpv4Cidr"].present() ? at["servicesIpv4Cidr"] : policy["servicesIpv4CidrBlock"];
    if (services.present() && !services.string().empty()) cluster.service_cidr = cidrOf(services).toString();
    // Each node pool's network tags (the cluster's nodeConfig for a pool that says none): the target a fix
    // for its nodes gives a new rule, so that it opens no other instance.
    const auto defaults = namesOf(at["nodeConfig"].object()["tags"], "a network tag");
    const Cursor pools = at["nodePools"];
    for (std::size_t i = 0, n = pools.array(); i < n; ++i) {
      const Cursor pool = pools[i].object(true);
      const Cursor pool_config = pool["config"].object();
      auto tags = pool_config.present() ? namesOf(pool_config["tags"], "a network tag") : defaults;
      const Cursor groups = pool["instanceGroupUrls"];
      for (std::size_t j = 0, m = groups.array(); j < m; ++j)
        groups[j].requiredString();
      if (tags.empty()) continue;
      const std::string id = Targets::of(cluster.vpc_id, Targets::Kind::Tags, std::move(tags)).groupId();
      if (std::find(cluster.node_security_group_ids.begin(), cluster.node_security_group_ids.end(), id) ==
          cluster.node_security_group_ids.end())
        cluster.node_security_group_ids.push_back(id);
    }
    cluster.source = location_;
    out_.clusters.push_back(std::move(cluster));
  }

  std::string source_;
  std::vector<std::string>* warnings_;
  core::SourceLocation location_;
  core::CloudInventory out_;
  std::size_t rule_count_ = 0;
  std::map<std::string, std::shared_ptr<core::SecurityGroup>> groups_;
  std::vector<std::string> order_;  // groups in the order the listing first names them
  std::map<std::string, std::string> network_of_;
  std::set<std::string> implied_;
};

}  // namespace

std::string sourceTagSetId(const std::string& network, const std::string& tag) {
  return network + "/tag/" + tag;
}

std::string sourceServiceAccountSetId(const std::string& network, const std::string& email) {
  return network + "/serviceAccount/" + email;
}

std::optional<KindClaim> recognise(const json& document) {
  const json* first = &document;
  if (document.is_array()) {
    if (document.empty()) return std::nullopt;
    first = &document.front();
  } else if (document.is_object()) {
    if (const auto kind = document.find("kind"); kind != document.end() && kind->is_string()) {
      if (const auto found = kindOfComputeKind(kind->get_ref<const std::string&>()))
        return KindClaim{std::string(*found), true};
    }
    if (const auto items = document.find("items"); items != document.end() && items->is_array()) {
      if (items->empty()) return std::nullopt;
      first = &items->front();
    } else if (const auto clusters = document.find("clusters");
               clusters != document.end() && clusters->is_array() && !clusters->empty()) {
      first = &clusters->front();
    }
  }
  return resourceKind(*first);
}

Parsed<core::CloudInventory> parse(std::string_view kind, const json& document, std::string_view source,
                                   std::vector<std::string>* warnings) {
  try {
    return Reader(source, warnings).read(kind, document);
  } catch (const json_walk::Failure& failure) {
    return InputError{std::string(source), failure.pointer, failure.message};
  }
}

void link(core::CloudInventory& inventory, std::vector<std::string>& warnings) {
  // The groups of each network, by their targets.
  std::map<std::string, std::vector<Targets>> by_network;
  std::set<std::string> known;
  for (const auto& group : inventory.security_groups) {
    if (group.provider != kProvider || !known.insert(group.group->id).second) continue;
    if (auto targets = Targets::fromGroupId(group.group->id))
      by_network[targets->network].push_back(*targets);
  }
  // A GKE node pool's tags are a group of their own, rules or none: where a fix for its nodes goes.
  for (const auto& cluster : inventory.clusters) {
    if (cluster.provider != kProvider) continue;
    for (const auto& id : cluster.node_security_group_ids) {
      const auto targets = Targets::fromGroupId(id);
      if (!targets || by_network.count(targets->network) == 0 || !known.insert(id).second) continue;
      auto group = std::make_shared<core::SecurityGroup>();
      group->id = id;
      group->name = targets->groupName();
      core::CloudSecurityGroup cloud_group;
      cloud_group.provider = kProvider;
      cloud_group.model = core::EvaluationModel::PriorityDenyWins;
      cloud_group.vpc_id = targets->network;
      cloud_group.group = std::move(group);
      cloud_group.source = cluster.source;
      cloud_group.priority_range = kPriorities;
      cloud_group.rules_name_groups = false;
      inventory.security_groups.push_back(std::move(cloud_group));
      by_network[targets->network].push_back(*targets);
    }
  }
  // Within a network: tag groups, then service account groups, then the network's own, each kind by id.
  for (auto& [network, targets] : by_network) {
    std::sort(targets.begin(), targets.end(), [](const Targets& a, const Targets& b) {
      const auto rank = [](Targets::Kind kind) {
        return kind == Targets::Kind::Tags ? 0 : kind == Targets::Kind::ServiceAccounts ? 1 : 2;
      };
      return std::pair(rank(a.kind), a.groupId()) < std::pair(rank(b.kind), b.groupId());
    });
  }
  bool any_instance = false;
  std::set<std::string> unknown_networks;
  // Source tags and service accounts: the primary internal address of each instance carrying them.
  std::map<std::string, std::vector<std::string>> members;
  for (auto& instance : inventory.instances) {
    if (instance.provider != kProvider) continue;
    any_instance = true;
    if (!instance.interfaces.empty() && !instance.interfaces.front().fixed_ips.empty()) {
      for (const auto& tag : instance.network_tags)
        members[sourceTagSetId(instance.vpc_id, tag)].push_back(
            instance.interfaces.front().fixed_ips.front());
      for (const auto& email : instance.service_accounts) {
        members[sourceServiceAccountSetId(instance.vpc_id, email)].push_back(
            instance.interfaces.front().fixed_ips.front());
      }
    }
    if (instance.interfaces.size() > 1) {
      warnings.push_back(
          "GCP instance " + instance.name + " has " + std::to_string(instance.interfaces.size()) +
          " network interfaces; sgaudit checks the rules of its first one's network, " + instance.vpc_id);
    }
    const auto found = by_network.find(instance.vpc_id);
    if (found == by_network.end()) {
      if (!by_network.empty() && !instance.vpc_id.empty()) unknown_networks.insert(instance.vpc_id);
      continue;
    }
    core::FirewallLayerSpec layer{
        "firewall rules of network " + instance.vpc_id, core::EvaluationModel::PriorityDenyWins, {}};
    for (const auto& targets : found->second) {
      if (targets.appliesTo(instance.vpc_id, instance.network_tags, instance.service_accounts))
        layer.group_ids.push_back(targets.groupId());
    }
    instance.security_group_ids = layer.group_ids;
    instance.firewall_layers = {std::move(layer)};
  }
  for (const auto& network : unknown_networks) {
    warnings.push_back(
        "no firewall rule of GCP network " + network +
        " is among the inputs (gcloud compute firewall-rules list): its instances are not checked");
  }
  if (any_instance && by_network.empty()) {
    warnings.push_back(
        "no GCP firewall rules are among the inputs (gcloud compute firewall-rules list --format=json): the "
        "instances' ports are not checked");
  }
  std::erase_if(inventory.address_sets, [](const core::NamedAddressSet& set) {
    return set.provider == kProvider && set.kind == "address-group";
  });
  for (auto& [id, addresses] : members) {
    core::NamedAddressSet set;
    set.provider = kProvider;
    set.kind = "address-group";
    set.id = id;
    set.name = id;
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    for (const auto& text : addresses) {
      if (const auto address = core::IpAddress::parse(text))
        set.addresses.add(core::Cidr::containing(*address, 128));
    }
    set.entries = std::move(addresses);
    inventory.address_sets.push_back(std::move(set));
  }
  // A network's ranges are its subnetworks' (primary, secondary and internal IPv6): the "vpc" of a policy.
  std::map<std::string, std::vector<std::string>> ranges;
  for (const auto& network : inventory.networks) {
    if (network.provider == kProvider && network.kind == "subnet") {
      auto& to = ranges[network.parent_id];
      to.insert(to.end(), network.cidrs.begin(), network.cidrs.end());
    }
  }
  for (auto& range : ranges) {
    const std::string& name =
        range.first;  // named, not bound: lambdas capture no structured binding in C++20
    auto& cidrs = range.second;
    auto vpc = std::find_if(
        inventory.networks.begin(), inventory.networks.end(),
        [&](const core::Network& n) { return n.provider == kProvider && n.kind == "vpc" && n.id == name; });
    if (vpc == inventory.networks.end()) {
      core::Network network;
      network.provider = kProvider;
      network.kind = "vpc";
      network.id = name;
      network.name = name;
      inventory.networks.push_back(std::move(network));
      vpc = std::prev(inventory.networks.end());
    }
    for (const auto& cidr : cidrs) {
      if (std::find(vpc->cidrs.begin(), vpc->cidrs.end(), cidr) == vpc->cidrs.end())
        vpc->cidrs.push_back(cidr);
    }
  }
}

}  // namespace sgaudit::cloud::gcp
