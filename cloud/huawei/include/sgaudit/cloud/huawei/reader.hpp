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

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::huawei {

inline constexpr const char* kProvider = "huaweicloud";

// The kind of a Huawei Cloud document, by its shape; nullopt when it is none of the above.
std::optional<std::string> recognise(const nlohmann::json& document);

// Reads a document of a recognised kind. `source` names it in errors ("rules.json").
Parsed<core::CloudInventory> parse(const std::string& kind, const nlohmann::json& document,
                                   const std::string& source);

}  // namespace sgaudit::cloud::huawei
