#pragma once

// A loopback OpenStack for the OpenStack collector's tests, plain HTTP on 127.0.0.1 (POSIX sockets, no
// Beast), Keystone, Neutron and Nova on one port:
// - Keystone v3 POST /identity/v3/auth/tokens: checks the password (user name and domain, project name and
//   domain) or the application credential (id, or name and user) it was told to accept, answers 201 with a
//   fresh token in X-Subject-Token and a catalog whose network endpoint is <url>/network (no version, as
//   deployments register Neutron) and compute endpoint <url>/compute/v2.1, in region RegionOne; 401 with
//   Keystone's error document otherwise;
// - Neutron GET /network/v2.0/{security-groups,security-group-rules,ports} and Nova GET
//   /compute/v2.1/servers/detail: refused with 401 without the issued X-Auth-Token; paged `limit` items at a
//   time from the item after `marker`, with a `<list>_links` next link while more remain (or everything in
//   one answer, without links, when paging is off).
// Every request is recorded.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgaudit::test {

class LoopbackHttpServer;

class FakeOpenStack {
 public:
  FakeOpenStack();
  ~FakeOpenStack();
  FakeOpenStack(const FakeOpenStack&) = delete;
  FakeOpenStack& operator=(const FakeOpenStack&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // What clouds.yaml's auth_url says.
  std::string authUrl() const { return url() + "/identity/v3"; }

  void acceptPassword(const std::string& user, const std::string& user_domain, const std::string& password,
                      const std::string& project, const std::string& project_domain);
  void acceptApplicationCredential(const std::string& id, const std::string& name, const std::string& user_id,
                                   const std::string& secret);

  // A list as Neutron or Nova answers it unpaged ({"security_groups": [...]}); `path` as under the endpoint:
  // "/v2.0/security-groups", "/servers/detail".
  void serve(const std::string& path, const nlohmann::json& document);
  void setPaging(bool on);
  // The next request for `path` is answered 503.
  void unavailableOnce(const std::string& path);
  // Every request for `path` is answered with `status` and `body`.
  void fail(const std::string& path, unsigned status, const std::string& body);
  // Catalog entries left out ("network", "compute").
  void omitFromCatalog(const std::string& type);

  struct Seen {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    unsigned status = 0;
  };
  std::vector<Seen> requests() const;
  std::vector<std::string> tokens() const;

 private:
  struct Response {
    unsigned status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Response answer(const Seen& seen);
  Response keystone(const Seen& seen);
  Response list(const Seen& seen, const std::string& path, const std::string& query);

  std::uint16_t port_ = 0;
  // Reset first by the destructor: it answers from the state below.
  std::unique_ptr<LoopbackHttpServer> server_;
  mutable std::mutex mutex_;

  struct Password {
    std::string user, user_domain, password, project, project_domain;
  };
  std::vector<Password> passwords_;
  struct AppCredential {
    std::string id, name, user_id, secret;
  };
  std::vector<AppCredential> app_credentials_;
  std::map<std::string, nlohmann::json> lists_;
  bool paging_ = true;
  std::set<std::string> unavailable_once_;
  std::map<std::string, std::pair<unsigned, std::string>> failures_;
  std::set<std::string> omitted_;
  std::vector<std::string> tokens_;
  std::vector<Seen> seen_;
};

}  // namespace sgaudit::test
