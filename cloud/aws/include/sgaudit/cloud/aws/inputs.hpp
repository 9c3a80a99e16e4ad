#pragma once

// What the AWS CLI (and the EC2/EKS APIs behind it) print, read into the cloud inventory: security groups and
// their rules, managed prefix lists, instances, VPCs, subnets and an EKS cluster's networking. Documents are
// taken exactly as `aws ... --output json` prints them, pagination wrappers included (NextToken is ignored).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/inventory.hpp"

namespace sgaudit::cloud::aws {

// The input kinds this reader knows, as `recognise` names them.
namespace kind {
inline constexpr std::string_view kDescribeSecurityGroups = "aws.ec2.describe-security-groups";
inline constexpr std::string_view kDescribeSecurityGroupRules = "aws.ec2.describe-security-group-rules";
inline constexpr std::string_view kDescribeManagedPrefixLists = "aws.ec2.describe-managed-prefix-lists";
inline constexpr std::string_view kGetManagedPrefixListEntries = "aws.ec2.get-managed-prefix-list-entries";
inline constexpr std::string_view kDescribeInstances = "aws.ec2.describe-instances";
inline constexpr std::string_view kDescribeVpcs = "aws.ec2.describe-vpcs";
inline constexpr std::string_view kDescribeSubnets = "aws.ec2.describe-subnets";
inline constexpr std::string_view kDescribeCluster = "aws.eks.describe-cluster";
}  // namespace kind

struct ParseOptions {
  // `aws ec2 get-managed-prefix-list-entries` does not say which list it printed. The id comes from here, or
  // else from a `pl-<hex>` token in the source name ("pl-0123abcd.json", "uploads/pl-0123abcd-entries.json").
  std::string prefix_list_id;
};

// The kind of an AWS document, told by its shape (top-level key and, where that is generic, its elements'
// fields), or nullopt when it is none of them.
std::optional<std::string> recognise(const nlohmann::json& document);

// Reads a document of `kind` (one of kind::*). `source` names the input in errors and SourceLocations.
// Errors name the field: "sg.json: /SecurityGroups/3/IpPermissions/0/FromPort: expected an integer -1..65535,
// got \"x\"". Unknown fields are ignored. Rules from describe-security-groups carry no rule id (that API has
// none: see README.md).
Parsed<core::CloudInventory> parse(std::string_view kind, const nlohmann::json& document,
                                   std::string_view source, const ParseOptions& options = {});

// The prefix list id a source name carries ("pl-0123abcd.json" -> "pl-0123abcd"), or "".
std::string prefixListIdFromName(std::string_view source);

}  // namespace sgaudit::cloud::aws
