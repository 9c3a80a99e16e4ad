#include "support/fake_aws.hpp"

#include <memory>

#include "support/loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "sgaudit/collect/aws_sigv4.hpp"

namespace sgaudit::test {
namespace {

using nlohmann::json;

std::string escapeXml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The element name EC2 gives a CLI member, as the EC2 API Reference's example responses spell them; `parent`
// is the member the value is inside ("" at the top).
std::string xmlName(const std::string& parent, const std::string& key) {
  static const std::map<std::string, std::string> everywhere = {
      {"SecurityGroupRules", "securityGroupRuleSet"},
      {"Reservations", "reservationSet"},
      {"Instances", "instancesSet"},
      {"Vpcs", "vpcSet"},
      {"PrefixLists", "prefixListSet"},
      {"Entries", "entrySet"},
      {"Tags", "tagSet"},
      {"UserIdGroupPairs", "groups"},
      {"Groups", "groupSet"},
      {"NetworkInterfaces", "networkInterfaceSet"},
      {"PrivateIpAddresses", "privateIpAddressesSet"},
      {"Ipv6Addresses", "ipv6AddressesSet"},
      {"PublicDnsName", "dnsName"},
      {"PublicIpAddress", "ipAddress"},
      {"StateTransitionReason", "reason"},
      {"BlockDeviceMappings", "blockDeviceMapping"},
  };
  if (parent.empty() && key == "SecurityGroups") return "securityGroupInfo";
  if (parent == "Instances" && key == "SecurityGroups") return "groupSet";
  if (parent == "Instances" && key == "State") return "instanceState";
  if (parent == "SecurityGroups" && key == "Description") return "groupDescription";
  if (const auto it = everywhere.find(key); it != everywhere.end()) return it->second;
  std::string name = key;
  name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

// "2026-11-02T08:13:57+00:00" as EC2 sends it: "2026-11-02T08:13:57.000Z".
std::string wireValue(const std::string& text) {
  if (text.size() == 25 && text[10] == 'T' && text.ends_with("+00:00")) return text.substr(0, 19) + ".000Z";
  return text;
}

void toXml(const std::string& parent, const std::string& key, const json& value, std::string& out) {
  const std::string name = xmlName(parent, key);
  if (value.is_array()) {
    if (value.empty()) {
      out += "<" + name + "/>";
      return;
    }
    out += "<" + name + ">";
    for (const auto& element : value) {
      out += "<item>";
      if (element.is_object()) {
        for (const auto& [member, inner] : element.items())
          toXml(key, member, inner, out);
      } else {
        out += escapeXml(element.is_string() ? element.get<std::string>() : element.dump());
      }
      out += "</item>";
    }
    out += "</" + name + ">";
  } else if (value.is_object()) {
    out += "<" + name + ">";
    for (const auto& [member, inner] : value.items())
      toXml(key, member, inner, out);
    out += "</" + name + ">";
  } else if (value.is_string()) {
    out += "<" + name + ">" + escapeXml(wireValue(value.get<std::string>())) + "</" + name + ">";
  } else {
    out += "<" + name + ">" + value.dump() + "</" + name + ">";
  }
}

std::string ec2Error(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
         "</Code><Message>" + escapeXml(message) +
         "</Message></Error></Errors><RequestID>fake-request-id</RequestID></Response>";
}

std::string stsError(const std::string& code, const std::string& message) {
  return "<ErrorResponse "
         "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
         code + "</Code><Message>" + escapeXml(message) +
         "</Message></Error><RequestId>fake-request-id</RequestId></ErrorResponse>";
}

// "2026-10-14T09:21:44.512000+00:00" as seconds since the epoch (EKS's JSON timestamps).
double epochSeconds(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  double seconds = static_cast<double>(timegm(&tm));
  if (text.size() > 19 && text[19] == '.') seconds += std::stod("0" + text.substr(19, text.find('+') - 19));
  return seconds;
}

}  // namespace

FakeAws::FakeAws() {
  server_ = std::make_unique<LoopbackHttpServer>(
      [this](const LoopbackHttpServer::Request& request) {
        Seen seen;
        seen.method = request.method;
        seen.target = request.target;
        seen.headers = request.headers;
        seen.body = request.body;
        const Response response = answer(seen);
        return LoopbackHttpServer::Reply{response.status, response.content_type, response.body,
                                         response.headers};
      },
      "the fake AWS");
  port_ = server_->port();
}

FakeAws::~FakeAws() {
  server_.reset();  // no request is answered once the fake's state goes
}

void FakeAws::acceptKey(const std::string& access_key_id, const std::string& secret,
                        const std::string& session_token) {
  std::lock_guard lock(mutex_);
  keys_[access_key_id] = {secret, session_token};
}

void FakeAws::setRegion(const std::string& region) {
  std::lock_guard lock(mutex_);
  region_ = region;
}

void FakeAws::serveEc2(const std::string& action, const json& document) {
  std::lock_guard lock(mutex_);
  ec2_[action] = document;
  ec2_[action].erase("NextToken");  // a CLI run's own (--max-items): the fake pages by itself
}

void FakeAws::servePrefixListEntries(const std::string& prefix_list_id, const json& document) {
  std::lock_guard lock(mutex_);
  entries_[prefix_list_id] = document;
}

void FakeAws::serveCluster(const json& document) {
  std::lock_guard lock(mutex_);
  cluster_ = document;
}

void FakeAws::setPageSize(std::size_t items) {
  std::lock_guard lock(mutex_);
  page_size_ = items;
}

void FakeAws::throttleOnce(const std::string& action) {
  std::lock_guard lock(mutex_);
  throttle_once_.insert(action);
}

void FakeAws::failAction(const std::string& action, unsigned status, const std::string& code,
                         const std::string& message) {
  std::lock_guard lock(mutex_);
  failures_[action] = {status, code, message};
}

void FakeAws::stsAccept(const std::string& role_arn, const std::string& token,
                        const std::string& access_key_id, const std::string& secret,
                        const std::string& session_token, const std::string& expiration) {
  std::lock_guard lock(mutex_);
  sts_.push_back({role_arn, token, access_key_id, secret, session_token, expiration});
}

void FakeAws::serveContainer(const std::string& path, const std::string& authorization,
                             const std::string& body) {
  std::lock_guard lock(mutex_);
  container_[path] = {authorization, body};
}

void FakeAws::serveImds(const std::string& role, const std::string& body) {
  std::lock_guard lock(mutex_);
  imds_role_ = role;
  imds_body_ = body;
}

std::vector<FakeAws::Seen> FakeAws::requests() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

int FakeAws::signatureFailures() const {
  std::lock_guard lock(mutex_);
  return signature_failures_;
}

json FakeAws::rulesOf(const json& describe_security_groups) {
  json rules = json::array();
  int number = 0;
  for (const auto& group : describe_security_groups.at("SecurityGroups")) {
    for (const auto& [key, egress] :
         {std::pair{"IpPermissions", false}, std::pair{"IpPermissionsEgress", true}}) {
      for (const auto& permission : group.value(key, json::array())) {
        json base = {{"GroupId", group.at("GroupId")},
                     {"GroupOwnerId", group.value("OwnerId", "")},
                     {"IsEgress", egress},
                     {"IpProtocol", permission.at("IpProtocol")},
                     {"FromPort", permission.value("FromPort", -1)},
                     {"ToPort", permission.value("ToPort", -1)}};
        auto add = [&](const json& source, const char* field, json value) {
          json rule = base;
          char id[32];
          std::snprintf(id, sizeof id, "sgr-%017x", ++number);
          rule["SecurityGroupRuleId"] = id;
          rule[field] = std::move(value);
          if (source.contains("Description")) rule["Description"] = source["Description"];
          rule["Tags"] = json::array();
          rules.push_back(std::move(rule));
        };
        for (const auto& range : permission.value("IpRanges", json::array()))
          add(range, "CidrIpv4", range.at("CidrIp"));
        for (const auto& range : permission.value("Ipv6Ranges", json::array()))
          add(range, "CidrIpv6", range.at("CidrIpv6"));
        for (const auto& list : permission.value("PrefixListIds", json::array()))
          add(list, "PrefixListId", list.at("PrefixListId"));
        for (const auto& pair : permission.value("UserIdGroupPairs", json::array()))
          add(pair, "ReferencedGroupInfo",
              {{"GroupId", pair.at("GroupId")}, {"UserId", pair.value("UserId", "")}});
      }
    }
  }
  return {{"SecurityGroupRules", rules}};
}

FakeAws::Response FakeAws::answer(Seen& seen) {
  std::lock_guard lock(mutex_);
  Response response;
  std::map<std::string, std::string> form;
  if (seen.method == "POST" && seen.target == "/") {
    for (const auto& [name, value] : decodePairs(seen.body, true))
      form[name] = value;
    seen.action = form["Action"];
  }
  if (seen.method == "POST" && seen.target == "/" && seen.action == "AssumeRoleWithWebIdentity") {
    response = sts(form, seen);
  } else if (seen.method == "POST" && seen.target == "/") {
    response = ec2(seen, form);
  } else if (seen.method == "GET" && seen.target.starts_with("/clusters/")) {
    response = eks(seen);
  } else if (seen.method == "PUT" && seen.target == "/latest/api/token") {
    response.content_type = "text/plain";
    if (!seen.headers.contains("x-aws-ec2-metadata-token-ttl-seconds")) {
      response.status = 400;
    } else {
      const std::string token = "imds-session-" + std::to_string(imds_tokens_.size() + 1) + "-AQAEAFake";
      imds_tokens_.insert(token);
      response.body = token;
    }
  } else if (seen.method == "GET" && seen.target.starts_with("/latest/meta-data/iam/security-credentials/")) {
    response.content_type = "text/plain";
    const auto token = seen.headers.find("x-aws-ec2-metadata-token");
    const std::string rest = seen.target.substr(std::strlen("/latest/meta-data/iam/security-credentials/"));
    if (token == seen.headers.end() || !imds_tokens_.contains(token->second)) {
      response.status = 401;  // IMDSv2 required: no IMDSv1 here
    } else if (imds_role_.empty()) {
      response.status = 404;
    } else if (rest.empty()) {
      response.body = imds_role_;
    } else if (rest == imds_role_) {
      response.body = imds_body_;
    } else {
      response.status = 404;
    }
  } else if (seen.method == "GET" && container_.contains(seen.target)) {
    const auto& [authorization, body] = container_.at(seen.target);
    response.content_type = "application/json";
    const auto given = seen.headers.find("authorization");
    if (!authorization.empty() && (given == seen.headers.end() || given->second != authorization)) {
      response.status = 403;
      response.body = R"({"code":"AccessDenied","message":"Authorization header is missing or wrong"})";
    } else {
      response.body = body;
    }
  } else {
    response.status = 404;
    response.content_type = "text/plain";
    response.body = "no such path";
  }
  seen.status = response.status;
  seen_.push_back(seen);
  return response;
}

// Recomputes the request's SigV4 signature with the secret of the key it names; "" when it matches.
std::string FakeAws::checkSignature(const Seen& seen, const std::string& service) {
  const auto authorization = seen.headers.find("authorization");
  if (authorization == seen.headers.end()) return "MissingAuthenticationToken";
  const std::string& value = authorization->second;
  const std::string prefix = "AWS4-HMAC-SHA256 Credential=";
  if (!value.starts_with(prefix)) return "IncompleteSignature";
  const auto comma = value.find(", SignedHeaders=");
  const auto signature_at = value.find(", Signature=");
  if (comma == std::string::npos || signature_at == std::string::npos) return "IncompleteSignature";
  const std::string credential = value.substr(prefix.size(), comma - prefix.size());
  const std::string signed_headers = value.substr(comma + 16, signature_at - comma - 16);
  const std::string signature = value.substr(signature_at + 12);
  std::vector<std::string> scope;
  std::stringstream parts(credential);
  for (std::string part; std::getline(parts, part, '/');)
    scope.push_back(part);
  if (scope.size() != 5 || scope[4] != "aws4_request") return "IncompleteSignature";
  const auto key = keys_.find(scope[0]);
  if (key == keys_.end()) return "AuthFailure";
  const auto date = seen.headers.find("x-amz-date");
  if (date == seen.headers.end() || date->second.substr(0, 8) != scope[1]) return "IncompleteSignature";
  if (scope[2] != region_ || scope[3] != service) return "SignatureDoesNotMatch";
  const std::string& session_token = key->second.second;
  if (!session_token.empty()) {
    const auto token = seen.headers.find("x-amz-security-token");
    if (token == seen.headers.end() || token->second != session_token) return "AuthFailure";
  }
  collect::SignableRequest request;
  request.method = seen.method;
  const auto question = seen.target.find('?');
  request.path = seen.target.substr(0, question);
  if (question != std::string::npos) request.query = decodePairs(seen.target.substr(question + 1), true);
  std::stringstream names(signed_headers);
  for (std::string name; std::getline(names, name, ';');) {
    const auto header = seen.headers.find(name);
    if (header == seen.headers.end()) return "SignatureDoesNotMatch";
    request.headers.emplace_back(name, header->second);
  }
  request.body = seen.body;
  const auto expected = collect::signAws(request, {scope[0], key->second.first, session_token}, scope[2],
                                         scope[3], date->second);
  return expected.signature == signature && expected.signed_headers == signed_headers
             ? ""
             : "SignatureDoesNotMatch";
}

FakeAws::Response FakeAws::ec2(const Seen& seen, const std::map<std::string, std::string>& form) {
  Response response;
  if (const std::string problem = checkSignature(seen, "ec2"); !problem.empty()) {
    ++signature_failures_;
    response.status = 401;
    response.body =
        ec2Error(problem == "SignatureDoesNotMatch" ? "SignatureDoesNotMatch" : "AuthFailure",
                 problem == "SignatureDoesNotMatch"
                     ? "The request signature we calculated does not match the signature you provided."
                     : "AWS was not able to validate the provided access credentials");
    return response;
  }
  const std::string action = form.at("Action");
  if (form.count("Version") == 0 || form.at("Version") != "2016-11-15") {
    response.status = 400;
    response.body = ec2Error("InvalidParameterValue", "expected Version=2016-11-15");
    return response;
  }
  if (const auto failure = failures_.find(action); failure != failures_.end()) {
    response.status = std::get<0>(failure->second);
    response.body = ec2Error(std::get<1>(failure->second), std::get<2>(failure->second));
    return response;
  }
  if (throttle_once_.erase(action) > 0) {
    response.status = 503;
    response.body = ec2Error("RequestLimitExceeded", "Request limit exceeded.");
    return response;
  }
  json document;
  std::string list_key;
  if (action == "GetManagedPrefixListEntries") {
    const auto id = form.find("PrefixListId");
    if (id == form.end() || !entries_.contains(id->second)) {
      response.status = 400;
      response.body = ec2Error("InvalidPrefixListID.NotFound", "The prefix list ID does not exist");
      return response;
    }
    document = entries_.at(id->second);
    list_key = "Entries";
  } else if (ec2_.contains(action)) {
    document = ec2_.at(action);
    for (const auto& [key, value] : document.items()) {
      if (value.is_array()) list_key = key;
    }
  } else {
    response.status = 400;
    response.body = ec2Error("InvalidAction", "The action " + action + " is not valid for this web service.");
    return response;
  }
  // MaxResults as the EC2 API bounds it for these actions.
  const bool small = action == "DescribeManagedPrefixLists" || action == "GetManagedPrefixListEntries";
  const int max_results = form.contains("MaxResults") ? std::stoi(form.at("MaxResults")) : 0;
  if (form.contains("MaxResults") && (max_results < (small ? 1 : 5) || max_results > (small ? 100 : 1000))) {
    response.status = 400;
    response.body = ec2Error("InvalidParameterValue", "MaxResults out of range");
    return response;
  }
  std::size_t offset = 0;
  if (const auto token = form.find("NextToken"); token != form.end()) {
    const std::string expected_prefix = action + "/";
    if (!token->second.starts_with(expected_prefix)) {
      response.status = 400;
      response.body = ec2Error("InvalidParameterValue", "Invalid NextToken");
      return response;
    }
    offset = std::stoul(token->second.substr(expected_prefix.size()));
  }
  json& items = document[list_key];
  const std::size_t page = std::min<std::size_t>(page_size_, max_results > 0 ? max_results : page_size_);
  const std::size_t end = std::min(items.size(), offset + page);
  json page_items = json::array();
  for (std::size_t i = offset; i < end; ++i)
    page_items.push_back(items[i]);
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + action +
                     "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
                     "    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>\n";
  toXml("", list_key, page_items, body);
  for (const auto& [key, value] : document.items()) {
    if (key != list_key) toXml("", key, value, body);
  }
  if (end < items.size()) body += "<nextToken>" + action + "/" + std::to_string(end) + "</nextToken>";
  body += "\n</" + action + "Response>\n";
  response.body = std::move(body);
  return response;
}

FakeAws::Response FakeAws::eks(const Seen& seen) {
  Response response;
  response.content_type = "application/json";
  if (const std::string problem = checkSignature(seen, "eks"); !problem.empty()) {
    ++signature_failures_;
    response.status = 403;
    response.headers.emplace_back("x-amzn-ErrorType",
                                  "InvalidSignatureException:http://internal.amazon.com/");
    response.body =
        R"({"message":"The request signature we calculated does not match the signature you provided."})";
    return response;
  }
  const std::string name = seen.target.substr(std::strlen("/clusters/"));
  if (cluster_.is_null() || cluster_["cluster"]["name"] != name) {
    response.status = 404;
    response.headers.emplace_back("x-amzn-ErrorType",
                                  "ResourceNotFoundException:http://internal.amazon.com/");
    response.body =
        R"({"message":"No cluster found for name: )" + name + R"(.","clusterName":")" + name + "\"}";
    return response;
  }
  json document = cluster_;
  auto& cluster = document["cluster"];
  if (cluster.contains("createdAt"))
    cluster["createdAt"] = epochSeconds(cluster["createdAt"].get<std::string>());
  response.body = document.dump();
  return response;
}

FakeAws::Response FakeAws::sts(const std::map<std::string, std::string>& form, const Seen& seen) {
  Response response;
  if (seen.headers.contains("authorization")) {
    response.status = 400;
    response.body = stsError("InvalidParameterValue", "AssumeRoleWithWebIdentity is not signed");
    return response;
  }
  const auto get = [&](const char* name) {
    const auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  if (get("Version") != "2011-06-15" || get("RoleSessionName").empty()) {
    response.status = 400;
    response.body = stsError("MissingParameter", "Version and RoleSessionName are required");
    return response;
  }
  for (const auto& grant : sts_) {
    if (grant.role_arn != get("RoleArn")) continue;
    if (grant.token != get("WebIdentityToken")) break;
    response.body =
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <AssumeRoleWithWebIdentityResult>\n"
        "    "
        "<SubjectFromWebIdentityToken>system:serviceaccount:sgaudit:sgaudit</SubjectFromWebIdentityToken>\n"
        "    <Audience>sts.amazonaws.com</Audience>\n"
        "    <AssumedRoleUser>\n      <Arn>" +
        grant.role_arn + "/" + get("RoleSessionName") +
        "</Arn>\n      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:" + get("RoleSessionName") +
        "</AssumedRoleId>\n    </AssumedRoleUser>\n"
        "    <Credentials>\n      <SessionToken>" +
        grant.session_token + "</SessionToken>\n      <SecretAccessKey>" + grant.secret +
        "</SecretAccessKey>\n      <Expiration>" + grant.expiration + "</Expiration>\n      <AccessKeyId>" +
        grant.access_key_id +
        "</AccessKeyId>\n    </Credentials>\n"
        "    <Provider>oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE</Provider>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        "  <ResponseMetadata>\n    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
        "  </ResponseMetadata>\n</AssumeRoleWithWebIdentityResponse>\n";
    return response;
  }
  response.status = 400;
  response.body =
      stsError("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider");
  return response;
}

}  // namespace sgaudit::test
