#pragma once

// A Kubernetes API server as a user of a kubeconfig context (or the pod's service account) reaches it: HTTPS
// verified against the cluster's CA, and the user's credentials on every request (a client certificate, a
// bearer token, a token file re-read as it rotates, or an exec plugin's credential, renewed when it expires
// or the server answers 401). Nothing secret is written to a message.

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include "sgaudit/collect/exec_credential.hpp"
#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/collect/kubeconfig.hpp"

namespace sgaudit::collect {

struct ApiOptions {
  bool allow_insecure = false;  // accept a cluster marked insecure-skip-tls-verify
  std::chrono::milliseconds exec_timeout{30'000};
  std::chrono::seconds token_file_reread{
      60};  // client-go re-reads each minute; bound tokens live 1 h or more
  HttpClientOptions http;
};

class KubernetesApi {
 public:
  // Reads the files the access names (CA, client certificate and key) and checks the settings; errors are one
  // line naming the file or setting.
  static std::variant<std::unique_ptr<KubernetesApi>, std::string> connect(ClusterAccess access,
                                                                           ApiOptions options);
  ~KubernetesApi();

  // GET `target` (path and query) with the user's credentials. A 401 is retried once after the credential
  // is renewed (exec plugin re-run, token file re-read); its answer is then returned as it is.
  std::variant<HttpResponse, TransportError> get(const std::string& target);

  const ClusterAccess& access() const { return access_; }

 private:
  KubernetesApi(ClusterAccess access, ApiOptions options, std::unique_ptr<HttpClient> client);
  // The Authorization header's value now ("" for anonymous or certificate users), or why there is none.
  struct Authorization {
    std::string header;
    std::string error;
  };
  Authorization bearer(bool renew);

  ClusterAccess access_;
  ApiOptions options_;
  std::unique_ptr<HttpClient> client_;
  std::string file_token_;
  std::chrono::steady_clock::time_point file_token_read_{};
  std::optional<ExecCredential> exec_credential_;
};

}  // namespace sgaudit::collect
