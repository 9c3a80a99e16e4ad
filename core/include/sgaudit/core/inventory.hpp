#pragma once

// The cloud side of the inventory: security groups with their evaluation model, the named address sets
// rules refer to, instances and their interfaces, networks, and the cluster's networking. Plain data,
// filled by cloud/<provider> readers; joined with the Kubernetes side by the audit.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/firewall.hpp"
#include "sgaudit/core/kubernetes.hpp"
#include "sgaudit/core/rule.hpp"

namespace sgaudit::core {

// A security group as one provider defines it.
struct CloudSecurityGroup {
  std::string provider;  // "huaweicloud", "aws", "openstack"
  EvaluationModel model = EvaluationModel::Union;
  std::shared_ptr<const SecurityGroup> group;  // shared with the firewalls built from it
  std::string vpc_id;
  std::string description;
  SourceLocation source;
  // The priorities a rule of this group can take, where the provider orders rules by priority and a fix must
  // choose one that outranks the rule it beats (Azure 100-4096). Unset: a fix takes priority 1.
  std::optional<std::pair<int, int>> priority_range = std::nullopt;
  // Whether a rule can name a group's members as its source (AWS, Huawei Cloud, OpenStack); Azure's NSG rules
  // cannot (only application security groups), so fixes there name addresses.
  bool rules_name_groups = true;
};

// A provider-kept list of addresses a rule can name: Huawei address group, AWS managed prefix list, and a
// provider's service tag (kind "service-tag": Azure's VirtualNetwork, AzureLoadBalancer) where the inputs
// say what it stands for; a tag the inputs do not define stays symbolic.
struct NamedAddressSet {
  std::string provider;
  std::string kind;  // "address-group", "prefix-list", "service-tag"
  std::string id;
  std::string name;
  AddressSet addresses;
  std::vector<std::string> entries;  // as written
  SourceLocation source;
};

// A network interface (AWS ENI, Neutron/Huawei VPC port): its addresses and the groups guarding it, in order.
struct NetworkInterface {
  std::string provider;
  std::string id;
  std::string device_id;  // the instance it is attached to
  std::vector<std::string> fixed_ips;
  std::vector<std::string> security_group_ids;
  std::string subnet_id;  // where the provider guards subnets too (Azure)
  SourceLocation source;
};

// One layer of what guards an instance's ingress, as its provider evaluates it: groups in evaluation order
// under one model. Traffic reaches the instance when every layer admits it (Azure: the subnet's NSG, then the
// NIC's); AWS, Huawei Cloud and OpenStack have one layer.
struct FirewallLayerSpec {
  std::string name;  // "security groups of i-0abc", "NSG of subnet aks-nodes"
  // As the provider evaluates the layer; unset when the reader cannot tell (an ECS or Nova server does not
  // say whether its groups were listed through the allow-only v1 API or v3): then the model its groups were
  // read with.
  std::optional<EvaluationModel> model;
  std::vector<std::string> group_ids;  // ids, or "name:<name>" where the source names groups by name only
};

// A cloud server (ECS, EC2, Nova) with its addresses and security groups in evaluation order.
struct Instance {
  std::string provider;
  std::string id;
  std::string name;
  std::vector<std::string> private_ips;
  std::vector<std::string> public_ips;
  std::vector<std::string> security_group_ids;  // in the instance's order (for first-match providers)
  // What guards it, layer by layer, filled by its reader. Empty: one layer of security_group_ids.
  std::vector<FirewallLayerSpec> firewall_layers;
  std::vector<NetworkInterface> interfaces;
  std::string vpc_id;
  // What selects the rules that apply to the instance where rules choose their targets instead of being
  // attached to it (GCP: its network tags and service accounts), joined into firewall_layers by the
  // provider's link.
  std::vector<std::string> network_tags;
  std::vector<std::string> service_accounts;
  SourceLocation source;
};

struct Network {
  std::string provider;
  std::string kind;  // "vpc", "subnet", "network"
  std::string id;
  std::string name;
  std::string parent_id;  // a subnet's VPC or network
  std::vector<std::string> cidrs;
  std::vector<std::string> security_group_ids;  // the groups guarding the subnet itself (Azure's subnet NSG)
  SourceLocation source;
};

// A managed cluster's networking (CCE, EKS): where its nodes live and which CIDRs its pods and services use.
struct ClusterNetworking {
  std::string provider;
  std::string id;
  std::string name;
  std::string vpc_id;
  std::vector<std::string> subnet_ids;
  std::vector<std::string> node_security_group_ids;  // CCE spec.hostNetwork.SecurityGroup, EKS cluster SG
  std::string container_network_mode;                // CCE "vpc-router", "overlay_l2", "eni"
  std::vector<std::string> container_cidrs;
  std::string service_cidr;
  SourceLocation source;
};

// The layers of `instance`'s firewall: its firewall_layers, or one layer of its security groups.
std::vector<FirewallLayerSpec> firewallLayersOf(const Instance& instance);

// Every group `instance` carries, in any layer, once each, in order of first appearance.
std::vector<std::string> groupIdsOf(const Instance& instance);

struct CloudInventory {
  std::vector<CloudSecurityGroup> security_groups;
  std::vector<NamedAddressSet> address_sets;
  std::vector<Instance> instances;
  std::vector<NetworkInterface> interfaces;  // from port listings, apart from instances
  std::vector<Network> networks;
  std::vector<ClusterNetworking> clusters;
};

}  // namespace sgaudit::core
