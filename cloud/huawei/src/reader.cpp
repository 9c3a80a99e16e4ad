#include "sgaudit/cloud/huawei/reader.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "sgaudit/cloud/json_walk.hpp"

namespace sgaudit::cloud::huawei {
namespace {

using core::CloudInventory;
using json = nlohmann::json;
using json_walk::Cursor;

bool isObjectWith(const json& doc, const char* key) {
  return doc.is_object() && doc.contains(key);
}

// The first element of an array-valued key, or the object under a singular key.
const json* sample(const json& doc, const char* plural, const char* singular) {
  if (isObjectWith(doc, plural) && doc[plural].is_array()) {
    return doc[plural].empty() ? &doc[plural] : &doc[plural][0];
  }
  if (isObjectWith(doc, singular) && doc[singular].is_object()) return &doc[singular];
  return nullptr;
}

// An ECS server as Huawei Cloud's own API prints it (GET /v1/{project_id}/cloudservers/detail), told from
// the Compute API's (Nova) shape by what only ECS adds: enterprise_project_id (only with enterprise
// projects), metadata.vpc_id and the metering.* keys, sys_tags, os:scheduler_hints, or the list's count.
// Servers with none of them are the Compute API's, which the OpenStack reader reads.
bool looksLikeEcsServer(const json& doc, const json& server) {
  if (server.contains("enterprise_project_id") || server.contains("sys_tags") ||
      server.contains("os:scheduler_hints") || (doc.contains("count") && doc.contains("servers"))) {
    return true;
  }
  const auto metadata = server.find("metadata");
  if (metadata == server.end() || !metadata->is_object()) return false;
  for (const auto& [key, value] : metadata->items()) {
    if (key == "vpc_id" || key.starts_with("metering.") || key == "charging_mode") return true;
  }
  return false;
}

bool looksLikeV3Rule(const json& rule) {
  return rule.is_object() &&
         (rule.contains("multiport") || rule.contains("action") || rule.contains("priority"));
}

core::Direction parseDirection(const Cursor& field) {
  const std::string text = field.requiredString();
  if (text == "ingress") return core::Direction::Ingress;
  if (text == "egress") return core::Direction::Egress;
  field.fail("expected \"ingress\" or \"egress\", got " + field.describe());
}

core::Ethertype parseEthertype(const Cursor& field) {
  const std::string text = field.string("IPv4");  // the API's default
  if (text == "IPv4") return core::Ethertype::IPv4;
  if (text == "IPv6") return core::Ethertype::IPv6;
  field.fail("expected \"IPv4\" or \"IPv6\", got " + field.describe());
}

core::Protocol parseProtocol(const Cursor& field) {
  const std::string text = field.missing() ? std::string() : field.stringOrNumber().value();
  if (text.empty() || text == "any") return core::Protocol::any();
  auto parsed = core::Protocol::parse(text);
  if (!parsed)
    field.fail("expected tcp, udp, icmp, icmpv6, any or a protocol number 0-255, got " + field.describe());
  return *parsed;
}

// v3 "multiport": "22,80,8000-9000", or a bare number; null or empty = every port.
core::PortSet parseMultiport(const Cursor& field, const core::Protocol& protocol) {
  const auto text = field.stringOrNumber();
  if (!text || text->empty()) return core::PortSet::all();
  if (!protocol.hasPorts()) {
    // ICMP rules carry "type" or "type,code"... only when the protocol has keys; others ignore ports.
    if (!protocol.isIcmp()) return core::PortSet::all();
    const auto comma = text->find(',');
    auto number = [&](std::string_view part) {
      int value = -1;
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
      if (ec != std::errc() || end != part.data() + part.size() || value < 0 || value > 255) {
        field.fail("\"" + *text + "\": expected an ICMP type, or type,code, each 0-255");
      }
      return static_cast<std::uint8_t>(value);
    };
    const std::string_view whole(*text);
    if (comma == std::string::npos) return core::PortSet::of(core::PortRange::icmpType(number(whole)));
    return core::PortSet::of(
        core::PortRange::icmpTypeCode(number(whole.substr(0, comma)), number(whole.substr(comma + 1))));
  }
  core::PortSet ports;
  std::string_view rest(*text);
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    const auto dash = entry.find('-');
    auto number = [&](std::string_view part) {
      long value = -1;
      const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
      if (part.empty() || ec != std::errc() || end != part.data() + part.size()) {
        field.fail("\"" + *text + "\": expected ports like 22,80,8000-9000");
      }
      if (value < 0 || value > 65535)
        field.fail("\"" + *text + "\": port " + std::string(part) + " is not within 0-65535");
      return value;
    };
    const long first = number(entry.substr(0, dash));
    const long last = dash == std::string_view::npos ? first : number(entry.substr(dash + 1));
    if (first > last) field.fail("\"" + std::string(entry) + "\": range start after end");
    ports.add(core::PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return ports;
}

// v1 port_range_min/max: null = every port; for ICMP they are type and code.
core::PortSet parseRange(const Cursor& min_field, const Cursor& max_field, const core::Protocol& protocol) {
  const auto min = min_field.integer();
  const auto max = max_field.integer();
  if (!protocol.hasKey() || (!min && !max)) return core::PortSet::all();
  if (protocol.isIcmp()) {
    if (!min || *min < 0 || *min > 255)
      min_field.fail("expected an ICMP type 0-255, got " + min_field.describe());
    if (!max || *max < 0)
      return core::PortSet::of(core::PortRange::icmpType(static_cast<std::uint8_t>(*min)));
    if (*max > 255) max_field.fail("expected an ICMP code 0-255, got " + max_field.describe());
    return core::PortSet::of(
        core::PortRange::icmpTypeCode(static_cast<std::uint8_t>(*min), static_cast<std::uint8_t>(*max)));
  }
  auto range = core::PortRange::make(min.value_or(1), max.value_or(min.value_or(65535)));
  if (!range) min_field.fail(range.error().message);
  return core::PortSet::of(*range);
}

// Where a rule's traffic comes from: remote_ip_prefix, remote_group_id or remote_address_group_id; none of
// them means every address of the rule's ethertype.
core::RuleSource parseSource(const Cursor& rule, core::Ethertype ethertype) {
  const Cursor prefix = rule["remote_ip_prefix"];
  const Cursor group = rule["remote_group_id"];
  const Cursor address_group = rule["remote_address_group_id"];
  const int given = !prefix.missing() + !group.missing() + !address_group.missing();
  if (given > 1) {
    rule.fail("expected at most one of remote_ip_prefix, remote_group_id and remote_address_group_id");
  }
  if (!group.missing()) return core::SecurityGroupRef{group.requiredString()};
  if (!address_group.missing()) return core::AddressGroupRef{address_group.requiredString()};
  const std::string text =
      prefix.missing() ? (ethertype == core::Ethertype::IPv6 ? "::/0" : "0.0.0.0/0") : prefix.string();
  auto cidr = core::Cidr::parse(text);
  if (!cidr) prefix.fail("\"" + text + "\": " + cidr.error().message);
  const bool v6 = cidr->family() == core::IpFamily::V6;
  if ((ethertype == core::Ethertype::IPv4 && v6) || (ethertype == core::Ethertype::IPv6 && !v6)) {
    prefix.fail("\"" + text + "\" does not match the rule's ethertype " + core::toString(ethertype));
  }
  return *cidr;
}

core::SecurityGroupRule parseRule(const Cursor& rule, bool v3, const std::string& group_id,
                                  const std::string& group_name) {
  rule.object(true);
  core::SecurityGroupRule out;
  out.direction = parseDirection(rule["direction"]);
  out.ethertype = parseEthertype(rule["ethertype"]);
  out.protocol = parseProtocol(rule["protocol"]);
  out.ports = v3 ? parseMultiport(rule["multiport"], out.protocol)
                 : parseRange(rule["port_range_min"], rule["port_range_max"], out.protocol);
  out.source = parseSource(rule, out.ethertype);
  if (v3) {
    const std::string action = rule["action"].string("allow");
    if (action != "allow" && action != "deny")
      rule["action"].fail("expected \"allow\" or \"deny\", got " + rule["action"].describe());
    out.action = action == "deny" ? core::RuleAction::Deny : core::RuleAction::Allow;
    const auto priority = rule["priority"].stringOrNumber();
    int value = 1;
    if (priority) {
      const auto [end, ec] = std::from_chars(priority->data(), priority->data() + priority->size(), value);
      if (ec != std::errc() || end != priority->data() + priority->size() || value < 1 || value > 100) {
        rule["priority"].fail("expected a priority 1-100, got " + rule["priority"].describe());
      }
    }
    out.priority = value;
  }
  out.origin = {kProvider, group_id, group_name, rule["id"].string(), rule["description"].string()};
  return out;
}

CloudInventory& groupInto(CloudInventory& inventory, const std::string& id, const std::string& name,
                          core::EvaluationModel model, const std::string& vpc_id,
                          const std::string& description, std::vector<core::SecurityGroupRule> rules,
                          const std::string& source) {
  auto group = std::make_shared<core::SecurityGroup>();
  group->id = id;
  group->name = name;
  group->rules = std::move(rules);
  inventory.security_groups.push_back({kProvider, model, std::move(group), vpc_id, description, {source, 0}});
  return inventory;
}

void readV3Groups(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  auto readGroup = [&](const Cursor& group) {
    group.object(true);
    const std::string id = group["id"].requiredString();
    const std::string name = group["name"].string();
    std::vector<core::SecurityGroupRule> rules;
    const Cursor nested = group["security_group_rules"];
    for (std::size_t i = 0; i < nested.array(); ++i)
      rules.push_back(parseRule(nested[i], true, id, name));
    groupInto(inventory, id, name, core::EvaluationModel::FirstMatchByPriority, group["vpc_id"].string(),
              group["description"].string(), std::move(rules), source);
  };
  if (!root["security_group"].missing()) return readGroup(root["security_group"]);
  const Cursor groups = root["security_groups"];
  for (std::size_t i = 0; i < groups.array(); ++i)
    readGroup(groups[i]);
}

void readV1Groups(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  auto readGroup = [&](const Cursor& group) {
    group.object(true);
    const std::string id = group["id"].requiredString();
    const std::string name = group["name"].string();
    std::vector<core::SecurityGroupRule> rules;
    const Cursor nested = group["security_group_rules"];
    for (std::size_t i = 0; i < nested.array(); ++i)
      rules.push_back(parseRule(nested[i], false, id, name));
    groupInto(inventory, id, name, core::EvaluationModel::Union, group["vpc_id"].string(),
              group["description"].string(), std::move(rules), source);
  };
  if (!root["security_group"].missing()) return readGroup(root["security_group"]);
  const Cursor groups = root["security_groups"];
  for (std::size_t i = 0; i < groups.array(); ++i)
    readGroup(groups[i]);
}

// A rule listing names its groups only by id; the audit joins them with the groups' own listing.
void readV3Rules(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  // In the order the groups first appear; a listing of a region holds thousands of groups.
  std::vector<std::pair<std::string, std::vector<core::SecurityGroupRule>>> by_group;
  std::unordered_map<std::string, std::size_t> index_of;
  auto readRule = [&](const Cursor& rule) {
    rule.object(true);
    const std::string group_id = rule["security_group_id"].requiredString();
    const auto [it, added] = index_of.try_emplace(group_id, by_group.size());
    if (added) by_group.emplace_back(group_id, std::vector<core::SecurityGroupRule>{});
    by_group[it->second].second.push_back(parseRule(rule, true, group_id, ""));
  };
  if (!root["security_group_rule"].missing()) {
    readRule(root["security_group_rule"]);
  } else {
    const Cursor rules = root["security_group_rules"];
    for (std::size_t i = 0; i < rules.array(); ++i)
      readRule(rules[i]);
  }
  for (auto& [group_id, rules] : by_group) {
    groupInto(inventory, group_id, "", core::EvaluationModel::FirstMatchByPriority, "", "", std::move(rules),
              source);
  }
}

void readAddressGroups(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  auto readGroup = [&](const Cursor& group) {
    group.object(true);
    core::NamedAddressSet set;
    set.provider = kProvider;
    set.kind = "address-group";
    set.id = group["id"].requiredString();
    set.name = group["name"].string();
    set.source = {source, 0};
    const Cursor entries = group["ip_set"];
    for (std::size_t i = 0; i < entries.array(); ++i) {
      const Cursor entry = entries[i];
      const std::string text = entry.requiredString();
      // Address groups also accept ranges "10.0.0.1-10.0.0.9".
      const auto dash = text.find('-');
      if (dash != std::string::npos) {
        auto first = core::IpAddress::parse(text.substr(0, dash));
        auto last = core::IpAddress::parse(text.substr(dash + 1));
        if (!first || !last || first->family != last->family || last->value < first->value) {
          entry.fail("\"" + text + "\": expected a CIDR, an address or a range FIRST-LAST of one family");
        }
        set.addresses.add(first->family, core::AddressRange{first->value, last->value});
      } else {
        auto cidr = core::Cidr::parse(text);
        if (!cidr) entry.fail("\"" + text + "\": " + cidr.error().message);
        set.addresses.add(*cidr);
      }
      set.entries.push_back(text);
    }
    inventory.address_sets.push_back(std::move(set));
  };
  if (!root["address_group"].missing()) return readGroup(root["address_group"]);
  const Cursor groups = root["address_groups"];
  for (std::size_t i = 0; i < groups.array(); ++i)
    readGroup(groups[i]);
}

void readServers(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  auto readServer = [&](const Cursor& server) {
    server.object(true);
    core::Instance instance;
    instance.provider = kProvider;
    instance.id = server["id"].requiredString();
    instance.name = server["name"].string();
    instance.vpc_id = server["metadata"]["vpc_id"].string();
    instance.source = {source, 0};
    const Cursor addresses = server["addresses"];
    if (!addresses.missing()) {
      addresses.object(true);
      for (const auto& [network, list] : addresses.json().items()) {
        const Cursor entries = addresses[network];
        if (instance.vpc_id.empty()) instance.vpc_id = network;
        for (std::size_t i = 0; i < entries.array(); ++i) {
          const Cursor entry = entries[i];
          const std::string address = entry["addr"].requiredString();
          const std::string type = entry["OS-EXT-IPS:type"].string("fixed");
          (type == "floating" ? instance.public_ips : instance.private_ips).push_back(address);
          const std::string port_id = entry["OS-EXT-IPS:port_id"].string();
          if (!port_id.empty() && type != "floating") {
            core::NetworkInterface nic;
            nic.provider = kProvider;
            nic.id = port_id;
            nic.device_id = instance.id;
            nic.fixed_ips = {address};
            nic.source = instance.source;
            instance.interfaces.push_back(std::move(nic));
          }
        }
        (void)list;
      }
    }
    const Cursor groups = server["security_groups"];
    for (std::size_t i = 0; i < groups.array(); ++i) {
      const Cursor group = groups[i];
      // ECS prints {name, id}; older responses give only the name, which the audit resolves by name.
      std::string id = group["id"].string();
      if (id.empty()) id = "name:" + group["name"].requiredString();
      instance.security_group_ids.push_back(id);
    }
    // One layer, the groups in the server's order; under the model the groups were read with (a v1 listing is
    // allow-only, so evaluating it as a union is exact), which the server cannot tell.
    instance.firewall_layers = {
        {"security groups of " + instance.id, std::nullopt, instance.security_group_ids}};
    inventory.instances.push_back(std::move(instance));
  };
  if (!root["server"].missing()) return readServer(root["server"]);
  const Cursor servers = root["servers"];
  for (std::size_t i = 0; i < servers.array(); ++i)
    readServer(servers[i]);
}

void readNetworks(const Cursor& root, CloudInventory& inventory, const std::string& source, bool subnets) {
  auto readOne = [&](const Cursor& item) {
    item.object(true);
    core::Network network;
    network.provider = kProvider;
    network.kind = subnets ? "subnet" : "vpc";
    network.id = item["id"].requiredString();
    network.name = item["name"].string();
    network.parent_id = subnets ? item["vpc_id"].string() : "";
    network.source = {source, 0};
    for (const char* key : {"cidr", "cidr_v6"}) {
      const Cursor cidr = item[key];
      if (cidr.missing() || cidr.string().empty()) continue;
      auto parsed = core::Cidr::parse(cidr.string());
      if (!parsed) cidr.fail("\"" + cidr.string() + "\": " + parsed.error().message);
      network.cidrs.push_back(parsed->toString());
    }
    const Cursor extra = item["extend_cidrs"];
    for (std::size_t i = 0; i < extra.array(); ++i) {
      auto parsed = core::Cidr::parse(extra[i].requiredString());
      if (!parsed) extra[i].fail(parsed.error().message);
      network.cidrs.push_back(parsed->toString());
    }
    inventory.networks.push_back(std::move(network));
  };
  const char* singular = subnets ? "subnet" : "vpc";
  const char* plural = subnets ? "subnets" : "vpcs";
  if (!root[singular].missing()) return readOne(root[singular]);
  const Cursor items = root[plural];
  for (std::size_t i = 0; i < items.array(); ++i)
    readOne(items[i]);
}

void readClusters(const Cursor& root, CloudInventory& inventory, const std::string& source) {
  auto readCluster = [&](const Cursor& cluster) {
    cluster.object(true);
    core::ClusterNetworking out;
    out.provider = kProvider;
    out.id = cluster["metadata"]["uid"].string();
    out.name = cluster["metadata"]["name"].requiredString();
    out.source = {source, 0};
    const Cursor host = cluster["spec"]["hostNetwork"];
    out.vpc_id = host["vpc"].string();
    if (const std::string subnet = host["subnet"].string(); !subnet.empty()) out.subnet_ids.push_back(subnet);
    if (const std::string group = host["SecurityGroup"].string(); !group.empty()) {
      out.node_security_group_ids.push_back(group);
    }
    const Cursor container = cluster["spec"]["containerNetwork"];
    out.container_network_mode = container["mode"].string();
    auto addCidr = [&](const Cursor& field) {
      const std::string text = field.string();
      if (text.empty()) return;
      auto parsed = core::Cidr::parse(text);
      if (!parsed) field.fail("\"" + text + "\": " + parsed.error().message);
      out.container_cidrs.push_back(parsed->toString());
    };
    addCidr(container["cidr"]);
    const Cursor cidrs = container["cidrs"];
    for (std::size_t i = 0; i < cidrs.array(); ++i)
      addCidr(cidrs[i]["cidr"]);
    out.service_cidr = cluster["spec"]["kubernetesSvcIpRange"].string();
    if (out.service_cidr.empty()) out.service_cidr = cluster["spec"]["serviceNetwork"]["IPv4CIDR"].string();
    inventory.clusters.push_back(std::move(out));
  };
  if (root["items"].missing()) return readCluster(root);
  const Cursor items = root["items"];
  for (std::size_t i = 0; i < items.array(); ++i)
    readCluster(items[i]);
}

}  // namespace

std::optional<std::string> recognise(const json& doc) {
  if (!doc.is_object()) return std::nullopt;
  if (const json* group = sample(doc, "security_groups", "security_group")) {
    if (group->is_array()) return std::nullopt;  // an empty list: no way to tell v1 from v3 or Neutron
    const json& rules = group->contains("security_group_rules") ? (*group)["security_group_rules"] : json();
    const bool v1_rules = rules.is_array() && !rules.empty() && rules[0].is_object() &&
                          !looksLikeV3Rule(rules[0]) && !rules[0].contains("project_id");
    if (group->contains("enterprise_project_id") || group->contains("vpc_id")) {
      return v1_rules || (rules.is_array() && group->contains("vpc_id")) ? "huawei.vpc.v1.security-groups"
                                                                         : "huawei.vpc.v3.security-groups";
    }
    if (rules.is_array() && !rules.empty() && looksLikeV3Rule(rules[0]))
      return "huawei.vpc.v3.security-groups";
    return std::nullopt;
  }
  if (const json* rule = sample(doc, "security_group_rules", "security_group_rule")) {
    if (looksLikeV3Rule(*rule)) return "huawei.vpc.v3.security-group-rules";
    return std::nullopt;
  }
  if (const json* group = sample(doc, "address_groups", "address_group")) {
    if (group->is_array() || group->contains("ip_set")) return "huawei.vpc.v3.address-groups";
  }
  if (const json* server = sample(doc, "servers", "server")) {
    if (server->is_object() && looksLikeEcsServer(doc, *server)) return "huawei.ecs.servers";
  }
  if (const json* vpc = sample(doc, "vpcs", "vpc")) {
    // VPC v3 adds extend_cidrs, cloud_resources, tags as objects, project_id; both read the same way.
    if (vpc->is_object() && vpc->contains("cidr") &&
        (vpc->contains("cloud_resources") || vpc->contains("extend_cidrs") || vpc->contains("project_id"))) {
      return "huawei.vpc.v3.vpcs";
    }
    if (vpc->is_array() || vpc->contains("cidr")) return "huawei.vpc.v1.vpcs";
  }
  if (const json* subnet = sample(doc, "subnets", "subnet")) {
    if (subnet->is_object() && subnet->contains("vpc_id")) return "huawei.vpc.v1.subnets";
  }
  // Not doc.value("kind", ""): that throws when "kind" is there but not a string.
  if (const auto kind = doc.find("kind");
      kind != doc.end() && *kind == "Cluster" && doc.contains("apiVersion"))
    return "huawei.cce.clusters";
  return std::nullopt;
}

bool isMarked(const json& document) {
  if (!document.is_object()) return false;
  if (document.contains("request_id")) return true;
  auto any = [&](const char* plural, const char* singular, auto&& predicate) {
    if (const auto it = document.find(singular); it != document.end() && it->is_object() && predicate(*it))
      return true;
    const auto list = document.find(plural);
    return list != document.end() && list->is_array() &&
           std::any_of(list->begin(), list->end(),
                       [&](const json& element) { return element.is_object() && predicate(element); });
  };
  auto marked_rule = [](const json& rule) {
    return rule.contains("multiport") || rule.contains("priority") || rule.contains("action");
  };
  auto marked_group = [&](const json& group) {
    if (group.contains("vpc_id") || group.contains("enterprise_project_id")) return true;
    const auto rules = group.find("security_group_rules");
    return rules != group.end() && rules->is_array() &&
           std::any_of(rules->begin(), rules->end(),
                       [&](const json& rule) { return rule.is_object() && marked_rule(rule); });
  };
  return any("security_groups", "security_group", marked_group) ||
         any("security_group_rules", "security_group_rule", marked_rule) ||
         any("subnets", "subnet", [](const json& subnet) { return subnet.contains("vpc_id"); });
}

Parsed<CloudInventory> parse(const std::string& kind, const json& document, const std::string& source) {
  CloudInventory inventory;
  const Cursor root(&document, "");
  try {
    root.object(true);
    if (kind == "huawei.vpc.v3.security-groups") {
      readV3Groups(root, inventory, source);
    } else if (kind == "huawei.vpc.v1.security-groups") {
      readV1Groups(root, inventory, source);
    } else if (kind == "huawei.vpc.v3.security-group-rules") {
      readV3Rules(root, inventory, source);
    } else if (kind == "huawei.vpc.v3.address-groups") {
      readAddressGroups(root, inventory, source);
    } else if (kind == "huawei.ecs.servers") {
      readServers(root, inventory, source);
    } else if (kind == "huawei.vpc.v1.vpcs" || kind == "huawei.vpc.v3.vpcs") {
      readNetworks(root, inventory, source, false);
    } else if (kind == "huawei.vpc.v1.subnets") {
      readNetworks(root, inventory, source, true);
    } else if (kind == "huawei.cce.clusters") {
      readClusters(root, inventory, source);
    } else {
      return InputError{source, "", "not a Huawei Cloud input kind: " + kind};
    }
  } catch (const json_walk::Failure& error) {
    return InputError{source, error.pointer, error.message};
  }
  return inventory;
}

}  // namespace sgaudit::cloud::huawei
