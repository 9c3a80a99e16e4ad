#include "sgaudit/service/http_message.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace sgaudit::service {

bool HeaderNameLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  const auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

HttpRequest HttpRequest::make(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  const auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  return request;
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers["Content-Type"] = "application/json";
  response.body = std::move(body);
  return response;
}

HttpResponse HttpResponse::problem(int status, std::string_view detail, std::string_view instance) {
  nlohmann::json doc = {
      {"type", "about:blank"},
      {"title", std::string(reasonPhrase(status))},
      {"status", status},
      {"detail", std::string(detail)},
  };
  if (!instance.empty()) doc["instance"] = std::string(instance);
  HttpResponse response;
  response.status = status;
  response.headers["Content-Type"] = "application/problem+json";
  // Replace invalid UTF-8 (a client's bytes echoed in `detail` or `instance`) instead of throwing.
  response.body = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return status < 500 ? "Client Error" : "Server Error";
  }
}

}  // namespace sgaudit::service
