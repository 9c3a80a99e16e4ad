#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

HttpConnection::HttpConnection(std::uint16_t port, int timeout_ms) : timeout_ms_(timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
}

bool HttpConnection::waitClosed(int timeout_ms) {
  pollfd pfd{fd_, POLLIN, 0};
  char scratch[4096];
  for (;;) {
    if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
    const ssize_t n = ::recv(fd_, scratch, sizeof scratch, 0);
    if (n <= 0) return true;
  }
}

ClientResponse HttpConnection::read(bool head_request) {
  auto fill = [&]() -> bool {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms_) <= 0) throw std::runtime_error("timed out waiting for the server");
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
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
