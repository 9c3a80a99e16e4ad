#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sgaudit::service {

// Case-insensitive header names, as HTTP defines them.
struct HeaderNameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, HeaderNameLess>;

// A request as the router sees it: no sockets, no Beast types, so routing is a plain function.
struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/api/v1/version?x=1", as sent
  std::string path;    // "/api/v1/version", percent-decoding left to handlers
  std::string query;   // "x=1"
  Headers headers;
  std::string body;
  // Set instead of `body` when the server spooled a large body to a file (uploads); the server removes
  // the file once the handler returns.
  std::optional<std::filesystem::path> body_file;
  std::string remote;  // peer address, for logs

  std::optional<std::string_view> header(std::string_view name) const;
  // Splits target into path and query.
  static HttpRequest make(std::string method, std::string target);
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  static HttpResponse json(int status, std::string body);
  // RFC 9457 problem details; `detail` says what was wrong in this request.
  static HttpResponse problem(int status, std::string_view detail, std::string_view instance = {});
};

std::string_view reasonPhrase(int status);

}  // namespace sgaudit::service
