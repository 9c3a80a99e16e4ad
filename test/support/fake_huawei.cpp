#include "support/fake_huawei.hpp"

#include <memory>

#include "support/loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "sgaudit/collect/huawei_signer.hpp"

namespace sgaudit::test {
namespace {

using nlohmann::json;

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream parts(path);
  for (std::string part; std::getline(parts, part, '/');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string error(const std::string& code, const std::string& message) {
  return json({{"error_code", code},
               {"error_msg", message},
               {"request_id", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}})
      .dump();
}

// Where `marker` (an item's id) is in `items`: the index after it, or npos.
std::size_t after(const json& items, const std::string& marker) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].value("id", "") == marker) return i + 1;
  }
  return std::string::npos;
}

}  // namespace

FakeHuawei::FakeHuawei() {
  server_ = std::make_unique<LoopbackHttpServer>(
      [this](const LoopbackHttpServer::Request& request) {
        Seen seen;
        seen.method = request.method;
        seen.target = request.target;
        seen.headers = request.headers;
        const Response response = answer(seen);
        return LoopbackHttpServer::Reply{response.status, "application/json;charset=utf8", response.body, {}};
      },
      "the fake Huawei Cloud");
  port_ = server_->port();
}

FakeHuawei::~FakeHuawei() {
  server_.reset();  // no request is answered once the fake's state goes
}

void FakeHuawei::serve(const std::string& list, const json& document) {
  std::lock_guard lock(mutex_);
  lists_[list] = document;
  lists_[list].erase("page_info");  // the fake pages by itself
}

void FakeHuawei::acceptKey(const std::string& access_key, const std::string& secret_key,
                           const std::string& security_token) {
  std::lock_guard lock(mutex_);
  keys_[access_key] = {secret_key, security_token};
}

void FakeHuawei::setProjectId(const std::string& project_id) {
  std::lock_guard lock(mutex_);
  project_id_ = project_id;
}

void FakeHuawei::serveCluster(const json& cluster) {
  std::lock_guard lock(mutex_);
  cluster_ = cluster;
}

void FakeHuawei::setPageSize(std::size_t items) {
  std::lock_guard lock(mutex_);
  page_size_ = items;
}

void FakeHuawei::throttleOnce(const std::string& list) {
  std::lock_guard lock(mutex_);
  throttle_once_.insert(list);
}

void FakeHuawei::fail(const std::string& list, unsigned status, const std::string& body) {
  std::lock_guard lock(mutex_);
  failures_[list] = {status, body};
}

std::vector<FakeHuawei::Seen> FakeHuawei::requests() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

int FakeHuawei::signatureFailures() const {
  std::lock_guard lock(mutex_);
  return signature_failures_;
}

// Recomputes the request's signature with the secret key of the access key it names; "" when it matches.
std::string FakeHuawei::checkSignature(const Seen& seen) {
  const auto authorization = seen.headers.find("authorization");
  if (authorization == seen.headers.end()) return "no Authorization header";
  const std::string& value = authorization->second;
  const std::string prefix = "SDK-HMAC-SHA256 Access=";
  const auto signed_at = value.find(", SignedHeaders=");
  const auto signature_at = value.find(", Signature=");
  if (!value.starts_with(prefix) || signed_at == std::string::npos || signature_at == std::string::npos)
    return "the Authorization header is not SDK-HMAC-SHA256";
  const std::string access_key = value.substr(prefix.size(), signed_at - prefix.size());
  const std::string signed_headers = value.substr(signed_at + 16, signature_at - signed_at - 16);
  const std::string signature = value.substr(signature_at + 12);
  const auto key = keys_.find(access_key);
  if (key == keys_.end()) return "unknown access key";
  const auto date = seen.headers.find("x-sdk-date");
  if (date == seen.headers.end()) return "no X-Sdk-Date";
  const std::string& token = key->second.second;
  if (!token.empty()) {
    const auto given = seen.headers.find("x-security-token");
    if (given == seen.headers.end() || given->second != token)
      return "the security token is missing or another";
  }
  collect::SignableRequest request;
  request.method = seen.method;
  const auto question = seen.target.find('?');
  request.path = seen.target.substr(0, question);
  if (question != std::string::npos) request.query = decodePairs(seen.target.substr(question + 1), false);
  std::stringstream names(signed_headers);
  for (std::string name; std::getline(names, name, ';');) {
    const auto header = seen.headers.find(name);
    if (header == seen.headers.end()) return "a signed header is missing";
    if (name != "x-sdk-date" && name != "x-security-token")
      request.headers.emplace_back(name, header->second);
  }
  if (!seen.headers.contains("host")) return "no Host";
  try {
    const auto expected = collect::signHuawei(request, {access_key, key->second.first, token}, date->second);
    if (expected.signature != signature || expected.signed_headers != signed_headers)
      return "signature differs";
  } catch (const std::invalid_argument&) {
    return "X-Sdk-Date is not a date";
  }
  return "";
}

FakeHuawei::Response FakeHuawei::answer(Seen& seen) {
  std::lock_guard lock(mutex_);
  Response response;
  const auto question = seen.target.find('?');
  seen.path = seen.target.substr(0, question);
  if (question != std::string::npos) {
    for (const auto& [name, value] : decodePairs(seen.target.substr(question + 1), false))
      seen.query[name] = value;
  }
  const auto parts = segments(seen.path);
  std::string project;
  std::string cluster_id;
  if (parts.size() == 4 && parts[0] == "v3" && parts[2] == "vpc" &&
      (parts[3] == "security-groups" || parts[3] == "security-group-rules")) {
    project = parts[1];
    seen.list = parts[3];
  } else if (parts.size() == 4 && parts[0] == "v1" && parts[2] == "cloudservers" && parts[3] == "detail") {
    project = parts[1];
    seen.list = "servers";
  } else if (parts.size() == 3 && parts[0] == "v1" && (parts[2] == "vpcs" || parts[2] == "subnets")) {
    project = parts[1];
    seen.list = parts[2];
  } else if (parts.size() == 6 && parts[0] == "api" && parts[1] == "v3" && parts[2] == "projects" &&
             parts[4] == "clusters") {
    project = parts[3];
    cluster_id = parts[5];
    seen.list = "cluster";
  }
  auto finish = [&](unsigned status, std::string body) {
    response.status = status;
    response.body = std::move(body);
    seen.status = status;
    seen_.push_back(seen);
    return response;
  };
  if (seen.method != "GET" || seen.list.empty() || project != project_id_)
    return finish(404,
                  error("APIGW.0101", "The API does not exist or has not been published in the environment"));
  if (const std::string problem = checkSignature(seen); !problem.empty()) {
    ++signature_failures_;
    return finish(
        401, error("APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail"));
  }
  if (const auto failure = failures_.find(seen.list); failure != failures_.end())
    return finish(failure->second.first, failure->second.second);
  if (throttle_once_.erase(seen.list) > 0)
    return finish(
        429, error("APIGW.0308", "The throttling threshold has been reached: policy user over ratelimit"));

  if (seen.list == "cluster") {
    if (cluster_.is_null() || cluster_["metadata"].value("uid", "") != cluster_id)
      return finish(404, error("CCE.01404001", "Resource not found"));
    return finish(200, cluster_.dump());
  }
  const auto served = lists_.find(seen.list);
  if (served == lists_.end()) return finish(500, error("SYS.0500", "the fake serves no " + seen.list));
  const std::string key = seen.list == "security-groups"        ? "security_groups"
                          : seen.list == "security-group-rules" ? "security_group_rules"
                                                                : seen.list;
  json document = served->second;
  const json items = document[key];
  const auto number = [&](const char* name, long fallback) -> long {
    const auto it = seen.query.find(name);
    return it == seen.query.end() ? fallback : std::stol(it->second);
  };
  std::size_t start = 0;
  std::size_t count = 0;
  if (seen.list == "servers") {
    const long limit = number("limit", 25);
    long page = number("offset", 1);
    if (limit < 1 || limit > 1000 || page < 0)
      return finish(400, error("Ecs.0005", "Request parameter limit or offset is invalid"));
    if (page == 0) page = 1;  // as 1
    start = std::min(items.size(), static_cast<std::size_t>((page - 1) * limit));
    count = static_cast<std::size_t>(limit);
  } else {
    const long limit = number("limit", 2000);
    if (limit < 0 || limit > 2000) return finish(400, error("VPC.0002", "limit is invalid"));
    if (const auto marker = seen.query.find("marker"); marker != seen.query.end()) {
      start = after(items, marker->second);
      if (start == std::string::npos) return finish(400, error("VPC.0002", "marker is invalid"));
    }
    count = seen.list.starts_with("security-group") ? std::min<std::size_t>(limit, page_size_)
                                                    : static_cast<std::size_t>(limit);
  }
  const std::size_t end = std::min(items.size(), start + count);
  json page = json::array();
  for (std::size_t i = start; i < end; ++i)
    page.push_back(items[i]);
  document[key] = page;
  if (seen.list == "servers") document["count"] = items.size();
  if (seen.list.starts_with("security-group")) {
    json info = {{"previous_marker", page.empty() ? "" : page.front().value("id", "")},
                 {"current_count", page.size()}};
    if (end < items.size()) info["next_marker"] = page.back().value("id", "");
    document["page_info"] = info;
  }
  return finish(200, document.dump());
}

}  // namespace sgaudit::test
