// The EC2 Query API's XML read as the AWS CLI reads it (aws_xml.hpp): real EC2 answers from botocore's
// response-parsing tests (data/botocore) give the documents botocore's parser gives; member names that differ
// from the element names (securityGroupInfo, groups, groupDescription, tagSet, instancesSet, dnsName,
// instanceState) and typed values (ports, booleans, timestamps) as the CLI prints them; error documents.
#include "sgaudit/collect/aws_xml.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sgaudit::collect {
namespace {

using nlohmann::json;

std::string readVector(const std::string& name) {
  std::ifstream in(std::string(SGAUDIT_COLLECT_TEST_DIR) + "/data/botocore/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) throw std::runtime_error("missing test vector " + name);
  return text.str();
}

// botocore's expected document as the CLI prints it: no ResponseMetadata, and its wire timestamps
// ("2012-10-16T20:00:13.000Z") in the CLI v2's ISO 8601 ("2012-10-16T20:00:13+00:00").
json expectedOf(const std::string& name) {
  json expected = json::parse(readVector(name));
  expected.erase("ResponseMetadata");
  std::function<void(json&)> fix = [&](json& value) {
    if (value.is_string()) {
      const std::string text = value;
      if (text.size() == 24 && text.ends_with(".000Z")) value = text.substr(0, 19) + "+00:00";
    }
    if (value.is_structured()) {
      for (auto& inner : value)
        fix(inner);
    }
  };
  fix(expected);
  return expected;
}

json convert(std::string_view action, const std::string& xml) {
  auto result = ec2ResponseToJson(action, xml);
  if (auto* why = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << *why;
    return {};
  }
  // Compared as plain JSON: member order is checked separately.
  return json::parse(std::get<nlohmann::ordered_json>(result).dump());
}

TEST(AwsXmlTest, BotocoreDescribeSecurityGroups) {
  const json document = convert("DescribeSecurityGroups", readVector("ec2-describe-security-groups.xml"));
  EXPECT_EQ(document, expectedOf("ec2-describe-security-groups.json"));
  // Spot checks against the XML itself: <groupDescription> is Description, <groups> UserIdGroupPairs, ports
  // are numbers, an empty <ipPermissionsEgress/> an empty list.
  const auto& notebook = document["SecurityGroups"][2];
  EXPECT_EQ(notebook["Description"], "For iPython notebook.");
  EXPECT_EQ(notebook["IpPermissions"][2]["FromPort"], 8888);
  EXPECT_EQ(notebook["IpPermissionsEgress"], json::array());
  EXPECT_EQ(document["SecurityGroups"][3]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"],
            "sg-eab831da");
  EXPECT_EQ(document["SecurityGroups"][3]["IpPermissions"][2]["FromPort"], -1);
  EXPECT_FALSE(document.contains("requestId"));
}

TEST(AwsXmlTest, BotocoreDescribeInstances) {
  const json document = convert("DescribeInstances", readVector("ec2-describe-instances.xml"));
  EXPECT_EQ(document, expectedOf("ec2-describe-instances.json"));
  const auto& instance = document["Reservations"][0]["Instances"][0];
  EXPECT_EQ(instance["LaunchTime"], "2012-10-16T20:00:13+00:00");
  EXPECT_EQ(instance["State"]["Code"], 80);
  EXPECT_EQ(instance["EbsOptimized"], false);
  EXPECT_EQ(instance["SecurityGroups"][0]["GroupId"], "sg-4e970e7e");
}

TEST(AwsXmlTest, BotocoreDescribeVpcs) {
  EXPECT_EQ(convert("DescribeVpcs", readVector("ec2-describe-vpcs.xml")),
            expectedOf("ec2-describe-vpcs.json"));
}

// The CLI prints members in the service model's order, whatever order the XML has them in.
TEST(AwsXmlTest, MembersInTheModelsOrder) {
  const std::string xml =
      R"(<DescribeSecurityGroupRulesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>r</requestId>
    <securityGroupRuleSet><item>
      <toPort>443</toPort><fromPort>443</fromPort><ipProtocol>tcp</ipProtocol><isEgress>false</isEgress>
      <groupId>sg-1</groupId><securityGroupRuleId>sgr-1</securityGroupRuleId>
      <referencedGroupInfo><userId>111122223333</userId><groupId>sg-2</groupId></referencedGroupInfo>
      <tagSet/>
    </item></securityGroupRuleSet>
    <nextToken>abc</nextToken>
  </DescribeSecurityGroupRulesResponse>)";
  auto result = ec2ResponseToJson("DescribeSecurityGroupRules", xml);
  ASSERT_TRUE(std::holds_alternative<nlohmann::ordered_json>(result)) << std::get<std::string>(result);
  const auto& document = std::get<nlohmann::ordered_json>(result);
  EXPECT_EQ(document.dump(),
            R"({"SecurityGroupRules":[{"SecurityGroupRuleId":"sgr-1","GroupId":"sg-1","IsEgress":false,)"
            R"("IpProtocol":"tcp","FromPort":443,"ToPort":443,"ReferencedGroupInfo":{"GroupId":"sg-2",)"
            R"("UserId":"111122223333"},"Tags":[]}],"NextToken":"abc"})");
}

TEST(AwsXmlTest, RefusesWhatItCannotRead) {
  EXPECT_EQ(std::get<std::string>(ec2ResponseToJson("DescribeVpcs", "<DescribeInstancesResponse/>")),
            "expected <DescribeVpcsResponse>, got <DescribeInstancesResponse>");
  EXPECT_EQ(
      std::get<std::string>(ec2ResponseToJson(
          "DescribeSecurityGroups",
          "<DescribeSecurityGroupsResponse><securityGroupInfo><item><ipPermissions><item><fromPort>eighty"
          "</fromPort></item></ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>")),
      "FromPort: \"eighty\" is not an integer");
  EXPECT_TRUE(std::get<std::string>(ec2ResponseToJson("DescribeVpcs", "<DescribeVpcsResponse>"))
                  .starts_with("not XML"));
  EXPECT_TRUE(
      std::holds_alternative<std::string>(ec2ResponseToJson("RunInstances", "<RunInstancesResponse/>")));
}

TEST(AwsXmlTest, ErrorDocuments) {
  const auto ec2 = parseAwsXmlError(readVector("error-ec2-describe-instances.xml"));
  ASSERT_TRUE(ec2.has_value());
  EXPECT_EQ(ec2->code, "InvalidInstanceID.Malformed");
  EXPECT_EQ(ec2->message, "Invalid id: \"foobar\"");
  EXPECT_EQ(ec2->request_id, "dfb14b43-9a55-4d8e-b676-e8034d12bbeb");
  // STS's shape (the AWS STS API Reference's errors).
  const auto sts = parseAwsXmlError(
      R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>)"
      R"(<Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found</Message></Error>)"
      R"(<RequestId>42</RequestId></ErrorResponse>)");
  ASSERT_TRUE(sts.has_value());
  EXPECT_EQ(sts->code, "InvalidIdentityToken");
  EXPECT_EQ(sts->request_id, "42");
  EXPECT_FALSE(parseAwsXmlError("<DescribeVpcsResponse/>").has_value());
  EXPECT_FALSE(parseAwsXmlError("not xml").has_value());
}

TEST(AwsXmlTest, TimestampsAsTheCliPrintsThem) {
  EXPECT_EQ(cliTimestamp("2026-11-02T08:13:57.000Z"), "2026-11-02T08:13:57+00:00");
  EXPECT_EQ(cliTimestamp("2026-10-14T09:21:44.512Z"), "2026-10-14T09:21:44.512000+00:00");
  EXPECT_EQ(cliTimestamp("2026-10-14T09:21:44Z"), "2026-10-14T09:21:44+00:00");
  EXPECT_EQ(cliTimestamp("2026-10-14T09:21:44+02:00"), "2026-10-14T09:21:44+02:00");
  EXPECT_EQ(cliTimestamp("yesterday"), "yesterday");
}

}  // namespace
}  // namespace sgaudit::collect
