#pragma once

// Small pieces every API handler uses: query strings, JSON answers, problems with a JSON pointer, times.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// Percent-decodes (and '+' as space in queries); nullopt on a malformed escape.
std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space = false);
// Percent-encodes every byte but RFC 3986's unreserved characters (for a query value).
std::string percentEncode(std::string_view text);
// Splits "a=1&b=x%20y"; nullopt when an escape is malformed.
std::optional<QueryParams> parseQuery(std::string_view query);

// A problem about one field of the request: RFC 9457 with an `errors` member naming the JSON pointer.
HttpResponse problemAt(int status, std::string_view detail, std::string_view pointer,
                       std::string_view instance);

HttpResponse jsonResponse(int status, const nlohmann::json& body);
// 303 See Other to a path of this server (after a form's POST, or to the sign-in page), never cached.
HttpResponse seeOther(std::string location);

// "2026-11-26T00:18:13Z"
std::string isoTime(std::chrono::system_clock::time_point when);
// "2026-11-26"
std::string isoDate(std::chrono::system_clock::time_point when);

// A scope or policy name: 1-128 of [A-Za-z0-9._-], not starting with '.'.
bool isValidName(std::string_view name);

// Whether JSON text nests brackets deeper than `limit` (outside strings): checked before parsing, so a
// nesting bomb is refused before it is built.
bool jsonTooDeep(std::string_view text, int limit);

// ASCII lower case (header values such as media types and content codings compare case-insensitively).
std::string asciiLower(std::string_view text);
// The request's media type, lower case, without parameters ("application/json; charset=utf-8" ->
// "application/json"); empty when there is no Content-Type.
std::string mediaType(const HttpRequest& request);

// The request's JSON body (Content-Type application/json, nested at most `max_depth` deep), or the problem
// that says why there is none: 415, or 400 naming the byte where parsing stopped.
std::variant<nlohmann::json, HttpResponse> readJsonBody(const HttpRequest& request, int max_depth = 64);

// Text for HTML, in an element or a quoted attribute: & < > " ' as character references. The service's own
// pages (the index, the dashboard, sign-in) put every stored or requested value through it.
std::string escapeHtml(std::string_view text);

// A positive integer id from a path or query; nullopt when it is not one.
std::optional<std::int64_t> parseId(std::string_view text);

}  // namespace sgaudit::service
