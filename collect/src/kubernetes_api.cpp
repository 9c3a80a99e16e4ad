#include "sgaudit/collect/kubernetes_api.hpp"

#include "sgaudit/collect/files.hpp"

namespace sgaudit::collect {
namespace {

// Certificates, keys and tokens are a few KB; a megabyte is no credential.
constexpr std::uintmax_t kCredentialFileLimit = 1 << 20;

}  // namespace

KubernetesApi::KubernetesApi(ClusterAccess access, ApiOptions options, std::unique_ptr<HttpClient> client)
    : access_(std::move(access)), options_(std::move(options)), client_(std::move(client)) {}

KubernetesApi::~KubernetesApi() = default;

std::variant<std::unique_ptr<KubernetesApi>, std::string> KubernetesApi::connect(ClusterAccess access,
                                                                                 ApiOptions options) {
  auto url = parseUrl(access.server);
  if (auto* why = std::get_if<std::string>(&url))
    return "the server \"" + access.server + "\" of cluster \"" + access.cluster + "\" is not a URL: " + *why;
  if (access.insecure_skip_tls_verify && !options.allow_insecure)
    return "cluster \"" + access.cluster +
           "\" sets insecure-skip-tls-verify; sgaudit will not send credentials to a server it cannot verify "
           "unless given --insecure-skip-tls-verify";
  TlsSettings tls;
  tls.ca_pem = access.ca_pem;
  if (tls.ca_pem.empty() && !access.ca_file.empty()) {
    auto text = readSmallFile(access.ca_file, "certificate-authority", kCredentialFileLimit);
    if (!text.error.empty()) return text.error;
    tls.ca_pem = std::move(text.text);
  }
  tls.client_cert_pem = access.client_cert_pem;
  if (tls.client_cert_pem.empty() && !access.client_cert_file.empty()) {
    auto text = readSmallFile(access.client_cert_file, "client-certificate", kCredentialFileLimit);
    if (!text.error.empty()) return text.error;
    tls.client_cert_pem = std::move(text.text);
  }
  tls.client_key_pem = access.client_key_pem;
  if (tls.client_key_pem.empty() && !access.client_key_file.empty()) {
    auto text = readSmallFile(access.client_key_file, "client-key", kCredentialFileLimit);
    if (!text.error.empty()) return text.error;
    tls.client_key_pem = std::move(text.text);
  }
  tls.server_name = access.tls_server_name;
  tls.insecure_skip_verify = access.insecure_skip_tls_verify;
  auto client = std::make_unique<HttpClient>(std::get<Url>(std::move(url)), std::move(tls), options.http);
  std::unique_ptr<KubernetesApi> api(
      new KubernetesApi(std::move(access), std::move(options), std::move(client)));
  return api;
}

KubernetesApi::Authorization KubernetesApi::bearer(bool renew) {
  if (access_.exec) {
    const auto now = std::chrono::system_clock::now();
    const bool expired = exec_credential_ && exec_credential_->expires && *exec_credential_->expires <= now;
    if (!exec_credential_ || expired || renew) {
      auto credential = runExecPlugin(*access_.exec, access_, options_.exec_timeout);
      if (credential.index() == 1) return {{}, std::get<1>(credential)};
      auto& fresh = std::get<0>(credential);
      const bool new_certificate =
          !exec_credential_ || fresh.client_cert_pem != exec_credential_->client_cert_pem;
      if (!fresh.client_cert_pem.empty() && new_certificate)
        client_->setClientCertificate(fresh.client_cert_pem, fresh.client_key_pem);
      exec_credential_ = std::move(fresh);
    }
    if (!exec_credential_->token.empty()) return {"Bearer " + exec_credential_->token, {}};
  }
  if (!access_.token.empty()) return {"Bearer " + access_.token, {}};
  if (!access_.token_file.empty()) {
    const auto now = std::chrono::steady_clock::now();
    if (file_token_.empty() || renew || now - file_token_read_ >= options_.token_file_reread) {
      auto token = readTokenFile(access_.token_file, "tokenFile", kCredentialFileLimit);
      if (!token.error.empty()) return {{}, token.error};
      file_token_ = std::move(token.text);
      file_token_read_ = now;
    }
    return {"Bearer " + file_token_, {}};
  }
  return {};
}

std::variant<HttpResponse, TransportError> KubernetesApi::get(const std::string& target) {
  const bool renewable = access_.exec.has_value() || !access_.token_file.empty();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto authorization = bearer(attempt > 0);
    if (!authorization.error.empty())
      return TransportError{TransportError::Kind::Settings, authorization.error};
    HttpRequest request;
    request.target = target;
    request.headers.emplace_back("Accept", "application/json");
    if (!authorization.header.empty()) request.headers.emplace_back("Authorization", authorization.header);
    auto response = client_->send(request);
    if (auto* answer = std::get_if<HttpResponse>(&response);
        answer != nullptr && answer->status == 401 && renewable && attempt == 0)
      continue;
    return response;
  }
  return TransportError{TransportError::Kind::Protocol, "unreachable"};
}

}  // namespace sgaudit::collect
