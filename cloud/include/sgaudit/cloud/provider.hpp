#pragma once

// A cloud provider as sgaudit knows it: which documents are its own, how they read into the inventory, and
// how a remediation plan is written in its own tooling. Each provider lives in its own folder, cloud/<name>/,
// and is listed once, in SGAUDIT_CLOUD_PROVIDERS of cloud/CMakeLists.txt; the input loader, the demo, the
// fuzz targets and the fix rendering go through the registry (sgaudit/cloud/providers.hpp) and never name a
// provider. docs/architecture.md shows how to add one.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/finding.hpp"
#include "sgaudit/core/inventory.hpp"
#include "sgaudit/core/remediation.hpp"

namespace sgaudit::cloud {

// How surely a document is a provider's own. Marked: by members only that provider prints (AWS's
// capitalised SecurityGroups, Huawei Cloud's request_id, vpc_id or multiport). Shape: by a shape other
// providers answer too (Neutron's security_groups, which Huawei Cloud's VPC v1 API also prints). The most
// certain claim wins; at equal certainty the provider listed first.
enum class Certainty { Shape = 1, Marked = 2 };

struct Recognition {
  // One of the provider's kinds() ("aws.ec2.describe-security-groups"); empty when the document is marked as
  // the provider's own but is none of the shapes it reads (an empty list that could be any API version).
  std::string kind;
  Certainty certainty = Certainty::Shape;
};

// What a reader is told besides the document.
struct ReadContext {
  std::string_view source;  // the input's name, in errors and SourceLocations ("rules.json")
  // Read, but doubtful ("rules.json: /security_group_rules/3: ..."); dropped when null.
  std::vector<std::string>* warnings = nullptr;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // The folder and the prefix of the provider's kinds ("huawei": "huawei.vpc.v3.security-groups").
  virtual std::string_view name() const = 0;
  // The id groups, rule origins and plans carry ("huaweicloud").
  virtual std::string_view id() const = 0;
  // As people write it ("Huawei Cloud").
  virtual std::string_view title() const = 0;
  // Every kind read() takes.
  virtual std::span<const std::string_view> kinds() const = 0;

  // The kind of a document by its shape, or nullopt when it is not this provider's.
  virtual std::optional<Recognition> recognise(const nlohmann::json& document) const = 0;
  // Reads a document of one of kinds(). Errors name the input and the JSON pointer of the offending field.
  virtual Parsed<core::CloudInventory> read(std::string_view kind, const nlohmann::json& document,
                                            const ReadContext& context) const = 0;

  // Joins what no single document says, once every input is read: which groups guard which instance when the
  // provider keeps that apart (Azure: the NSGs of a NIC and of its subnet, listed separately; GCP: the rules
  // whose targets match an instance's tags), written into each instance's firewall_layers. Doubts go to
  // `warnings`. Nothing to join by default.
  virtual void link(core::CloudInventory& inventory, std::vector<std::string>& warnings) const {
    (void)inventory;
    (void)warnings;
  }

  // A plan written in the provider's own tooling: its API body or CLI command, and Terraform.
  virtual std::vector<core::Fix> renderFixes(const core::AllowIngressPlan& plan) const = 0;
  virtual std::vector<core::Fix> renderFixes(const core::NarrowRulePlan& plan) const = 0;
};

}  // namespace sgaudit::cloud
