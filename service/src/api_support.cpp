#include "sgaudit/service/api_support.hpp"

#include <cctype>
#include <charconv>
#include <ctime>

#include <nlohmann/json.hpp>

namespace sgaudit::service {

std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      unsigned value = 0;
      const auto* first = text.data() + i + 1;
      const auto [end, ec] = std::from_chars(first, first + 2, value, 16);
      if (ec != std::errc() || end != first + 2) return std::nullopt;
      out.push_back(static_cast<char>(value));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

std::optional<QueryParams> parseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percentDecode(pair.substr(0, eq), true);
    auto value = percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    params.insert_or_assign(std::move(*key), std::move(*value));
  }
  return params;
}

HttpResponse problemAt(int status, std::string_view detail, std::string_view pointer,
                       std::string_view instance) {
  HttpResponse response = HttpResponse::problem(status, detail, instance);
  auto body = nlohmann::json::parse(response.body);
  body["errors"] =
      nlohmann::json::array({{{"detail", std::string(detail)}, {"pointer", std::string(pointer)}}});
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse jsonResponse(int status, const nlohmann::json& body) {
  return HttpResponse::json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

HttpResponse seeOther(std::string location) {
  HttpResponse response;
  response.status = 303;
  response.headers["Location"] = std::move(location);
  response.headers["Cache-Control"] = "no-store";
  return response;
}

std::string isoTime(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string isoDate(std::chrono::system_clock::time_point when) {
  return isoTime(when).substr(0, 10);
}

bool isValidName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool jsonTooDeep(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::string asciiLower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string mediaType(const HttpRequest& request) {
  const auto value = request.header("Content-Type");
  if (!value) return {};
  std::string_view type = value->substr(0, value->find(';'));
  while (!type.empty() && type.back() == ' ')
    type.remove_suffix(1);
  return asciiLower(type);
}

std::variant<nlohmann::json, HttpResponse> readJsonBody(const HttpRequest& request, int max_depth) {
  if (mediaType(request) != "application/json") {
    return HttpResponse::problem(415, "send the body as Content-Type: application/json", request.path);
  }
  if (jsonTooDeep(request.body, max_depth)) {
    return HttpResponse::problem(
        400, "the JSON body is nested deeper than " + std::to_string(max_depth) + " levels", request.path);
  }
  try {
    return nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& e) {
    return HttpResponse::problem(400, "the body is not valid JSON: byte " + std::to_string(e.byte),
                                 request.path);
  }
}

std::optional<std::int64_t> parseId(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace sgaudit::service
