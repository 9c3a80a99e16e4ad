#include "support/fake_openstack.hpp"

#include <memory>

#include "support/loopback_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sgaudit::test {
namespace {

using nlohmann::json;

constexpr const char* kProjectId = "e4f50856753b4dc6afee5fa6b9b6c550";
constexpr const char* kProjectName = "shop";

std::map<std::string, std::string> queryPairs(const std::string& query) {
  std::map<std::string, std::string> pairs;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto equals = pair.find('=');
    pairs[pair.substr(0, equals)] = equals == std::string::npos ? "" : pair.substr(equals + 1);
    start = end + 1;
  }
  return pairs;
}

// Keystone's 401 document (the API reference's error shape).
std::string keystoneUnauthorized() {
  return json{{"error",
               {{"code", 401},
                {"message", "The request you have made requires authentication."},
                {"title", "Unauthorized"}}}}
      .dump();
}

}  // namespace

FakeOpenStack::FakeOpenStack() {
  server_ = std::make_unique<LoopbackHttpServer>(
      [this](const LoopbackHttpServer::Request& request) {
        Seen seen;
        seen.method = request.method;
        seen.target = request.target;
        seen.headers = request.headers;
        seen.body = request.body;
        const Response response = answer(seen);
        return LoopbackHttpServer::Reply{response.status, "application/json", response.body,
                                         response.headers};
      },
      "the fake OpenStack");
  port_ = server_->port();
}

FakeOpenStack::~FakeOpenStack() {
  server_.reset();  // no request is answered once the fake's state goes
}

void FakeOpenStack::acceptPassword(const std::string& user, const std::string& user_domain,
                                   const std::string& password, const std::string& project,
                                   const std::string& project_domain) {
  std::lock_guard lock(mutex_);
  passwords_.push_back({user, user_domain, password, project, project_domain});
}

void FakeOpenStack::acceptApplicationCredential(const std::string& id, const std::string& name,
                                                const std::string& user_id, const std::string& secret) {
  std::lock_guard lock(mutex_);
  app_credentials_.push_back({id, name, user_id, secret});
}

void FakeOpenStack::serve(const std::string& path, const json& document) {
  std::lock_guard lock(mutex_);
  lists_[path] = document;
}

void FakeOpenStack::setPaging(bool on) {
  std::lock_guard lock(mutex_);
  paging_ = on;
}

void FakeOpenStack::unavailableOnce(const std::string& path) {
  std::lock_guard lock(mutex_);
  unavailable_once_.insert(path);
}

void FakeOpenStack::fail(const std::string& path, unsigned status, const std::string& body) {
  std::lock_guard lock(mutex_);
  failures_[path] = {status, body};
}

void FakeOpenStack::omitFromCatalog(const std::string& type) {
  std::lock_guard lock(mutex_);
  omitted_.insert(type);
}

std::vector<FakeOpenStack::Seen> FakeOpenStack::requests() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

std::vector<std::string> FakeOpenStack::tokens() const {
  std::lock_guard lock(mutex_);
  return tokens_;
}

FakeOpenStack::Response FakeOpenStack::answer(const Seen& seen) {
  std::lock_guard lock(mutex_);
  Response response;
  const auto mark = seen.target.find('?');
  const std::string path = seen.target.substr(0, mark);
  const std::string query = mark == std::string::npos ? "" : seen.target.substr(mark + 1);
  if (seen.method == "POST" && path == "/identity/v3/auth/tokens") {
    response = keystone(seen);
  } else if (seen.method == "GET" && (path.starts_with("/network/") || path.starts_with("/compute/v2.1/"))) {
    // "/v2.0/ports", "/servers/detail": the path under the catalog's endpoint.
    const std::string listed = path.substr(path.starts_with("/network/") ? 8 : 13);
    const auto token = seen.headers.find("x-auth-token");
    if (token == seen.headers.end() ||
        std::find(tokens_.begin(), tokens_.end(), token->second) == tokens_.end()) {
      response.status = 401;
      response.body =
          json{{"error", {{"code", 401}, {"title", "Unauthorized"}, {"message", "Authentication required"}}}}
              .dump();
    } else if (unavailable_once_.erase(listed) > 0) {
      response.status = 503;
      response.body = "<html><body><h1>503 Service Unavailable</h1></body></html>";
    } else if (const auto failure = failures_.find(listed); failure != failures_.end()) {
      response.status = failure->second.first;
      response.body = failure->second.second;
    } else {
      response = list(seen, listed, query);
    }
  } else {
    response.status = 404;
    response.body = json{{"error", {{"code", 404}, {"message", "no such path " + path}}}}.dump();
  }
  Seen recorded = seen;
  recorded.status = response.status;
  seen_.push_back(std::move(recorded));
  return response;
}

FakeOpenStack::Response FakeOpenStack::keystone(const Seen& seen) {
  Response response;
  const json body = json::parse(seen.body, nullptr, false);
  bool accepted = false;
  json methods;
  try {
    const json& identity = body.at("auth").at("identity");
    methods = identity.at("methods");
    if (methods == json{"password"}) {
      const json& user = identity.at("password").at("user");
      const json& project = body.at("auth").at("scope").at("project");
      for (const auto& password : passwords_) {
        accepted = accepted || (user.value("name", "") == password.user &&
                                user.at("domain").value("name", "") == password.user_domain &&
                                user.value("password", "") == password.password &&
                                project.value("name", "") == password.project &&
                                project.at("domain").value("name", "") == password.project_domain);
      }
    } else if (methods == json{"application_credential"}) {
      // An application credential carries its own scope: a request with one is refused.
      const json& credential = identity.at("application_credential");
      if (!body.at("auth").contains("scope")) {
        for (const auto& known : app_credentials_) {
          const bool by_id = credential.value("id", "") == known.id;
          const bool by_name = !credential.contains("id") && credential.value("name", "") == known.name &&
                               credential.contains("user") &&
                               credential["user"].value("id", "") == known.user_id;
          accepted = accepted || ((by_id || by_name) && credential.value("secret", "") == known.secret);
        }
      }
    }
  } catch (const json::exception&) {
    response.status = 400;
    response.body =
        json{{"error", {{"code", 400}, {"message", "Invalid input"}, {"title", "Bad Request"}}}}.dump();
    return response;
  }
  if (!accepted) {
    response.status = 401;
    response.body = keystoneUnauthorized();
    return response;
  }
  const std::string token = "gAAAAABfakeToken" + std::to_string(tokens_.size() + 1) + "x9Qm";
  tokens_.push_back(token);
  json catalog = json::array();
  auto entry = [&](const std::string& type, const std::string& name, const std::string& endpoint) {
    if (omitted_.contains(type)) return;
    json endpoints = json::array();
    for (const char* interface : {"public", "internal", "admin"}) {
      endpoints.push_back(
          {{"id", type + "-" + interface},
           {"interface", interface},
           {"region", "RegionOne"},
           {"region_id", "RegionOne"},
           {"url", std::string(interface) == "public" ? endpoint : "http://10.255.255.1:1/" + type}});
    }
    catalog.push_back({{"endpoints", endpoints}, {"id", name + "-id"}, {"type", type}, {"name", name}});
  };
  entry("identity", "keystone", url() + "/identity");
  entry("network", "neutron", url() + "/network");
  entry("compute", "nova", url() + "/compute/v2.1");
  response.status = 201;
  response.headers.emplace_back("X-Subject-Token", token);
  response.body = json{
      {"token",
       {{"methods", methods},
        {"expires_at", "2099-01-01T00:00:00.000000Z"},
        {"issued_at", "2026-12-04T06:00:00.000000Z"},
        {"user", {{"id", "u-1"}, {"name", "sgaudit"}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
        {"project",
         {{"id", kProjectId}, {"name", kProjectName}, {"domain", {{"id", "default"}, {"name", "Default"}}}}},
        {"roles", json::array({{{"id", "r-1"}, {"name", "reader"}}})},
        {"catalog",
         catalog}}}}.dump();
  return response;
}

FakeOpenStack::Response FakeOpenStack::list(const Seen&, const std::string& path, const std::string& query) {
  Response response;
  const auto it = lists_.find(path);
  if (it == lists_.end()) {
    response.status = 404;
    response.body =
        json{{"NeutronError", {{"type", "HTTPNotFound"}, {"message", "not served"}, {"detail", ""}}}}.dump();
    return response;
  }
  // The list's key: the document's one array.
  std::string key;
  for (const auto& [name, value] : it->second.items())
    if (value.is_array()) key = name;
  const json& items = it->second.at(key);
  const auto params = queryPairs(query);
  std::size_t start = 0;
  if (const auto marker = params.find("marker"); paging_ && marker != params.end()) {
    start = items.size();
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].value("id", "") == marker->second) start = i + 1;
  }
  std::size_t limit = items.size();
  if (const auto given = params.find("limit"); paging_ && given != params.end())
    limit = std::stoul(given->second);
  json page = it->second;
  page[key] = json::array();
  for (std::size_t i = start; i < items.size() && i < start + limit; ++i)
    page[key].push_back(items[i]);
  if (paging_ && start + limit < items.size()) {
    const std::string base = url() + (path.starts_with("/v2.0/") ? "/network" : "/compute/v2.1") + path;
    page[key + "_links"] = json::array(
        {{{"href", base + "?limit=" + std::to_string(limit) + "&marker=" + page[key].back().value("id", "")},
          {"rel", "next"}},
         {{"href", base + "?limit=" + std::to_string(limit) + "&marker=" + page[key].front().value("id", "") +
                       "&page_reverse=True"},
          {"rel", "previous"}}});
  }
  response.body = page.dump();
  return response;
}

}  // namespace sgaudit::test
