#include "sgaudit/cloud/azure/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "sgaudit/cloud/json_walk.hpp"

namespace sgaudit::cloud::azure {
namespace {

using json_walk::Cursor;
using nlohmann::json;

// Rules one document may hold, so that a hostile upload cannot become an unbounded model.
constexpr std::size_t kMaxRules = 1'000'000;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

// The last segment of a resource id ("/subscriptions/.../networkSecurityGroups/web" -> "web").
std::string lastSegment(std::string_view id) {
  const auto slash = id.rfind('/');
  return std::string(slash == std::string_view::npos ? id : id.substr(slash + 1));
}

// The segment after `key` in a resource id ("resourceGroups" -> "rg1"), or "".
std::string segmentAfter(std::string_view id, std::string_view key) {
  std::size_t at = 0;
  while (at < id.size()) {
    const auto end = std::min(id.find('/', at), id.size());
    if (equalsIgnoringCase(id.substr(at, end - at), key) && end < id.size()) {
      const auto next = std::min(id.find('/', end + 1), id.size());
      return std::string(id.substr(end + 1, next - end - 1));
    }
    at = end + 1;
  }
  return {};
}

// A resource's own fields: under "properties" as ARM returns them, at the top as `az` flattens them.
Cursor props(const Cursor& resource) {
  const Cursor properties = resource["properties"];
  return properties.present() ? properties : resource;
}

// The resources of a document: an array (`az ... list`), {"value": [...]} (ARM lists) or one resource.
template <typename Each>
void forEachResource(const Cursor& root, Each&& each) {
  if (root.present() && root.json().is_array()) {
    for (std::size_t i = 0, n = root.array(); i < n; ++i) {
      root[i].object(true);
      each(root[i]);
    }
    return;
  }
  root.object(true);
  if (root["value"].present() && !root["type"].present()) {
    const Cursor list = root["value"];
    for (std::size_t i = 0, n = list.array(true); i < n; ++i) {
      list[i].object(true);
      each(list[i]);
    }
    return;
  }
  each(root);
}

// The "type" of the first resource a document holds, or "".
std::string typeOf(const json& document) {
  const json* first = &document;
  if (document.is_array()) {
    if (document.empty()) return {};
    first = &document.front();
  } else if (document.is_object() && !document.contains("type")) {
    const auto value = document.find("value");
    if (value == document.end() || !value->is_array() || value->empty()) return {};
    first = &value->front();
  }
  if (!first->is_object()) return {};
  const auto type = first->find("type");
  return type != first->end() && type->is_string() ? lower(type->get<std::string>()) : std::string();
}

core::Protocol protocolOf(const Cursor& at) {
  constexpr std::string_view kExpected = "one of Tcp, Udp, Icmp, Esp, Ah or *";
  const std::string text = lower(at.requiredString());
  if (text == "*") return core::Protocol::any();
  if (text == "tcp") return core::Protocol::tcp();
  if (text == "udp") return core::Protocol::udp();
  if (text == "icmp") return core::Protocol::icmp();
  if (text == "esp") return *core::Protocol::fromNumber(50);
  if (text == "ah") return *core::Protocol::fromNumber(51);
  at.expected(kExpected);
}

// destinationPortRange and destinationPortRanges: "*", "80", "8000-9000".
core::PortSet portsOf(const Cursor& rule, core::Protocol protocol) {
  std::vector<Cursor> texts;
  if (rule["destinationPortRange"].present()) texts.push_back(rule["destinationPortRange"]);
  const Cursor list = rule["destinationPortRanges"];
  for (std::size_t i = 0, n = list.array(); i < n; ++i)
    texts.push_back(list[i]);
  if (texts.empty()) rule["destinationPortRange"].expected("a port, a range or *");
  core::PortSet ports;
  bool any = false;
  for (const auto& at : texts) {
    const std::string text = at.requiredString();
    if (text == "*") {
      any = true;
      continue;
    }
    const auto dash = text.find('-');
    auto number = [&](std::string_view digits) -> long {
      if (digits.empty() || digits.size() > 5 ||
          !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
        at.expected("a port 0-65535, a range a-b or *");
      return std::stol(std::string(digits));
    };
    const long first = number(std::string_view(text).substr(0, dash));
    const long last = dash == std::string::npos ? first : number(std::string_view(text).substr(dash + 1));
    auto range = core::PortRange::make(first, last);
    if (!range) at.fail(range.error().message);
    ports.add(*range);
  }
  // Ports mean nothing to ICMP and the other protocols without ports: Azure takes only "*" there.
  if (any || !protocol.hasKey() || protocol.isIcmp()) return core::PortSet::all();
  return ports;
}

// One source prefix: "*" (any address), a CIDR or address, or a service tag ("VirtualNetwork", "Internet",
// "AzureLoadBalancer", "Storage.WestUS").
std::vector<core::RuleSource> sourcesOf(const std::string& text, const Cursor& at) {
  if (text == "*" || lower(text) == "any") {
    return {core::Cidr::containing(core::IpAddress::v4(0), 0),
            core::Cidr::containing(core::IpAddress::v6(0), 0)};
  }
  const bool address_like =
      std::all_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isxdigit(c) || c == '.' || c == ':' || c == '/'; }) &&
      (text.find('.') != std::string::npos || text.find(':') != std::string::npos);
  if (address_like) {
    auto cidr = core::Cidr::parse(text);
    if (!cidr) at.fail(cidr.error().message);
    return {*cidr};
  }
  return {core::ProviderTag{text}};
}

// Azure's default inbound rules, in every NSG whether or not a listing shows them.
struct DefaultRule {
  const char* name;
  int priority;
  const char* source;
  core::RuleAction action;
};
constexpr DefaultRule kDefaultInbound[] = {
    {"AllowVnetInBound", 65000, "VirtualNetwork", core::RuleAction::Allow},
    {"AllowAzureLoadBalancerInBound", 65001, "AzureLoadBalancer", core::RuleAction::Allow},
    {"DenyAllInBound", 65500, "*", core::RuleAction::Deny},
};

class Reader {
 public:
  Reader(std::string_view source, std::vector<std::string>* warnings)
      : source_(source), warnings_(warnings), location_{std::string(source), 0} {}

  core::CloudInventory read(std::string_view kind, const json& document) {
    const Cursor root(&document, "");
    if (kind == kind::kNsgs) {
      forEachResource(root, [&](const Cursor& at) { nsg(at); });
    } else if (kind == kind::kNics) {
      forEachResource(root, [&](const Cursor& at) { nic(at); });
    } else if (kind == kind::kSubnets) {
      forEachResource(root, [&](const Cursor& at) { subnet(at, ""); });
    } else if (kind == kind::kVnets) {
      forEachResource(root, [&](const Cursor& at) { vnet(at); });
    } else if (kind == kind::kAksCluster) {
      forEachResource(root, [&](const Cursor& at) { cluster(at); });
    } else {
      root.fail("unknown Azure input kind \"" + std::string(kind) + "\"");
    }
    return std::move(out_);
  }

 private:
  void warn(const Cursor& at, const std::string& message) {
    if (warnings_ != nullptr) warnings_->push_back(source_ + ": " + at.pointer() + ": " + message);
  }

  void nsg(const Cursor& at) {
    const std::string id = at["id"].requiredString();
    auto group = std::make_shared<core::SecurityGroup>();
    group->id = id;
    group->name = at["name"].string(lastSegment(id));
    const Cursor p = props(at);
    core::RuleOrigin origin{kProvider, group->id, group->name, "", ""};
    const Cursor custom = p["securityRules"];
    for (std::size_t i = 0, n = custom.array(); i < n; ++i)
      rule(custom[i], origin, false, *group);
    const Cursor defaults = p["defaultSecurityRules"];
    if (defaults.present()) {
      for (std::size_t i = 0, n = defaults.array(); i < n; ++i)
        rule(defaults[i], origin, true, *group);
    } else {
      for (const auto& fixed : kDefaultInbound) {
        core::RuleOrigin rule_origin = origin;
        rule_origin.rule_id = fixed.name;
        rule_origin.description = "Azure's default rule";
        for (auto& source : sourcesOf(fixed.source, at))
          add(*group, core::Protocol::any(), core::PortSet::all(), std::move(source), fixed.action,
              fixed.priority, rule_origin, true, at);
      }
    }
    core::CloudSecurityGroup cloud_group;
    cloud_group.provider = kProvider;
    cloud_group.model = core::EvaluationModel::FirstMatchByPriority;
    cloud_group.group = std::move(group);
    cloud_group.source = location_;
    cloud_group.priority_range = std::make_pair(100, 4096);
    cloud_group.rules_name_groups = false;
    cloud_group.description = lower(at["location"].string());
    out_.security_groups.push_back(std::move(cloud_group));
    // The NSG's own record of where it is attached: subnets and NICs, joined in link().
    const Cursor subnets = p["subnets"];
    for (std::size_t i = 0, n = subnets.array(); i < n; ++i) {
      core::Network network;
      network.provider = kProvider;
      network.kind = "subnet";
      network.id = subnets[i].object(true)["id"].requiredString();
      network.name = lastSegment(network.id);
      network.security_group_ids = {id};
      network.source = location_;
      out_.networks.push_back(std::move(network));
    }
    const Cursor nics = p["networkInterfaces"];
    for (std::size_t i = 0, n = nics.array(); i < n; ++i) {
      core::NetworkInterface nic;
      nic.provider = kProvider;
      nic.id = nics[i].object(true)["id"].requiredString();
      nic.security_group_ids = {id};
      nic.source = location_;
      out_.interfaces.push_back(std::move(nic));
    }
  }

  void rule(const Cursor& resource, const core::RuleOrigin& group_origin, bool fixed,
            core::SecurityGroup& group) {
    resource.object(true);
    const Cursor at = props(resource);
    const std::string direction = lower(at["direction"].requiredString());
    if (direction != "inbound" && direction != "outbound") at["direction"].expected("Inbound or Outbound");
    const std::string access = lower(at["access"].requiredString());
    if (access != "allow" && access != "deny") at["access"].expected("Allow or Deny");
    const auto priority = at["priority"].optionalInteger(100, 65500, "a priority 100..65500");
    if (!priority) at["priority"].expected("a priority 100..65500");
    const core::Protocol protocol = protocolOf(at["protocol"]);
    const core::PortSet ports = portsOf(at, protocol);
    if (direction == "outbound") return;  // egress is not what reaches a node
    core::RuleOrigin origin = group_origin;
    origin.rule_id = resource["name"].string();
    origin.description = at["description"].string();
    const core::RuleAction action = access == "allow" ? core::RuleAction::Allow : core::RuleAction::Deny;
    std::vector<core::RuleSource> sources;
    if (at["sourceAddressPrefix"].present()) {
      for (auto& source : sourcesOf(at["sourceAddressPrefix"].requiredString(), at["sourceAddressPrefix"]))
        sources.push_back(std::move(source));
    }
    const Cursor prefixes = at["sourceAddressPrefixes"];
    for (std::size_t i = 0, n = prefixes.array(); i < n; ++i) {
      for (auto& source : sourcesOf(prefixes[i].requiredString(), prefixes[i]))
        sources.push_back(std::move(source));
    }
    const Cursor asgs = at["sourceApplicationSecurityGroups"];
    for (std::size_t i = 0, n = asgs.array(); i < n; ++i)
      sources.push_back(core::AddressGroupRef{lower(asgs[i].object(true)["id"].requiredString())});
    if (sources.empty())
      at["sourceAddressPrefix"].expected("a source prefix, prefixes or application security groups");
    // The engine has no destinations: a rule is taken to reach every NIC its NSG guards.
    std::string destination = at["destinationAddressPrefix"].string("*");
    if (destination != "*" && lower(destination) != "virtualnetwork" && lower(destination) != "any") {
      warn(at["destinationAddressPrefix"], "rule " + origin.rule_id + " is limited to destination " +
                                               destination +
                                               "; sgaudit applies it to every NIC and subnet its NSG guards");
    }
    for (auto& source : sources)
      add(group, protocol, ports, std::move(source), action, static_cast<int>(*priority), origin, fixed, at);
  }

  void add(core::SecurityGroup& group, core::Protocol protocol, const core::PortSet& ports,
           core::RuleSource source, core::RuleAction action, int priority, const core::RuleOrigin& origin,
           bool fixed, const Cursor& at) {
    if (++rule_count_ > kMaxRules) at.fail("more than " + std::to_string(kMaxRules) + " rules");
    core::SecurityGroupRule rule;
    rule.direction = core::Direction::Ingress;
    rule.protocol = protocol;
    rule.ports = ports;
    rule.source = std::move(source);
    rule.action = action;
    rule.priority = priority;
    rule.origin = origin;
    rule.fixed = fixed;
    group.rules.push_back(std::move(rule));
  }

  void nic(const Cursor& at) {
    core::NetworkInterface nic;
    nic.provider = kProvider;
    nic.id = at["id"].requiredString();
    nic.source = location_;
    const Cursor p = props(at);
    nic.device_id = p["virtualMachine"].object()["id"].string();
    if (const Cursor nsg = p["networkSecurityGroup"]; nsg.present())
      nic.security_group_ids.push_back(nsg.object(true)["id"].requiredString());
    const Cursor configs = p["ipConfigurations"];
    for (std::size_t i = 0, n = configs.array(); i < n; ++i) {
      const Cursor config = props(configs[i].object(true));
      const std::string address = config["privateIPAddress"].string();
      if (!address.empty()) {
        if (!core::IpAddress::parse(address)) config["privateIPAddress"].expected("an IP address");
        nic.fixed_ips.push_back(address);
      }
      if (nic.subnet_id.empty()) nic.subnet_id = config["subnet"].object()["id"].string();
      // Application security groups: named address sets whose members are the NICs listing them.
      const Cursor asgs = config["applicationSecurityGroups"];
      for (std::size_t j = 0, m = asgs.array(); j < m && !address.empty(); ++j) {
        core::NamedAddressSet set;
        set.provider = kProvider;
        set.kind = "address-group";
        set.id = lower(asgs[j].object(true)["id"].requiredString());
        set.name = lastSegment(set.id);
        set.entries = {address};
        set.addresses = core::AddressSet::of(*core::IpAddress::parse(address));
        set.source = location_;
        out_.address_sets.push_back(std::move(set));
      }
    }
    out_.interfaces.push_back(std::move(nic));
  }

  void subnet(const Cursor& at, const std::string& vnet_id) {
    core::Network network;
    network.provider = kProvider;
    network.kind = "subnet";
    network.id = at["id"].requiredString();
    network.name = at["name"].string(lastSegment(network.id));
    const auto cut = lower(network.id).find("/subnets/");
    network.parent_id = vnet_id.empty() && cut != std::string::npos ? network.id.substr(0, cut) : vnet_id;
    const Cursor p = props(at);
    addCidr(p["addressPrefix"], network.cidrs);
    const Cursor prefixes = p["addressPrefixes"];
    for (std::size_t i = 0, n = prefixes.array(); i < n; ++i)
      addCidr(prefixes[i], network.cidrs);
    if (const Cursor nsg = p["networkSecurityGroup"]; nsg.present())
      network.security_group_ids.push_back(nsg.object(true)["id"].requiredString());
    network.source = location_;
    out_.networks.push_back(std::move(network));
  }

  void vnet(const Cursor& at) {
    core::Network network;
    network.provider = kProvider;
    network.kind = "vpc";  // a VNet is Azure's VPC: the "vpc" source of a policy
    network.id = at["id"].requiredString();
    network.name = at["name"].string(lastSegment(network.id));
    const Cursor p = props(at);
    const Cursor prefixes = p["addressSpace"].object()["addressPrefixes"];
    for (std::size_t i = 0, n = prefixes.array(); i < n; ++i)
      addCidr(prefixes[i], network.cidrs);
    network.source = location_;
    const std::string id = network.id;
    out_.networks.push_back(std::move(network));
    const Cursor subnets = p["subnets"];
    for (std::size_t i = 0, n = subnets.array(); i < n; ++i)
      subnet(subnets[i].object(true), id);
  }

  void cluster(const Cursor& at) {
    core::ClusterNetworking cluster;
    cluster.provider = kProvider;
    cluster.id = at["id"].string();
    cluster.name = at["name"].string(lastSegment(cluster.id));
    const Cursor p = props(at);
    const Cursor network = p["networkProfile"].object();
    cluster.container_network_mode = network["networkPlugin"].string();
    if (const std::string pods = network["podCidr"].string(); !pods.empty()) {
      std::vector<std::string> cidrs;
      addCidr(network["podCidr"], cidrs);
      cluster.container_cidrs = cidrs;
    }
    cluster.service_cidr = network["serviceCidr"].string();
    const Cursor pools = p["agentPoolProfiles"];
    for (std::size_t i = 0, n = pools.array(); i < n; ++i) {
      const std::string subnet = pools[i].object(true)["vnetSubnetId"].string();
      if (subnet.empty()) continue;
      cluster.subnet_ids.push_back(subnet);
      // The VNet of the node pools' subnets (a cluster on AKS's own managed VNet names none).
      const auto cut = lower(subnet).find("/subnets/");
      if (cluster.vpc_id.empty() && cut != std::string::npos) cluster.vpc_id = subnet.substr(0, cut);
    }
    cluster.source = location_;
    out_.clusters.push_back(std::move(cluster));
  }

  void addCidr(const Cursor& at, std::vector<std::string>& to) {
    if (!at.present()) return;
    const std::string text = at.requiredString();
    auto parsed = core::Cidr::parse(text);
    if (!parsed) at.fail("\"" + text + "\": " + parsed.error().message);
    to.push_back(parsed->toString());
  }

  std::string source_;
  std::vector<std::string>* warnings_;
  core::SourceLocation location_;
  core::CloudInventory out_;
  std::size_t rule_count_ = 0;
};

}  // namespace

std::optional<std::string> recognise(const json& document) {
  const std::string type = typeOf(document);
  if (type == "microsoft.network/networksecuritygroups") return std::string(kind::kNsgs);
  if (type == "microsoft.network/networkinterfaces") return std::string(kind::kNics);
  if (type == "microsoft.network/virtualnetworks/subnets") return std::string(kind::kSubnets);
  if (type == "microsoft.network/virtualnetworks") return std::string(kind::kVnets);
  if (type == "microsoft.containerservice/managedclusters") return std::string(kind::kAksCluster);
  return std::nullopt;
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
  // NSGs by id (ids are case-insensitive in Azure, and providerIDs and ARM differ in case).
  std::map<std::string, std::string> nsg_by_key;
  for (const auto& group : inventory.security_groups) {
    if (group.provider == kProvider) nsg_by_key[lower(group.group->id)] = group.group->id;
  }
  if (nsg_by_key.empty()) return;
  auto nsgOf = [&](const std::vector<std::string>& ids, std::string& into) {
    for (const auto& id : ids) {
      if (const auto found = nsg_by_key.find(lower(id)); found != nsg_by_key.end()) into = found->second;
    }
  };
  // Subnets: their NSG (from a subnet listing or the NSG's own record) and prefixes.
  std::map<std::string, std::string> subnet_nsg;
  core::AddressSet virtual_network;
  for (const auto& network : inventory.networks) {
    if (network.provider != kProvider) continue;
    std::string nsg;
    nsgOf(network.security_group_ids, nsg);
    if (!nsg.empty()) subnet_nsg[lower(network.id)] = nsg;
    if (network.kind == "vpc") {
      for (const auto& text : network.cidrs)
        virtual_network = virtual_network.unite(core::AddressSet::of(*core::Cidr::parse(text)));
    }
  }
  // NICs, merged from the NIC listing and the NSGs' records.
  struct Nic {
    std::string id;
    std::string vm;
    std::string subnet;
    std::string nsg;
    std::vector<std::string> ips;
  };
  std::map<std::string, Nic> nics;
  std::vector<std::string> order;
  for (const auto& interface : inventory.interfaces) {
    if (interface.provider != kProvider) continue;
    const std::string key = lower(interface.id);
    auto [it, added] = nics.try_emplace(key, Nic{interface.id, "", "", "", {}});
    if (added) order.push_back(key);
    Nic& nic = it->second;
    if (!interface.device_id.empty()) nic.vm = interface.device_id;
    if (!interface.subnet_id.empty()) nic.subnet = interface.subnet_id;
    nsgOf(interface.security_group_ids, nic.nsg);
    for (const auto& ip : interface.fixed_ips) {
      if (std::find(nic.ips.begin(), nic.ips.end(), ip) == nic.ips.end()) nic.ips.push_back(ip);
    }
  }
  // Each VM (or scale set VM) an instance, keyed by its lower-cased resource id as AKS's providerID names it.
  std::set<std::string> instances;
  for (const auto& instance : inventory.instances)
    instances.insert(instance.id);
  for (const auto& key : order) {
    const Nic& nic = nics[key];
    if (nic.vm.empty()) continue;
    const std::string id = lower(nic.vm);
    if (!instances.insert(id).second) {
      warnings.push_back("Azure VM " + nic.vm + " has several NICs; sgaudit checks the first listed, " +
                         lastSegment(nic.id) + " is not checked");
      continue;
    }
    core::Instance instance;
    instance.provider = kProvider;
    instance.id = id;
    const std::string scale_set = segmentAfter(nic.vm, "virtualMachineScaleSets");
    instance.name = scale_set.empty() ? lastSegment(nic.vm) : scale_set + "_" + lastSegment(nic.vm);
    instance.private_ips = nic.ips;
    if (const auto subnet = subnet_nsg.find(lower(nic.subnet)); subnet != subnet_nsg.end()) {
      instance.firewall_layers.push_back({"NSG of subnet " + lastSegment(nic.subnet),
                                          core::EvaluationModel::FirstMatchByPriority,
                                          {subnet->second}});
    }
    if (!nic.nsg.empty()) {
      instance.firewall_layers.push_back(
          {"NSG of NIC " + lastSegment(nic.id), core::EvaluationModel::FirstMatchByPriority, {nic.nsg}});
    }
    if (instance.firewall_layers.empty()) {
      warnings.push_back("Azure VM " + instance.name +
                         " has no NSG on its subnet or its NIC: Azure admits every "
                         "inbound packet, and sgaudit cannot check its ports against rules");
    }
    for (const auto& layer : instance.firewall_layers)
      instance.security_group_ids.push_back(layer.group_ids.front());
    inventory.instances.push_back(std::move(instance));
  }
  // The service tags the inventory can define: VirtualNetwork (the VNets' address spaces), AzureLoadBalancer
  // (Azure's health probe address) and Internet (everything outside the virtual network).
  auto tag = [&](const std::string& name, const core::AddressSet& addresses,
                 std::vector<std::string> entries) {
    core::NamedAddressSet set;
    set.provider = kProvider;
    set.kind = "service-tag";
    set.id = name;
    set.name = name;
    set.addresses = addresses;
    set.entries = std::move(entries);
    inventory.address_sets.push_back(std::move(set));
  };
  if (!virtual_network.empty()) {
    std::vector<std::string> entries;
    for (const auto& cidr : virtual_network.toCidrs())
      entries.push_back(cidr.toString());
    tag("VirtualNetwork", virtual_network, entries);
  } else {
    warnings.push_back(
        "no Azure VNet is among the inputs (az network vnet list): the service tag VirtualNetwork stays "
        "unresolved");
  }
  tag("AzureLoadBalancer", core::AddressSet::of(*core::Cidr::parse("168.63.129.16/32")),
      {"168.63.129.16/32"});
  tag("Internet", core::AddressSet::all().subtract(virtual_network), {"everything outside VirtualNetwork"});
}

}  // namespace sgaudit::cloud::azure
