#pragma once

// Google Cloud resources as `gcloud ... --format=json` prints them (a bare array) and as the Compute Engine
// and GKE APIs return them ({"kind": "compute#firewallList", "items": [...]}, one resource, or an aggregated
// list by zone), read into the cloud inventory:
//   gcp.compute.firewalls    gcloud compute firewall-rules list/describe, GET .../global/firewalls[/{name}]
//   gcp.compute.instances    gcloud compute instances list/describe, GET .../instances,
//   .../aggregated/instances gcp.compute.networks     gcloud compute networks list/describe, GET
//   .../global/networks gcp.compute.subnetworks  gcloud compute networks subnets list, GET .../subnetworks
//   (the VPC's ranges) gcp.gke.cluster          gcloud container clusters describe/list, GET
//   .../clusters/{name}
// The ingress rules of one network and one target set are one security group evaluated under
// PriorityDenyWins (see targets.hpp); every network a listing names gets GCP's implied rules, deny all
// ingress and allow all egress at 65535, fixed. Disabled and egress rules do not guard ingress and are left
// out. `link` gives each instance one layer: the groups of its network whose targets its tags or service
// accounts match.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::gcp {

inline constexpr const char* kProvider = "gcp";

namespace kind {
inline constexpr std::string_view kFirewalls = "gcp.compute.firewalls";
inline constexpr std::string_view kInstances = "gcp.compute.instances";
inline constexpr std::string_view kNetworks = "gcp.compute.networks";
inline constexpr std::string_view kSubnetworks = "gcp.compute.subnetworks";
inline constexpr std::string_view kGkeCluster = "gcp.gke.cluster";
}  // namespace kind

// The names of GCP's implied rules, which no listing shows.
inline constexpr const char* kImpliedDenyIngress = "implied-deny-ingress";
inline constexpr const char* kImpliedAllowEgress = "implied-allow-egress";

struct KindClaim {
  std::string kind;
  bool marked = false;  // by a "kind" the Compute API prints, or members only GKE prints
};

// The kind of a Google Cloud document by its "kind" ("compute#firewallList") or its shape, or nullopt.
std::optional<KindClaim> recognise(const nlohmann::json& document);

// Reads a document of `kind`. Errors name the field: "rules.json: /3/priority: expected a priority 0..65535,
// got 70000". Doubts (a rule limited to destination ranges) go to `warnings`.
Parsed<core::CloudInventory> parse(std::string_view kind, const nlohmann::json& document,
                                   std::string_view source, std::vector<std::string>* warnings = nullptr);

// The joins of Provider::link: each instance's layer (the groups of its network whose targets match it), the
// node pools' groups GKE clusters name, the address sets of source tags and source service accounts (the
// instances carrying them), and each network's ranges from its subnetworks.
void link(core::CloudInventory& inventory, std::vector<std::string>& warnings);

// The address-group id a rule's sourceTags entry is read as ("default/tag/web"), resolved by link from the
// instances of the network carrying the tag; and a sourceServiceAccounts entry ("default/serviceAccount/x").
std::string sourceTagSetId(const std::string& network, const std::string& tag);
std::string sourceServiceAccountSetId(const std::string& network, const std::string& email);

}  // namespace sgaudit::cloud::gcp
