#include "support/fake_openstack.hpp"

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

std::string lowerCase(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const char* reasonPhrase(unsigned code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

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
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener_, 16) != 0)
    throw std::runtime_error("the fake OpenStack cannot listen");
  socklen_t length = sizeof address;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeOpenStack::~FakeOpenStack() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  shutdown(listener_, SHUT_RDWR);
  close(listener_);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections)
    connection.join();
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

void FakeOpenStack::acceptLoop() {
  while (true) {
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (fd >= 0) close(fd);
      return;
    }
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] { serveConnection(fd); });
  }
}

void FakeOpenStack::serveConnection(int fd) {
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string buffer;
  char chunk[8192];
  while (true) {
    auto end = buffer.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (buffer.size() > 65536) break;
      const auto got = recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(got));
      end = buffer.find("\r\n\r\n");
    }
    if (end == std::string::npos) break;
    Seen seen;
    const std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    const auto first_space = head.find(' ');
    const auto second_space = head.find(' ', first_space + 1);
    seen.method = head.substr(0, first_space);
    seen.target = head.substr(first_space + 1, second_space - first_space - 1);
    std::size_t line_start = head.find("\r\n");
    while (line_start != std::string::npos) {
      const auto line_end = head.find("\r\n", line_start + 2);
      const std::string line = head.substr(line_start + 2, line_end - line_start - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        seen.headers[lowerCase(line.substr(0, colon))] = value;
      }
      line_start = line_end;
    }
    std::size_t length = 0;
    if (const auto it = seen.headers.find("content-length"); it != seen.headers.end())
      length = std::stoul(it->second);
    while (buffer.size() < length) {
      const auto got = recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
    if (buffer.size() < length) break;
    seen.body = buffer.substr(0, length);
    buffer.erase(0, length);

    const Response response = answer(seen);
    std::string text =
        "HTTP/1.1 " + std::to_string(response.status) + " " + reasonPhrase(response.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(response.body.size()) +
        "\r\n";
    for (const auto& [name, value] : response.headers)
      text += name + ": " + value + "\r\n";
    text += "\r\n" + response.body;
    if (send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) break;
    if (seen.headers["connection"] == "close") break;
  }
  close(fd);
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
