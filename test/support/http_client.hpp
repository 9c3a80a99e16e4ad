#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace sgaudit::test {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool connection_closed = false;  // the server closed after this response
};

// HTTPS: the certificate the server must present a chain to (here the self-signed one itself); the
// server's certificate must name 127.0.0.1. `max_version` (an OpenSSL TLS1_x_VERSION) offers only older
// protocol versions.
struct TlsClientOptions {
  std::filesystem::path trusted_certificate;
  int max_version = 0;
};

// A deliberately small HTTP/1.1 client on plain POSIX sockets, so tests speak to the real server
// over a real loopback connection without linking Beast into every test.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, int timeout_ms = 5000);
  // Over TLS (OpenSSL); throws when the handshake or the certificate's verification fails.
  HttpConnection(std::uint16_t port, const TlsClientOptions& tls, int timeout_ms = 5000);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends raw bytes (a whole request or part of one).
  void send(const std::string& bytes);
  // Reads one response (headers only for a HEAD request); throws on timeout or when the connection
  // ends before a full response.
  ClientResponse read(bool head_request = false);
  ClientResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                         const std::string& extra_headers = {});
  // True when the server has closed the connection (reads EOF within the timeout).
  bool waitClosed(int timeout_ms);
  // Over TLS: the common name of the certificate the server presented, and the protocol ("TLSv1.3").
  std::string peerCommonName() const;
  std::string protocol() const;

 private:
  struct Tls;
  void connectTcp(std::uint16_t port);
  // Up to `size` bytes as they arrive: >0 read, 0 the peer closed, -1 timed out.
  long receive(char* data, std::size_t size, int timeout_ms);

  std::unique_ptr<Tls> tls_;
  int fd_ = -1;
  int timeout_ms_;
  std::string buffer_;
};

// One request on a fresh connection.
ClientResponse httpGet(std::uint16_t port, const std::string& target);

}  // namespace sgaudit::test
