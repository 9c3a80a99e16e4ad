#pragma once

// A plain-HTTP/1.1 server on 127.0.0.1 (a free port) for the tests' fakes of cloud APIs: POSIX sockets, a
// thread per connection, kept alive until the client closes or asks to, bodies by Content-Length. The fake
// says what to answer; everything else about HTTP is here, once.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sgaudit::test {

class LoopbackHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
  };
  struct Reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  using Handler = std::function<Reply(const Request&)>;

  // Listens at once; `name` is for the error when it cannot.
  LoopbackHttpServer(Handler handler, const std::string& name);
  ~LoopbackHttpServer();  // stops accepting and joins every connection
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  bool stopping_ = false;
};

// The name=value pairs of a query string or form body, percent-decoded ('+' as a space when `plus_is_space`,
// as forms have it), in order.
std::vector<std::pair<std::string, std::string>> decodePairs(const std::string& text, bool plus_is_space);

// "OK", "Unauthorized", ...: the reason phrase of a status the fakes answer.
const char* reasonPhrase(unsigned status);

}  // namespace sgaudit::test
