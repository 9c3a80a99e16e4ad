#include "sgaudit/cloud/openstack/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/json_walk.hpp"

namespace sgaudit::cloud::openstack {

namespace detail = ::sgaudit::cloud::json_walk;
namespace {

using detail::Cursor;
using detail::fail;
using nlohmann::json;

constexpr const char* kProvider = "openstack";
constexpr std::size_t kMaxRules = 1'000'000;
constexpr std::string_view kProtocolExpected =
    "one of tcp, udp, icmp, ipv6-icmp, another protocol name Neutron knows, a protocol number 0-255 or null";

// The protocol names Neutron accepts (neutron_lib.constants.IP_PROTOCOL_MAP), with their numbers.
struct NamedProtocol {
  std::string_view name;
  int number;
};
constexpr NamedProtocol kNeutronProtocols[] = {
    {"ah", 51},         {"dccp", 33},      {"egp", 8},       {"esp", 50},        {"gre", 47},
    {"hopopt", 0},      {"icmp", 1},       {"igmp", 2},      {"ipip", 4},        {"ipv6-encap", 41},
    {"ipv6-frag", 44},  {"ipv6-icmp", 58}, {"icmpv6", 58},   {"ipv6-nonxt", 59}, {"ipv6-opts", 60},
    {"ipv6-route", 43}, {"ospf", 89},      {"pgm", 113},     {"rsvp", 46},       {"sctp", 132},
    {"tcp", 6},         {"udp", 17},       {"udplite", 136}, {"vrrp", 112},      {"any", -1},
};

std::optional<int> decimal(std::string_view text, int min, int max) {
  int value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) return std::nullopt;
  return value;
}

core::Protocol protocol(const Cursor& at) {
  if (!at.present()) return core::Protocol::any();
  if (at.json().is_number()) {
    const auto number = at.optionalInteger(0, 255, kProtocolExpected);
    return *core::Protocol::fromNumber(static_cast<int>(*number));
  }
  if (!at.json().is_string()) at.expected(kProtocolExpected);
  std::string name = at.string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& known : kNeutronProtocols) {
    if (known.name == name) return *core::Protocol::fromNumber(known.number);
  }
  if (const auto number = decimal(name, 0, 255)) return *core::Protocol::fromNumber(*number);
  at.expected(kProtocolExpected);
}

core::Ethertype ethertype(const Cursor& at, bool required) {
  const auto text = at.optionalString();
  if (!text) {
    if (required) at.expected("IPv4 or IPv6");
    return core::Ethertype::IPv4;  // Neutron's default
  }
  if (*text == "IPv4") return core::Ethertype::IPv4;
  if (*text == "IPv6") return core::Ethertype::IPv6;
  at.expected("IPv4 or IPv6");
}

core::Direction direction(const Cursor& at) {
  const auto text = at.optionalString();
  if (text == "ingress") return core::Direction::Ingress;
  if (text == "egress") return core::Direction::Egress;
  at.expected("ingress or egress");
}

// The key set of a rule from its range ends (nullopt = null). Neutron applies port ranges to TCP, UDP, SCTP,
// DCCP and UDP-Lite; the core keys ports for TCP, UDP and SCTP only, so DCCP and UDP-Lite rules count as all
// ports (an over-approximation of what they admit). ICMP's min is the type and max the code.
core::PortSet keys(core::Protocol protocol, std::optional<std::int64_t> min, std::optional<std::int64_t> max,
                   const std::string& pointer) {
  if (!protocol.hasKey()) return core::PortSet::all();
  if (protocol.isIcmp()) {
    if (!min) return core::PortSet::all();
    if (*min > 255) fail(pointer, "ICMP type " + std::to_string(*min) + " is not within 0-255");
    if (max && *max > 255) fail(pointer, "ICMP code " + std::to_string(*max) + " is not within 0-255");
    const auto type = static_cast<std::uint8_t>(*min);
    if (!max) return core::PortSet::of(core::PortRange::icmpType(type));
    return core::PortSet::of(core::PortRange::icmpTypeCode(type, static_cast<std::uint8_t>(*max)));
  }
  if (!min && !max) return core::PortSet::all();
  const std::int64_t first = min.value_or(*max);
  const std::int64_t last = max.value_or(*min);
  if (first > last) {
    fail(pointer, "\"" + std::to_string(first) + ":" + std::to_string(last) + "\": range start after end");
  }
  return core::PortSet::of(
      core::PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
}

core::Cidr anyOf(core::Ethertype ethertype) {
  return core::Cidr::containing(
      ethertype == core::Ethertype::IPv6 ? core::IpAddress::v6(0) : core::IpAddress::v4(0), 0);
}

core::Cidr cidr(const Cursor& at) {
  const std::string text = at.requiredString();
  auto parsed = core::Cidr::parse(text);
  if (!parsed) fail(at.pointer(), parsed.error().message);
  return *parsed;
}

// The "Port Range" column of `openstack security group rule list`: "" (all), "22:22", and for ICMP "type=8",
// "type=3:code=1" and ":code=1" (the client drops a zero type, so that is type 0).
core::PortSet cliPortRange(core::Protocol protocol, const Cursor& at) {
  const std::string text = at.string();
  auto bad = [&](std::string_view why) { fail(at.pointer(), "\"" + text + "\": " + std::string(why)); };
  if (text.empty()) return core::PortSet::all();
  if (protocol.isIcmp()) {
    std::string_view rest = text;
    std::optional<std::int64_t> type = 0;
    std::optional<std::int64_t> code;
    if (rest.starts_with("type=")) {
      const auto colon = rest.find(':');
      type = decimal(rest.substr(5, colon == std::string_view::npos ? colon : colon - 5), 0, 255);
      if (!type) bad("expected an ICMP type 0-255 after type=");
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon);
    }
    if (!rest.empty()) {
      if (!rest.starts_with(":code=")) bad("expected type=T, type=T:code=C or empty");
      code = decimal(rest.substr(6), 0, 255);
      if (!code) bad("expected an ICMP code 0-255 after code=");
    }
    return keys(protocol, type, code, at.pointer());
  }
  const auto colon = text.find(':');
  if (colon == std::string::npos) bad("expected FIRST:LAST or empty");
  const auto first = decimal(std::string_view(text).substr(0, colon), 0, 65535);
  const auto last = decimal(std::string_view(text).substr(colon + 1), 0, 65535);
  if (!first || !last) bad("expected FIRST:LAST with ports 0-65535");
  if (*first > *last) bad("range start after end");
  if (!protocol.hasKey()) return core::PortSet::all();
  return core::PortSet::of(
      core::PortRange{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)});
}

class Reader {
 public:
  Reader(std::string_view source, const ParseOptions& options)
      : source_(source), options_(options), location_{std::string(source), 0} {}

  core::CloudInventory read(std::string_view kind, const json& document) {
    const Cursor root(&document, "");
    if (kind == kind::kCliSecurityGroupList) {
      cliGroupList(root);
    } else if (kind == kind::kCliSecurityGroupShow) {
      root.object(true);
      neutronGroup(root, "rules");
    } else if (kind == kind::kCliSecurityGroupRuleList) {
      cliRuleList(root);
    } else if (kind == kind::kSecurityGroups) {
      root.object(true);
      const Cursor list = root["security_groups"];
      for (std::size_t i = 0, n = list.array(true); i < n; ++i)
        neutronGroup(list[i], "security_group_rules");
    } else if (kind == kind::kSecurityGroup) {
      root.object(true);
      neutronGroup(root["security_group"], "security_group_rules");
    } else if (kind == kind::kSecurityGroupRules) {
      root.object(true);
      const Cursor list = root["security_group_rules"];
      for (std::size_t i = 0, n = list.array(true); i < n; ++i) {
        const Cursor at = list[i];
        at.object(true);
        auto rule = neutronRule(at);
        addRule(groupById(at["security_group_id"].requiredString()), std::move(rule), at);
      }
    } else if (kind == kind::kSecurityGroupRule) {
      root.object(true);
      const Cursor at = root["security_group_rule"];
      at.object(true);
      auto rule = neutronRule(at);
      addRule(groupById(at["security_group_id"].requiredString()), std::move(rule), at);
    } else if (kind == kind::kPorts) {
      root.object(true);
      ports(root["ports"]);
    } else if (kind == kind::kPort) {
      root.object(true);
      port(root["port"]);
    } else if (kind == kind::kServers) {
      root.object(true);
      if (root["server"].present()) {
        server(root["server"]);
      } else {
        const Cursor list = root["servers"];
        for (std::size_t i = 0, n = list.array(true); i < n; ++i)
          server(list[i]);
      }
    } else if (kind == kind::kNetworks) {
      root.object(true);
      networks(root["networks"]);
    } else if (kind == kind::kSubnets) {
      root.object(true);
      subnets(root["subnets"]);
    } else {
      fail("", "unknown OpenStack input kind \"" + std::string(kind) + "\"");
    }
    for (std::size_t i = 0; i < pending_.size(); ++i)
      out_.security_groups[i].group = std::move(pending_[i]);
    return std::move(out_);
  }

 private:
  // A group (and its still mutable SecurityGroup), made on first mention.
  std::size_t groupById(const std::string& id, const std::string& name = {}) {
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i]->id == id) {
        if (!name.empty()) pending_[i]->name = name;
        return i;
      }
    }
    core::CloudSecurityGroup cloud_group;
    cloud_group.provider = kProvider;
    cloud_group.model = core::EvaluationModel::Union;
    cloud_group.source = location_;
    out_.security_groups.push_back(std::move(cloud_group));
    auto group = std::make_shared<core::SecurityGroup>();
    group->id = id;
    group->name = name;
    pending_.push_back(std::move(group));
    return pending_.size() - 1;
  }

  void addRule(std::size_t group, core::SecurityGroupRule rule, const Cursor& at) {
    if (++rule_count_ > kMaxRules) fail(at.pointer(), "more than " + std::to_string(kMaxRules) + " rules");
    rule.origin.group_id = pending_[group]->id;
    rule.origin.group_name = pending_[group]->name;
    pending_[group]->rules.push_back(std::move(rule));
  }

  // A Networking API rule (also the list form of `security group show`, which drops empty fields).
  core::SecurityGroupRule neutronRule(const Cursor& at) {
    core::SecurityGroupRule rule;
    rule.direction = direction(at["direction"]);
    rule.ethertype = ethertype(at["ethertype"], false);
    rule.protocol = protocol(at["protocol"]);
    const auto min = at["port_range_min"].optionalInteger(0, 65535, "an integer 0..65535 or null");
    const auto max = at["port_range_max"].optionalInteger(0, 65535, "an integer 0..65535 or null");
    rule.ports = keys(rule.protocol, min, max, at.pointer());
    rule.origin = {kProvider, "", "", at["id"].string(), at["description"].string()};

    const Cursor prefix = at["remote_ip_prefix"];
    const Cursor group = at["remote_group_id"];
    const Cursor address_group = at["remote_address_group_id"];
    // Neutron refuses a rule with both, but older releases and some clouds' APIs print remote_ip_prefix
    // beside remote_group_id (as the CLI fills "IP Range"): the remote group is what Neutron matches.
    if (group.present() && address_group.present()) {
      fail(at.pointer(), "expected only one of remote_group_id and remote_address_group_id");
    }
    if (group.present()) {
      rule.source = core::SecurityGroupRef{group.requiredString()};
      if (prefix.present() && options_.warnings != nullptr) {
        options_.warnings->push_back(source_ + ": " + at.pointer() +
                                     ": the rule has both remote_ip_prefix \"" + prefix.string() +
                                     "\" and remote_group_id " + group.string() +
                                     "; read as the remote group, which is what Neutron matches");
      }
    } else if (prefix.present()) {
      if (address_group.present()) {
        fail(at.pointer(), "expected only one of remote_ip_prefix and remote_address_group_id");
      }
      rule.source = cidr(prefix);
    } else if (address_group.present()) {
      rule.source = core::AddressGroupRef{address_group.requiredString()};
    } else {
      rule.source = anyOf(rule.ethertype);  // no remote: every address of the ethertype
    }
    return rule;
  }

  void neutronGroup(const Cursor& at, std::string_view rules_key) {
    at.object(true);
    const std::size_t index = groupById(at["id"].requiredString(), at["name"].string());
    out_.security_groups[index].description = at["description"].string();
    const Cursor rules = at[rules_key];
    if (rules.present() && rules.json().is_string()) {
      fail(
          rules.pointer(),
          "the rules are a formatted string (older python-openstackclient); give the Networking API output "
          "instead (`openstack security group rule list --long -f json`, or GET /v2.0/security-groups/<id>)");
    }
    for (std::size_t i = 0, n = rules.array(); i < n; ++i) {
      const Cursor rule_at = rules[i];
      rule_at.object(true);
      addRule(index, neutronRule(rule_at), rule_at);
    }
  }

  void cliGroupList(const Cursor& root) {
    for (std::size_t i = 0, n = root.array(true); i < n; ++i) {
      const Cursor at = root[i];
      at.object(true);
      const std::size_t index = groupById(at["ID"].requiredString(), at["Name"].string());
      out_.security_groups[index].description = at["Description"].string();
    }
  }

  // `openstack security group rule list -f json`. The client fills "IP Range" with 0.0.0.0/0 or ::/0 whenever
  // the rule has no remote_ip_prefix, also when the remote is a group, so a remote group wins over it.
  void cliRuleList(const Cursor& root) {
    for (std::size_t i = 0, n = root.array(true); i < n; ++i) {
      const Cursor at = root[i];
      at.object(true);
      core::SecurityGroupRule rule;
      const Cursor direction_at = at["Direction"];
      if (!direction_at.present()) {
        fail(direction_at.pointer(), "the list has no Direction column: list the rules with --long");
      }
      rule.direction = direction(direction_at);
      rule.protocol = protocol(at["IP Protocol"]);
      rule.ports = cliPortRange(rule.protocol, at["Port Range"]);
      rule.origin = {kProvider, "", "", at["ID"].string(), at["Description"].string()};

      const Cursor range = at["IP Range"];
      std::optional<core::Cidr> range_cidr;
      if (range.present() && !range.string().empty()) range_cidr = cidr(range);
      if (const Cursor ether = at["Ethertype"]; ether.present()) {
        rule.ethertype = ethertype(ether, true);
      } else if (range_cidr) {
        rule.ethertype =
            range_cidr->family() == core::IpFamily::V6 ? core::Ethertype::IPv6 : core::Ethertype::IPv4;
      } else {
        fail(ether.pointer(), "expected IPv4 or IPv6 (list the rules with --long)");
      }
      if (const Cursor group = at["Remote Security Group"]; group.present()) {
        rule.source = core::SecurityGroupRef{group.requiredString()};
      } else if (const Cursor address_group = at["Remote Address Group"]; address_group.present()) {
        rule.source = core::AddressGroupRef{address_group.requiredString()};
      } else if (range_cidr) {
        rule.source = *range_cidr;
      } else {
        rule.source = anyOf(rule.ethertype);
      }

      std::string group_id = at["Security Group"].string();
      if (group_id.empty()) group_id = options_.group_id;
      if (group_id.empty()) {
        fail(
            at["Security Group"].pointer(),
            "the list does not say which group the rule is in: list all groups' rules, or give the group id");
      }
      addRule(groupById(group_id), std::move(rule), at);
    }
  }

  void ports(const Cursor& list) {
    for (std::size_t i = 0, n = list.array(true); i < n; ++i)
      port(list[i]);
  }

  // A Compute API server: its fixed and floating addresses and its security groups (by name: Nova prints
  // {"name": "default"}, which the audit resolves among the groups read).
  void server(const Cursor& at) {
    at.object(true);
    core::Instance instance;
    instance.provider = kProvider;
    instance.id = at["id"].requiredString();
    instance.name = at["name"].string();
    instance.source = location_;
    const Cursor addresses = at["addresses"];
    addresses.object();
    if (addresses.present()) {
      for (const auto& [network, list] : addresses.json().items()) {
        const Cursor entries = addresses[network];
        if (instance.vpc_id.empty()) instance.vpc_id = network;
        for (std::size_t i = 0, n = entries.array(); i < n; ++i) {
          const Cursor entry = entries[i];
          entry.object(true);
          const Cursor address = entry["addr"];
          if (auto parsed = core::IpAddress::parse(address.requiredString()); !parsed) {
            fail(address.pointer(), parsed.error().message);
          }
          const bool floating = entry["OS-EXT-IPS:type"].string() == "floating";
          (floating ? instance.public_ips : instance.private_ips).push_back(address.string());
        }
        (void)list;
      }
    }
    const Cursor groups = at["security_groups"];
    for (std::size_t i = 0, n = groups.array(); i < n; ++i) {
      const Cursor group = groups[i];
      group.object(true);
      std::string id = group["id"].string();
      if (id.empty()) id = "name:" + group["name"].requiredString();
      if (std::find(instance.security_group_ids.begin(), instance.security_group_ids.end(), id) ==
          instance.security_group_ids.end()) {
        instance.security_group_ids.push_back(id);  // Nova lists a group once per port
      }
    }
    // One layer. Under the model its groups were read with: Huawei Cloud ECS answers this shape too, and its
    // groups may be v3 groups evaluated by priority.
    instance.firewall_layers = {
        {"security groups of " + instance.id, std::nullopt, instance.security_group_ids}};
    out_.instances.push_back(std::move(instance));
  }

  void port(const Cursor& at) {
    at.object(true);
    core::NetworkInterface port;
    port.provider = kProvider;
    port.id = at["id"].requiredString();
    port.device_id = at["device_id"].string();
    port.source = location_;
    const Cursor fixed_ips = at["fixed_ips"];
    for (std::size_t j = 0, m = fixed_ips.array(); j < m; ++j) {
      const Cursor ip = fixed_ips[j];
      ip.object(true);
      const Cursor address = ip["ip_address"];
      if (auto parsed = core::IpAddress::parse(address.requiredString()); !parsed) {
        fail(address.pointer(), parsed.error().message);
      }
      port.fixed_ips.push_back(address.string());
    }
    const Cursor groups = at["security_groups"];
    for (std::size_t j = 0, m = groups.array(); j < m; ++j) {
      port.security_group_ids.push_back(groups[j].requiredString());
    }
    const Cursor pairs = at["allowed_address_pairs"];
    for (std::size_t j = 0, m = pairs.array(); j < m; ++j)
      pairs[j].object(true)["ip_address"].string();
    out_.interfaces.push_back(std::move(port));
  }

  void networks(const Cursor& list) {
    for (std::size_t i = 0, n = list.array(true); i < n; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::Network network;
      network.provider = kProvider;
      network.kind = "network";
      network.id = at["id"].requiredString();
      network.name = at["name"].string();
      network.source = location_;
      out_.networks.push_back(std::move(network));
    }
  }

  void subnets(const Cursor& list) {
    for (std::size_t i = 0, n = list.array(true); i < n; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::Network network;
      network.provider = kProvider;
      network.kind = "subnet";
      network.id = at["id"].requiredString();
      network.name = at["name"].string();
      network.parent_id = at["network_id"].string();
      network.source = location_;
      if (const Cursor block = at["cidr"]; block.present()) {
        const core::Cidr parsed = cidr(block);
        if (const auto version = at["ip_version"].optionalInteger(4, 6, "4 or 6");
            version && *version != (parsed.family() == core::IpFamily::V4 ? 4 : 6)) {
          fail(at["ip_version"].pointer(),
               "ip_version " + std::to_string(*version) + " does not match cidr \"" + block.string() + "\"");
        }
        network.cidrs.push_back(block.string());
      }
      out_.networks.push_back(std::move(network));
    }
  }

  std::string source_;
  const ParseOptions& options_;
  core::SourceLocation location_;
  core::CloudInventory out_;
  std::vector<std::shared_ptr<core::SecurityGroup>> pending_;
  std::size_t rule_count_ = 0;
};

bool arrayOfObjects(const json& document, std::string_view key) {
  auto it = document.find(key);
  return it != document.end() && it->is_array() &&
         std::all_of(it->begin(), it->end(), [](const json& element) { return element.is_object(); });
}

}  // namespace

std::optional<std::string> recognise(const json& document) {
  if (document.is_array()) {
    if (document.empty() || !document.front().is_object()) return std::nullopt;
    const json& first = document.front();
    if (first.contains("IP Protocol") || first.contains("Port Range")) {
      return std::string(kind::kCliSecurityGroupRuleList);
    }
    if (first.contains("ID") && first.contains("Name") && first.contains("Project")) {
      return std::string(kind::kCliSecurityGroupList);
    }
    return std::nullopt;
  }
  if (!document.is_object()) return std::nullopt;
  if (arrayOfObjects(document, "security_groups")) return std::string(kind::kSecurityGroups);
  if (auto group = document.find("security_group"); group != document.end() && group->is_object())
    return std::string(kind::kSecurityGroup);
  if (arrayOfObjects(document, "security_group_rules")) return std::string(kind::kSecurityGroupRules);
  if (auto rule = document.find("security_group_rule"); rule != document.end() && rule->is_object())
    return std::string(kind::kSecurityGroupRule);
  if (arrayOfObjects(document, "ports")) return std::string(kind::kPorts);
  if (auto port = document.find("port"); port != document.end() && port->is_object() && port->contains("id"))
    return std::string(kind::kPort);
  // The Compute API's servers (Huawei Cloud ECS answers this shape too, and claims it when it carries ECS's
  // own markers).
  if (arrayOfObjects(document, "servers") &&
      std::all_of(document["servers"].begin(), document["servers"].end(),
                  [](const json& server) { return server.contains("id"); })) {
    return std::string(kind::kServers);
  }
  if (auto server = document.find("server");
      server != document.end() && server->is_object() && server->contains("id") &&
      (server->contains("addresses") || server->contains("security_groups"))) {
    return std::string(kind::kServers);
  }
  if (arrayOfObjects(document, "networks")) return std::string(kind::kNetworks);
  if (arrayOfObjects(document, "subnets")) return std::string(kind::kSubnets);
  if (document.contains("id") && document.contains("rules") && document.contains("name")) {
    return std::string(kind::kCliSecurityGroupShow);
  }
  return std::nullopt;
}

Parsed<core::CloudInventory> parse(std::string_view kind, const json& document, std::string_view source,
                                   const ParseOptions& options) {
  try {
    return Reader(source, options).read(kind, document);
  } catch (const detail::Failure& failure) {
    return InputError{std::string(source), failure.pointer, failure.message};
  }
}

}  // namespace sgaudit::cloud::openstack
