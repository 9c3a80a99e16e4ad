#pragma once

// Which instances a GCP VPC firewall rule applies to. GCP attaches no rule to an instance: a rule belongs to
// a network and picks its targets by the instances' network tags or service accounts, or applies to every
// instance of the network. sgaudit gathers the rules of one network and one target set into one security
// group, whose id says both ("default/tags/pool-a,web"): `link` puts on each instance the groups whose
// targets it matches, and a fix planned into a group is a new rule with the group's network and targets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgaudit::cloud::gcp {

struct Targets {
  enum class Kind { All, Tags, ServiceAccounts };

  std::string network;  // the network's name, the last segment of its URL
  Kind kind = Kind::All;
  std::vector<std::string> names;  // tags or service accounts, sorted, each once; empty for All

  // "default/all", "default/tags/pool-a,web", "default/serviceAccounts/nodes@p.iam.gserviceaccount.com".
  std::string groupId() const;
  // How findings name the group: "network default for all instances", "network default for tag pool-a",
  // "network default for tags pool-a, web", "network default for service account nodes@...".
  std::string groupName() const;
  // Whether a rule of these targets applies to an instance on `network` with these tags and service accounts.
  bool appliesTo(std::string_view instance_network, const std::vector<std::string>& tags,
                 const std::vector<std::string>& service_accounts) const;

  // The targets a group id names, or nullopt when it is no id groupId() writes.
  static std::optional<Targets> fromGroupId(std::string_view id);
  // `names` sorted and once each.
  static Targets of(std::string network, Kind kind, std::vector<std::string> names);
};

// A name a group id can carry: a network name, a network tag or a service account's email (no '/', ',',
// whitespace or control character, at most 255 bytes).
bool isTargetName(std::string_view name);

// "https://www.googleapis.com/compute/v1/projects/p/global/networks/default", "projects/p/global/networks/
// default" and "default" -> "default": networks are joined by name on both sides.
std::string lastSegment(std::string_view url);

}  // namespace sgaudit::cloud::gcp
