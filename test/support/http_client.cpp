#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sgaudit::test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

struct HttpConnection::Tls {
  SSL_CTX* context = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
    if (context != nullptr) SSL_CTX_free(context);
  }
};

namespace {

std::string opensslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL error queued" : text;
}

}  // namespace

void HttpConnection::connectTcp(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

HttpConnection::HttpConnection(std::uint16_t port, int timeout_ms) : timeout_ms_(timeout_ms) {
  connectTcp(port);
}

HttpConnection::HttpConnection(std::uint16_t port, const TlsClientOptions& options, int timeout_ms)
    : tls_(std::make_unique<Tls>()), timeout_ms_(timeout_ms) {
  connectTcp(port);
  // The handshake blocks: bound it, as every read is.
  timeval limit{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  auto fail = [&](const std::string& step) {
    const std::string detail = opensslErrors();
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("TLS " + step + " failed: " + detail);
  };
  tls_->context = SSL_CTX_new(TLS_client_method());
  if (tls_->context == nullptr) fail("context");
  if (options.max_version != 0) {
    // Old versions are below OpenSSL's default security level; lower it so the offer is really made.
    SSL_CTX_set_security_level(tls_->context, 0);
    SSL_CTX_set_min_proto_version(tls_->context, 0);
    SSL_CTX_set_max_proto_version(tls_->context, options.max_version);
  }
  if (SSL_CTX_load_verify_locations(tls_->context, options.trusted_certificate.c_str(), nullptr) != 1) {
    fail("loading the trusted certificate");
  }
  SSL_CTX_set_verify(tls_->context, SSL_VERIFY_PEER, nullptr);
  tls_->ssl = SSL_new(tls_->context);
  if (tls_->ssl == nullptr) fail("SSL_new");
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_->ssl), "127.0.0.1");
  SSL_set_fd(tls_->ssl, fd_);
  if (SSL_connect(tls_->ssl) != 1) {
    const long verify = SSL_get_verify_result(tls_->ssl);
    fail(std::string("handshake (verify: ") + X509_verify_cert_error_string(verify) + ")");
  }
}

HttpConnection::~HttpConnection() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

std::string HttpConnection::peerCommonName() const {
  if (!tls_) return {};
  X509* certificate = SSL_get1_peer_certificate(tls_->ssl);
  if (certificate == nullptr) return {};
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, buffer, sizeof buffer);
  X509_free(certificate);
  return buffer;
}

std::string HttpConnection::protocol() const {
  return tls_ ? SSL_get_version(tls_->ssl) : "plain";
}

long HttpConnection::receive(char* data, std::size_t size, int timeout_ms) {
  if (!tls_ || SSL_pending(tls_->ssl) == 0) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return -1;
  }
  if (!tls_) {
    const ssize_t n = ::recv(fd_, data, size, 0);
    return n <= 0 ? 0 : static_cast<long>(n);
  }
  const int n = SSL_read(tls_->ssl, data, static_cast<int>(size));
  if (n > 0) return n;
  ERR_clear_error();
  return 0;  // close_notify, a TCP close without one, or a reset: the connection is over
}

void HttpConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    long n = 0;
    if (tls_) {
      n = SSL_write(tls_->ssl, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    } else {
      n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    }
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
}

bool HttpConnection::waitClosed(int timeout_ms) {
  char scratch[4096];
  for (;;) {
    const long n = receive(scratch, sizeof scratch, timeout_ms);
    if (n < 0) return false;
    if (n == 0) return true;
  }
}

ClientResponse HttpConnection::read(bool head_request) {
  auto fill = [&]() -> bool {
    char chunk[65536];
    const long n = receive(chunk, sizeof chunk, timeout_ms_);
    if (n < 0) throw std::runtime_error("timed out waiting for the server");
    if (n == 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) throw std::runtime_error("connection closed before a full response header");
  }
  ClientResponse response;
  const std::string head = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  response.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[lower(line.substr(0, colon))] = value;
  }
  std::size_t length = 0;
  if (auto it = response.headers.find("content-length"); it != response.headers.end() && !head_request) {
    length = std::stoul(it->second);
  }
  while (buffer_.size() < length) {
    if (!fill()) throw std::runtime_error("connection closed before the full body");
  }
  response.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  if (auto it = response.headers.find("connection"); it != response.headers.end()) {
    response.connection_closed = lower(it->second) == "close";
  }
  return response;
}

ClientResponse HttpConnection::request(const std::string& method, const std::string& target,
                                       const std::string& body, const std::string& extra_headers) {
  std::string bytes = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT") {
    bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  bytes += "\r\n" + body;
  send(bytes);
  return read(method == "HEAD");
}

ClientResponse httpGet(std::uint16_t port, const std::string& target) {
  HttpConnection connection(port);
  return connection.request("GET", target);
}

}  // namespace sgaudit::test
