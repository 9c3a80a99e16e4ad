#pragma once

// OpenStack Neutron security groups, rules, ports, networks and subnets as the `openstack` CLI prints them
// with `-f json`, and as the Networking API (v2.0) returns them, read into the cloud inventory.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::openstack {

// The input kinds this reader knows, as `recognise` names them.
namespace kind {
// `openstack security group list -f json`: [{ID, Name, Description, Project, Tags}] (no rules).
inline constexpr std::string_view kCliSecurityGroupList = "openstack.cli.security-group-list";
// `openstack security group show <id> -f json`: {id, name, ..., rules: [...]}.
inline constexpr std::string_view kCliSecurityGroupShow = "openstack.cli.security-group-show";
// `openstack security group rule list [--long] -f json`: [{ID, "IP Protocol", "Port Range", ...}].
inline constexpr std::string_view kCliSecurityGroupRuleList = "openstack.cli.security-group-rule-list";
// Networking API: GET /v2.0/security-groups, /v2.0/security-groups/{id}, /v2.0/security-group-rules,
// /v2.0/ports, /v2.0/networks, /v2.0/subnets.
inline constexpr std::string_view kSecurityGroups = "openstack.neutron.security-groups";
inline constexpr std::string_view kSecurityGroup = "openstack.neutron.security-group";
inline constexpr std::string_view kSecurityGroupRules = "openstack.neutron.security-group-rules";
// GET /v2.0/security-group-rules/{id}, `openstack security group rule show -f json` through the API.
inline constexpr std::string_view kSecurityGroupRule = "openstack.neutron.security-group-rule";
inline constexpr std::string_view kPorts = "openstack.neutron.ports";
inline constexpr std::string_view kPort = "openstack.neutron.port";  // GET /v2.0/ports/{id}
// Compute API: GET /v2.1/servers/detail and /v2.1/servers/{id} ({"servers": [...]}, {"server": {...}}),
// which Huawei Cloud ECS also answers; servers name their security groups by name only.
inline constexpr std::string_view kServers = "openstack.nova.servers";
inline constexpr std::string_view kNetworks = "openstack.neutron.networks";
inline constexpr std::string_view kSubnets = "openstack.neutron.subnets";
}  // namespace kind

struct ParseOptions {
  // `openstack security group rule list <group>` leaves out the "Security Group" column: the group id then
  // comes from here.
  std::string group_id;
  // Where to say what was read but is doubtful ("rules.json: /security_group_rules/3: ..."); none if null.
  std::vector<std::string>* warnings = nullptr;
};

// The kind of an OpenStack document, told by its shape, or nullopt. Huawei Cloud answers several of these
// shapes too; the provider registry gives a document to the Huawei reader when it carries Huawei Cloud's
// markers (huawei::isMarked), whatever this says.
std::optional<std::string> recognise(const nlohmann::json& document);

// Reads a document of `kind` (one of kind::*). `source` names the input in errors and SourceLocations:
// "rules.json: /security_group_rules/2/port_range_min: expected an integer 0..65535 or null, got \"x\"".
// Unknown fields are ignored.
Parsed<core::CloudInventory> parse(std::string_view kind, const nlohmann::json& document,
                                   std::string_view source, const ParseOptions& options = {});

}  // namespace sgaudit::cloud::openstack
