#pragma once

// The AWS Query protocol's XML answers (EC2 and STS) read as the AWS CLI reads them: an EC2 action's answer
// becomes the JSON `aws ec2 <action> --output json` prints (member names and order from the EC2 service
// model, lists from their <item> elements, integers and booleans typed, timestamps in ISO 8601 with their
// UTC offset as the CLI v2 prints them), and error answers become their code and message. Boost's
// PropertyTree parses the XML; nothing here touches the network.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgaudit::collect {

// The EC2 actions whose answers convert: DescribeSecurityGroups, DescribeSecurityGroupRules,
// DescribeInstances, DescribeVpcs, DescribeManagedPrefixLists, GetManagedPrefixListEntries.
const std::vector<std::string_view>& ec2ConvertibleActions();

// The answer of `action` (<{action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">) as the CLI's
// JSON, NextToken included when the answer has one; elements the model does not name (requestId) are left
// out. Or why it cannot be read ("not XML: ...", "expected <DescribeVpcsResponse>, got <Foo>", "FromPort:
// \"x\" is not an integer").
std::variant<nlohmann::ordered_json, std::string> ec2ResponseToJson(std::string_view action,
                                                                    std::string_view xml);

// An error answer of a Query API: EC2's <Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response> or STS's <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>
// </ErrorResponse>. nullopt when the text is neither.
struct AwsApiError {
  std::string code;
  std::string message;
  std::string request_id;
};
std::optional<AwsApiError> parseAwsXmlError(std::string_view xml);

// The text of the elements under <root>/<path...> (one level of leaves: their names and text), e.g. root
// "AssumeRoleWithWebIdentityResponse", path {"AssumeRoleWithWebIdentityResult", "Credentials"}. Or why not.
std::variant<std::map<std::string, std::string>, std::string> xmlLeaves(std::string_view xml,
                                                                        std::string_view root,
                                                                        const std::vector<std::string>& path);

// A timestamp as the wire carries it ("2026-11-02T08:13:57.000Z") as the AWS CLI v2 prints it
// ("2026-11-02T08:13:57+00:00"; a fraction that is not zero as microseconds: ".512000"). Text that is not an
// ISO 8601 time is returned unchanged.
std::string cliTimestamp(std::string_view wire);

}  // namespace sgaudit::collect
