#pragma once

// The collectors' one HTTP(S) client: a plain header over Beast and OpenSSL (http_client.cpp is the only
// file that sees them). One client talks to one server over one kept-alive connection, re-opened when the
// server closed it; every step (resolve, connect, TLS handshake, request, response) runs under a deadline.
// Certificates are verified against the given CA (or the system's), and the server's name or IP address is
// checked against the certificate, as kubectl and curl do; skipping that is a setting with a name that says
// so.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sgaudit::collect {

// "https://host:port/base/path" (a kubeconfig's `server`): scheme, host (IPv6 without brackets), port (the
// scheme's default when absent) and the path every request is sent under ("" or "/k8s/clusters/c-1").
struct Url {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;

  // "host:port" as a Host header and in messages ("[::1]:6443" for IPv6).
  std::string authority() const;
};

// The URL, or why it is not one ("expected http:// or https://", "port 99999 is not 1-65535").
std::variant<Url, std::string> parseUrl(std::string_view text);

struct TlsSettings {
  std::string ca_pem;           // the certificates to trust (PEM); empty: the system's trust store
  std::string client_cert_pem;  // a client certificate chain and its key (PEM), or both empty
  std::string client_key_pem;
  std::string server_name;  // the name the server's certificate must carry; empty: the URL's host
  bool insecure_skip_verify = false;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, appended to the URL's base path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Why a request got no HTTP response. The message is one line meant for a person and names the server; it
// never holds a header or a body (a credential could be in either).
struct TransportError {
  enum class Kind { Resolve, Connect, Tls, Timeout, Protocol, TooLarge, Settings };
  Kind kind = Kind::Connect;
  std::string message;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // resolve, connect and TLS handshake
  std::chrono::milliseconds request_timeout{60'000};  // writing the request and reading the whole response
  std::size_t body_limit = std::size_t{512} << 20;    // largest response body
  std::string user_agent = "sgaudit";
};

class HttpClient {
 public:
  // Settings that cannot be used (a CA that is no PEM certificate, a key that does not match its certificate)
  // are reported by the first send(), as a TransportError of kind Settings.
  HttpClient(Url url, TlsSettings tls, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  std::variant<HttpResponse, TransportError> send(const HttpRequest& request);

  // A new client certificate (an exec credential plugin may issue one); the next send() connects afresh.
  void setClientCertificate(std::string cert_pem, std::string key_pem);

  const Url& url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgaudit::collect
