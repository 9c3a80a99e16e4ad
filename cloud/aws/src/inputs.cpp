#include "sgaudit/cloud/aws/inputs.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/json_walk.hpp"

namespace sgaudit::cloud::aws {

namespace detail = ::sgaudit::cloud::json_walk;
namespace {

using detail::Cursor;
using detail::fail;
using nlohmann::json;

constexpr const char* kProvider = "aws";
// Rules one document may expand to: (permission x source) is linear in the input, but a bound keeps a hostile
// upload from turning into an unbounded model.
constexpr std::size_t kMaxRules = 1'000'000;

void appendUnique(std::vector<std::string>& list, std::string value) {
  if (value.empty() || std::find(list.begin(), list.end(), value) != list.end()) return;
  list.push_back(std::move(value));
}

// A CIDR of the given family, checked; the text is kept as written.
core::Cidr cidr(const Cursor& at, core::IpFamily family) {
  const std::string text = at.requiredString();
  auto parsed = core::Cidr::parse(text);
  if (!parsed) fail(at.pointer(), parsed.error().message);
  if (parsed->family() != family) {
    fail(at.pointer(), "expected an " + std::string(core::toString(family)) + " CIDR, got \"" + text + "\"");
  }
  return *parsed;
}

std::string checkedCidr(const Cursor& at) {
  const std::string text = at.requiredString();
  if (auto parsed = core::Cidr::parse(text); !parsed) fail(at.pointer(), parsed.error().message);
  return text;
}

// IpProtocol as AWS prints it: "-1", a name, or a number as a string.
core::Protocol protocol(const Cursor& at) {
  constexpr std::string_view kExpected = "one of tcp, udp, icmp, icmpv6, -1 or a protocol number 0-255";
  const auto text = at.optionalString();
  if (!text) at.expected(kExpected);
  std::string name = *text;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool numeric = !name.empty() && name.size() <= 3 &&
                       std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); });
  if (name != "-1" && name != "tcp" && name != "udp" && name != "icmp" && name != "icmpv6" && !numeric) {
    at.expected(kExpected);
  }
  auto parsed = core::Protocol::parse(name);
  if (!parsed) at.expected(kExpected);
  return *parsed;
}

// FromPort/ToPort of one permission or rule, as the core's key set. AWS applies ports to TCP and UDP only
// (any other protocol number, SCTP included, opens every port whatever the range), and reads ICMP's as
// type/code with -1 for "all".
core::PortSet ports(core::Protocol protocol, const Cursor& owner) {
  if (!protocol.hasKey()) return core::PortSet::all();
  const Cursor from_at = owner["FromPort"];
  const Cursor to_at = owner["ToPort"];
  const auto from = from_at.optionalInteger(-1, 65535, "an integer -1..65535");
  const auto to = to_at.optionalInteger(-1, 65535, "an integer -1..65535");
  if (protocol.isIcmp()) {
    if (from && *from > 255) from_at.expected("an ICMP type -1..255");
    if (to && *to > 255) to_at.expected("an ICMP code -1..255");
    if (!from || *from == -1) return core::PortSet::all();
    const auto type = static_cast<std::uint8_t>(*from);
    if (!to || *to == -1) return core::PortSet::of(core::PortRange::icmpType(type));
    return core::PortSet::of(core::PortRange::icmpTypeCode(type, static_cast<std::uint8_t>(*to)));
  }
  if (protocol != core::Protocol::tcp() && protocol != core::Protocol::udp()) return core::PortSet::all();
  // Absent, or -1 on both ends (seen in describe-security-group-rules for some converted rules): every port.
  if ((!from && !to) || (from == -1 && to == -1)) return core::PortSet::all();
  if (!from || *from < 0) from_at.expected("an integer 0..65535");
  if (!to || *to < 0) to_at.expected("an integer 0..65535");
  if (*from > *to) {
    fail(owner.pointer(),
         "\"" + std::to_string(*from) + "-" + std::to_string(*to) + "\": range start after end");
  }
  return core::PortSet::of(
      core::PortRange{static_cast<std::uint16_t>(*from), static_cast<std::uint16_t>(*to)});
}

std::string nameTag(const Cursor& owner) {
  const Cursor tags = owner["Tags"];
  const std::size_t count = tags.array();
  for (std::size_t i = 0; i < count; ++i) {
    const Cursor tag = tags[i];
    tag.object(true);
    if (tag["Key"].string() == "Name") return tag["Value"].string();
  }
  return {};
}

class Reader {
 public:
  Reader(std::string_view source, const ParseOptions& options)
      : source_(source), options_(options), location_{std::string(source), 0} {}

  core::CloudInventory read(std::string_view kind, const json& document) {
    const Cursor root(&document, "");
    root.object(true);
    if (kind == kind::kDescribeSecurityGroups) {
      securityGroups(root["SecurityGroups"]);
    } else if (kind == kind::kDescribeSecurityGroupRules) {
      securityGroupRules(root["SecurityGroupRules"]);
    } else if (kind == kind::kDescribeManagedPrefixLists) {
      prefixLists(root["PrefixLists"]);
    } else if (kind == kind::kGetManagedPrefixListEntries) {
      prefixListEntries(root["Entries"]);
    } else if (kind == kind::kDescribeInstances) {
      reservations(root["Reservations"]);
    } else if (kind == kind::kDescribeVpcs) {
      vpcs(root["Vpcs"]);
    } else if (kind == kind::kDescribeSubnets) {
      subnets(root["Subnets"]);
    } else if (kind == kind::kDescribeCluster) {
      cluster(root["cluster"]);
    } else {
      fail("", "unknown AWS input kind \"" + std::string(kind) + "\"");
    }
    return std::move(out_);
  }

 private:
  core::CloudSecurityGroup& group(const std::string& id, const std::string& name) {
    out_.security_groups.push_back({});
    auto& cloud_group = out_.security_groups.back();
    cloud_group.provider = kProvider;
    cloud_group.model = core::EvaluationModel::Union;
    cloud_group.source = location_;
    pending_.push_back(std::make_shared<core::SecurityGroup>());
    pending_.back()->id = id;
    pending_.back()->name = name;
    return cloud_group;
  }

  void addRule(core::SecurityGroupRule rule, const Cursor& at) {
    if (++rule_count_ > kMaxRules) fail(at.pointer(), "more than " + std::to_string(kMaxRules) + " rules");
    pending_.back()->rules.push_back(std::move(rule));
  }

  // Ownership of the groups passes to the inventory once their rules are complete.
  void sealGroups() {
    for (std::size_t i = 0; i < pending_.size(); ++i)
      out_.security_groups[i].group = std::move(pending_[i]);
    pending_.clear();
  }

  void securityGroups(const Cursor& list) {
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      const std::string id = at["GroupId"].requiredString();
      auto& cloud_group = group(id, at["GroupName"].string());
      cloud_group.vpc_id = at["VpcId"].string();
      cloud_group.description = at["Description"].string();
      core::RuleOrigin origin{kProvider, id, pending_.back()->name, "", ""};
      permissions(at["IpPermissions"], core::Direction::Ingress, origin);
      permissions(at["IpPermissionsEgress"], core::Direction::Egress, origin);
    }
    sealGroups();
  }

  // Each (permission x source) is one rule: the union model makes the split exact.
  void permissions(const Cursor& list, core::Direction direction, const core::RuleOrigin& group_origin) {
    const std::size_t count = list.array();
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::SecurityGroupRule base;
      base.direction = direction;
      base.protocol = protocol(at["IpProtocol"]);
      base.ports = ports(base.protocol, at);
      base.origin = group_origin;

      auto each = [&](std::string_view key, auto&& convert) {
        const Cursor sources = at[key];
        const std::size_t n = sources.array();
        for (std::size_t j = 0; j < n; ++j) {
          const Cursor source = sources[j];
          source.object(true);
          core::SecurityGroupRule rule = base;
          convert(source, rule);
          rule.origin.description = source["Description"].string();
          addRule(std::move(rule), source);
        }
      };
      each("IpRanges", [](const Cursor& source, core::SecurityGroupRule& rule) {
        rule.ethertype = core::Ethertype::IPv4;
        rule.source = cidr(source["CidrIp"], core::IpFamily::V4);
      });
      each("Ipv6Ranges", [](const Cursor& source, core::SecurityGroupRule& rule) {
        rule.ethertype = core::Ethertype::IPv6;
        rule.source = cidr(source["CidrIpv6"], core::IpFamily::V6);
      });
      each("UserIdGroupPairs", [](const Cursor& source, core::SecurityGroupRule& rule) {
        rule.ethertype = core::Ethertype::Any;
        rule.source = core::SecurityGroupRef{source["GroupId"].requiredString()};
      });
      each("PrefixListIds", [](const Cursor& source, core::SecurityGroupRule& rule) {
        rule.ethertype = core::Ethertype::Any;
        rule.source = core::PrefixListRef{source["PrefixListId"].requiredString()};
      });
    }
  }

  void securityGroupRules(const Cursor& list) {
    const std::size_t count = list.array(true);
    std::vector<std::string> ids;  // index of pending_ by group id, in first-seen order
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      const std::string group_id = at["GroupId"].requiredString();
      core::SecurityGroupRule rule;
      rule.direction = at["IsEgress"].optionalBoolean().value_or(false) ? core::Direction::Egress
                                                                        : core::Direction::Ingress;
      rule.protocol = protocol(at["IpProtocol"]);
      rule.ports = ports(rule.protocol, at);
      rule.origin = {kProvider, group_id, "", at["SecurityGroupRuleId"].string(), at["Description"].string()};

      int sources = 0;
      if (const Cursor v4 = at["CidrIpv4"]; v4.present()) {
        ++sources;
        rule.ethertype = core::Ethertype::IPv4;
        rule.source = cidr(v4, core::IpFamily::V4);
      }
      if (const Cursor v6 = at["CidrIpv6"]; v6.present()) {
        ++sources;
        rule.ethertype = core::Ethertype::IPv6;
        rule.source = cidr(v6, core::IpFamily::V6);
      }
      if (const Cursor prefix_list = at["PrefixListId"]; prefix_list.present()) {
        ++sources;
        rule.ethertype = core::Ethertype::Any;
        rule.source = core::PrefixListRef{prefix_list.requiredString()};
      }
      if (const Cursor referenced = at["ReferencedGroupInfo"]; referenced.present()) {
        ++sources;
        referenced.object(true);
        rule.ethertype = core::Ethertype::Any;
        rule.source = core::SecurityGroupRef{referenced["GroupId"].requiredString()};
      }
      if (sources != 1) {
        fail(at.pointer(),
             sources == 0 ? "expected one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo"
                          : "expected only one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo");
      }

      auto found = std::find(ids.begin(), ids.end(), group_id);
      if (found == ids.end()) {
        ids.push_back(group_id);
        group(group_id, "");
        found = ids.end() - 1;
      }
      const auto index = static_cast<std::size_t>(found - ids.begin());
      if (++rule_count_ > kMaxRules) fail(at.pointer(), "more than " + std::to_string(kMaxRules) + " rules");
      pending_[index]->rules.push_back(std::move(rule));
    }
    sealGroups();
  }

  void prefixLists(const Cursor& list) {
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::NamedAddressSet set;
      set.provider = kProvider;
      set.kind = "prefix-list";
      set.id = at["PrefixListId"].requiredString();
      set.name = at["PrefixListName"].string();
      set.source = location_;
      out_.address_sets.push_back(std::move(set));
    }
  }

  void prefixListEntries(const Cursor& list) {
    core::NamedAddressSet set;
    set.provider = kProvider;
    set.kind = "prefix-list";
    set.id = options_.prefix_list_id.empty() ? prefixListIdFromName(source_) : options_.prefix_list_id;
    if (set.id.empty()) {
      fail("",
           "get-managed-prefix-list-entries output does not name its list: name the file after the list "
           "(pl-0123abcd.json) or give the list id");
    }
    set.source = location_;
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      const Cursor cidr_at = at["Cidr"];
      const std::string text = cidr_at.requiredString();
      auto parsed = core::Cidr::parse(text);
      if (!parsed) fail(cidr_at.pointer(), parsed.error().message);
      set.addresses.add(*parsed);
      set.entries.push_back(text);
    }
    out_.address_sets.push_back(std::move(set));
  }

  void reservations(const Cursor& list) {
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor reservation = list[i];
      reservation.object(true);
      const Cursor instances = reservation["Instances"];
      const std::size_t n = instances.array();
      for (std::size_t j = 0; j < n; ++j)
        out_.instances.push_back(instance(instances[j]));
    }
  }

  core::Instance instance(const Cursor& at) {
    at.object(true);
    core::Instance result;
    result.provider = kProvider;
    result.id = at["InstanceId"].requiredString();
    result.name = nameTag(at);
    result.vpc_id = at["VpcId"].string();
    result.source = location_;
    appendUnique(result.private_ips, at["PrivateIpAddress"].string());
    appendUnique(result.public_ips, at["PublicIpAddress"].string());

    const Cursor interfaces = at["NetworkInterfaces"];
    const std::size_t count = interfaces.array();
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor eni = interfaces[i];
      eni.object(true);
      core::NetworkInterface interface;
      interface.provider = kProvider;
      interface.id = eni["NetworkInterfaceId"].string();
      interface.device_id = result.id;
      interface.source = location_;
      appendUnique(interface.fixed_ips, eni["PrivateIpAddress"].string());
      appendUnique(result.public_ips, eni["Association"].object()["PublicIp"].string());
      const Cursor addresses = eni["PrivateIpAddresses"];
      const std::size_t n = addresses.array();
      for (std::size_t j = 0; j < n; ++j) {
        const Cursor address = addresses[j];
        address.object(true);
        appendUnique(interface.fixed_ips, address["PrivateIpAddress"].string());
        appendUnique(result.public_ips, address["Association"].object()["PublicIp"].string());
      }
      const Cursor v6 = eni["Ipv6Addresses"];
      const std::size_t n6 = v6.array();
      for (std::size_t j = 0; j < n6; ++j) {
        const Cursor address = v6[j];
        address.object(true);
        appendUnique(interface.fixed_ips, address["Ipv6Address"].string());
      }
      const Cursor groups = eni["Groups"];
      const std::size_t ng = groups.array();
      for (std::size_t j = 0; j < ng; ++j) {
        const Cursor group_at = groups[j];
        group_at.object(true);
        appendUnique(interface.security_group_ids, group_at["GroupId"].requiredString());
      }
      for (const auto& ip : interface.fixed_ips)
        appendUnique(result.private_ips, ip);
      for (const auto& id : interface.security_group_ids)
        appendUnique(result.security_group_ids, id);
      result.interfaces.push_back(std::move(interface));
    }
    // Without interface detail (a trimmed --query), the instance-level list is all there is.
    if (result.security_group_ids.empty()) {
      const Cursor groups = at["SecurityGroups"];
      const std::size_t n = groups.array();
      for (std::size_t j = 0; j < n; ++j) {
        const Cursor group_at = groups[j];
        group_at.object(true);
        appendUnique(result.security_group_ids, group_at["GroupId"].requiredString());
      }
    }
    // One layer: the security groups of its interfaces, each admitting what any of its rules admits.
    result.firewall_layers = {
        {"security groups of " + result.id, core::EvaluationModel::Union, result.security_group_ids}};
    return result;
  }

  // CIDR associations that are being removed or failed no longer route.
  static bool associated(const Cursor& association, std::string_view state_key) {
    const std::string state = association[state_key].object()["State"].string();
    return state != "disassociated" && state != "disassociating" && state != "failed";
  }

  void vpcs(const Cursor& list) {
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::Network network;
      network.provider = kProvider;
      network.kind = "vpc";
      network.id = at["VpcId"].requiredString();
      network.name = nameTag(at);
      network.source = location_;
      if (const Cursor block = at["CidrBlock"]; block.present())
        appendUnique(network.cidrs, checkedCidr(block));
      cidrAssociations(at["CidrBlockAssociationSet"], "CidrBlock", "CidrBlockState", network);
      cidrAssociations(at["Ipv6CidrBlockAssociationSet"], "Ipv6CidrBlock", "Ipv6CidrBlockState", network);
      out_.networks.push_back(std::move(network));
    }
  }

  static void cidrAssociations(const Cursor& list, std::string_view key, std::string_view state_key,
                               core::Network& network) {
    const std::size_t count = list.array();
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor association = list[i];
      association.object(true);
      if (!associated(association, state_key)) continue;
      if (const Cursor block = association[key]; block.present())
        appendUnique(network.cidrs, checkedCidr(block));
    }
  }

  void subnets(const Cursor& list) {
    const std::size_t count = list.array(true);
    for (std::size_t i = 0; i < count; ++i) {
      const Cursor at = list[i];
      at.object(true);
      core::Network network;
      network.provider = kProvider;
      network.kind = "subnet";
      network.id = at["SubnetId"].requiredString();
      network.name = nameTag(at);
      network.parent_id = at["VpcId"].string();
      network.source = location_;
      if (const Cursor block = at["CidrBlock"]; block.present())
        appendUnique(network.cidrs, checkedCidr(block));
      cidrAssociations(at["Ipv6CidrBlockAssociationSet"], "Ipv6CidrBlock", "Ipv6CidrBlockState", network);
      out_.networks.push_back(std::move(network));
    }
  }

  void cluster(const Cursor& at) {
    at.object(true);
    core::ClusterNetworking result;
    result.provider = kProvider;
    result.name = at["name"].requiredString();
    result.id = at["arn"].optionalString().value_or(result.name);
    result.source = location_;
    const Cursor vpc = at["resourcesVpcConfig"];
    vpc.object();
    result.vpc_id = vpc["vpcId"].string();
    const Cursor subnet_ids = vpc["subnetIds"];
    const std::size_t n = subnet_ids.array();
    for (std::size_t i = 0; i < n; ++i)
      appendUnique(result.subnet_ids, subnet_ids[i].requiredString());
    // The cluster security group is the one EKS puts on managed nodes; `securityGroupIds` guard the control
    // plane's ENIs and are not node groups.
    if (const Cursor cluster_group = vpc["clusterSecurityGroupId"]; cluster_group.present()) {
      appendUnique(result.node_security_group_ids, cluster_group.requiredString());
    }
    for (std::size_t i = 0, m = vpc["securityGroupIds"].array(); i < m; ++i) {
      vpc["securityGroupIds"][i].requiredString();  // checked, not kept
    }
    const Cursor network = at["kubernetesNetworkConfig"];
    network.object();
    const std::string family = network["ipFamily"].string();
    const Cursor v4 = network["serviceIpv4Cidr"];
    const Cursor v6 = network["serviceIpv6Cidr"];
    if (family == "ipv6" && v6.present()) {
      result.service_cidr = checkedCidr(v6);
    } else if (v4.present()) {
      result.service_cidr = checkedCidr(v4);
    }
    out_.clusters.push_back(std::move(result));
  }

  std::string source_;
  const ParseOptions& options_;
  core::SourceLocation location_;
  core::CloudInventory out_;
  std::vector<std::shared_ptr<core::SecurityGroup>> pending_;
  std::size_t rule_count_ = 0;
};

bool isArrayOf(const json& document, std::string_view key) {
  auto it = document.find(key);
  return it != document.end() && it->is_array();
}

// Whether every element (there may be none) is an object with `field`.
bool elementsHave(const json& list, std::string_view field) {
  return std::all_of(list.begin(), list.end(),
                     [&](const json& element) { return element.is_object() && element.contains(field); });
}

}  // namespace

std::optional<std::string> recognise(const json& document) {
  if (!document.is_object()) return std::nullopt;
  const std::pair<std::string_view, std::string_view> by_key[] = {
      {"SecurityGroups", kind::kDescribeSecurityGroups},
      {"SecurityGroupRules", kind::kDescribeSecurityGroupRules},
      {"PrefixLists", kind::kDescribeManagedPrefixLists},
      {"Reservations", kind::kDescribeInstances},
      {"Vpcs", kind::kDescribeVpcs},
      {"Subnets", kind::kDescribeSubnets},
  };
  for (const auto& [key, name] : by_key) {
    if (isArrayOf(document, key)) return std::string(name);
  }
  // "Entries" is a generic word: the elements must look like prefix list entries.
  if (isArrayOf(document, "Entries") && elementsHave(document["Entries"], "Cidr")) {
    return std::string(kind::kGetManagedPrefixListEntries);
  }
  if (auto it = document.find("cluster");
      it != document.end() && it->is_object() && it->contains("resourcesVpcConfig")) {
    return std::string(kind::kDescribeCluster);
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

std::string prefixListIdFromName(std::string_view source) {
  // The last "pl-" followed by 8 or 17 hex digits and not by another id character.
  auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto is_id_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string found;
  for (std::size_t at = source.find("pl-"); at != std::string_view::npos; at = source.find("pl-", at + 1)) {
    if (at > 0 && is_id_char(source[at - 1])) continue;
    std::size_t end = at + 3;
    while (end < source.size() && is_hex(source[end]))
      ++end;
    const std::size_t digits = end - at - 3;
    if ((digits == 8 || digits == 17) && (end == source.size() || !is_id_char(source[end]))) {
      found = std::string(source.substr(at, end - at));
    }
  }
  return found;
}

}  // namespace sgaudit::cloud::aws
