#pragma once

// A loopback Kubernetes API server for the collector's tests: HTTPS with a certificate issued by a CA made at
// test time, bearer-token and client-certificate authentication, and cluster-wide lists served as the real
// API server serves them (items without kind or apiVersion, pages of `limit` items with an opaque base64
// `continue` token, Status bodies for 401, 403 and 410). Plain OpenSSL and POSIX sockets: no Beast in tests.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/tls_cert.hpp"

namespace sgaudit::test {

class FakeApiServer {
 public:
  // `client_ca`: the CA whose client certificates are accepted (empty: none are asked for).
  FakeApiServer(const CertificateFiles& server, const std::filesystem::path& client_ca);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  std::uint16_t port() const { return port_; }

  // The list served at `path` ("/api/v1/pods"), from a kubectl List or the items themselves; kind and
  // apiVersion are taken off each item, as the API server lists them.
  void serveList(const std::string& path, const std::string& list_kind, const std::string& api_version,
                 const nlohmann::json& items);
  // 403 for the path, with the API server's message for `resource` in `group`.
  void forbid(const std::string& path, const std::string& resource, const std::string& group);
  // The first continue token presented for `path` is answered 410 Gone (reason Expired).
  void expireContinueOnce(const std::string& path);
  // Credentials accepted: bearer tokens, and client certificates (issued by the client CA) by common name.
  void acceptToken(const std::string& token);
  void revokeToken(const std::string& token);
  void acceptClientCommonName(const std::string& common_name);

  struct Seen {
    std::string target;
    std::string user;  // "token:<first 4 characters>", "cert:<CN>", or "" when refused
    unsigned status = 0;
  };
  std::vector<Seen> requests() const;

 private:
  struct List {
    std::string kind;
    std::string api_version;
    std::vector<std::string> items;  // compact JSON
  };
  struct Connection;
  void acceptLoop();
  void serve(int fd);
  std::string answer(const std::string& target, const std::string& authorization, const std::string& peer_cn,
                     unsigned& status);

  int listener_ = -1;
  std::uint16_t port_ = 0;
  void* ssl_context_ = nullptr;  // SSL_CTX
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::map<std::string, List> lists_;
  std::map<std::string, std::pair<std::string, std::string>> forbidden_;
  std::set<std::string> expire_once_;
  std::set<std::string> tokens_;
  std::set<std::string> common_names_;
  std::vector<Seen> seen_;
  bool stopping_ = false;
  int resource_version_ = 4100;
};

}  // namespace sgaudit::test
