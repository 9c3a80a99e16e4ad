#pragma once

// A loopback Huawei Cloud for the Huawei collector's tests, plain HTTP on 127.0.0.1 (POSIX sockets, no
// Beast), answering as the VPC, ECS and CCE APIs do:
// - every request's SDK-HMAC-SHA256 signature recomputed from the headers it names, with the secret key of
//   the access key it names (401 APIGW.0301 when it differs, the key is unknown, or the security token the
//   key was issued with is missing or another);
// - VPC v3 lists (security-groups, security-group-rules): `limit` (0-2000) and `marker`, pages of at most
//   page_size items with page_info {previous_marker, current_count, next_marker (not on the last page)};
// - VPC v1 lists (vpcs, subnets): `limit` and `marker` (the id the page starts after);
// - ECS cloudservers/detail: `limit` (1-1000) and `offset`, the page number from 1, with the total `count`;
// - CCE: GET /api/v3/projects/{project_id}/clusters/{cluster_id}, the cluster whose metadata.uid it is;
// - 429 APIGW.0308 once for a list when asked; any answer for a list when asked.
// Paths under another project than the one set are answered 404 APIGW.0101. Every request is recorded.

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

class FakeHuawei {
 public:
  FakeHuawei();
  ~FakeHuawei();
  FakeHuawei(const FakeHuawei&) = delete;
  FakeHuawei& operator=(const FakeHuawei&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void acceptKey(const std::string& access_key, const std::string& secret_key,
                 const std::string& security_token = "");
  void setProjectId(const std::string& project_id);

  // What a list answers, as one page of it would be ({"security_groups": [...], ...}): "security-groups",
  // "security-group-rules", "servers", "vpcs", "subnets". Paged by the fake; page_info is its own.
  void serve(const std::string& list, const nlohmann::json& document);
  void serveCluster(const nlohmann::json& cluster);
  // VPC v3 pages hold at most this many items (and at most `limit`).
  void setPageSize(std::size_t items);
  void throttleOnce(const std::string& list);
  // Every request for `list` ("cluster" for CCE) is answered with this status and body.
  void fail(const std::string& list, unsigned status, const std::string& body);

  struct Seen {
    std::string method;
    std::string target;
    std::string path;
    std::string list;                            // which list or "cluster"; "" when none
    std::map<std::string, std::string> query;    // decoded
    std::map<std::string, std::string> headers;  // names lower-cased
    unsigned status = 0;
  };
  std::vector<Seen> requests() const;
  int signatureFailures() const;

 private:
  struct Response {
    unsigned status = 200;
    std::string body;
  };
  Response answer(Seen& seen);
  std::string checkSignature(const Seen& seen);

  std::uint16_t port_ = 0;
  // Reset first by the destructor: it answers from the state below.
  std::unique_ptr<LoopbackHttpServer> server_;
  mutable std::mutex mutex_;

  std::map<std::string, std::pair<std::string, std::string>> keys_;  // ak -> (sk, security token)
  std::string project_id_;
  std::map<std::string, nlohmann::json> lists_;
  nlohmann::json cluster_;
  std::size_t page_size_ = 2;
  std::set<std::string> throttle_once_;
  std::map<std::string, std::pair<unsigned, std::string>> failures_;
  std::vector<Seen> seen_;
  int signature_failures_ = 0;
};

}  // namespace sgaudit::test
