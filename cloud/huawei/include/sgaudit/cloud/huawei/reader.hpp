#pragma once

// Huawei Cloud documents, read exactly as the APIs (and KooCLI) print them:
//   huawei.vpc.v3.security-groups        GET /v3/{project_id}/vpc/security-groups[/{id}]
//   huawei.vpc.v3.security-group-rules   GET /v3/{project_id}/vpc/security-group-rules[/{id}]
//   huawei.vpc.v1.security-groups        GET /v1/{project_id}/security-groups (rules nested, allow-only)
//   huawei.vpc.v3.address-groups         GET /v3/{project_id}/vpc/address-groups
//   huawei.ecs.servers                   GET /v1/{project_id}/cloudservers/detail
//   huawei.vpc.v1.vpcs                   GET /v1/{project_id}/vpcs[/{vpc_id}]
//   huawei.vpc.v3.vpcs                   GET /v3/{project_id}/vpc/vpcs[/{vpc_id}]
//   huawei.vpc.v1.subnets                GET /v1/{project_id}/subnets
//   huawei.cce.clusters                  GET /api/v3/projects/{project_id}/clusters[/{cluster_id}]
// VPC ports (GET /v1/{project_id}/ports[/{port_id}]) have Neutron's shape, and ECS's Compute-compatible
// servers (GET /v2.1/{project_id}/servers/detail) without ECS's own markers have Nova's: the OpenStack reader
// reads both.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::huawei {

inline constexpr const char* kProvider = "huaweicloud";

// The input kinds this reader knows, as `recognise` names them.
namespace kind {
inline constexpr std::string_view kV3SecurityGroups = "huawei.vpc.v3.security-groups";
inline constexpr std::string_view kV3SecurityGroupRules = "huawei.vpc.v3.security-group-rules";
inline constexpr std::string_view kV1SecurityGroups = "huawei.vpc.v1.security-groups";
inline constexpr std::string_view kV3AddressGroups = "huawei.vpc.v3.address-groups";
inline constexpr std::string_view kEcsServers = "huawei.ecs.servers";
inline constexpr std::string_view kV1Vpcs = "huawei.vpc.v1.vpcs";
inline constexpr std::string_view kV3Vpcs = "huawei.vpc.v3.vpcs";
inline constexpr std::string_view kV1Subnets = "huawei.vpc.v1.subnets";
inline constexpr std::string_view kCceClusters = "huawei.cce.clusters";
}  // namespace kind

// The kind of a Huawei Cloud document, by its shape; nullopt when it is none of the above.
std::optional<std::string> recognise(const nlohmann::json& document);

// Whether a document carries what only Huawei Cloud prints, whatever its kind: a top-level request_id,
// security groups with vpc_id or enterprise_project_id, rules with multiport, priority or action, subnets
// with vpc_id. Such a document is never read as OpenStack's, whose shapes it otherwise shares.
bool isMarked(const nlohmann::json& document);

// Reads a document of a recognised kind. `source` names it in errors ("rules.json").
Parsed<core::CloudInventory> parse(const std::string& kind, const nlohmann::json& document,
                                   const std::string& source);

}  // namespace sgaudit::cloud::huawei
