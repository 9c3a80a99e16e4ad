#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace sgaudit::test {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool connection_closed = false;  // the server closed after this response
};

// A deliberately small HTTP/1.1 client on plain POSIX sockets, so tests speak to the real server
// over a real loopback connection without linking Beast into every test.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, int timeout_ms = 5000);
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

 private:
  int fd_ = -1;
  int timeout_ms_;
  std::string buffer_;
};

// One request on a fresh connection.
ClientResponse httpGet(std::uint16_t port, const std::string& target);

}  // namespace sgaudit::test
