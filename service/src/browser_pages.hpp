#pragma once

// The service's pages for people (sign-in, the dashboard): one look and one Content-Security-Policy. They
// run no script and load nothing from elsewhere.

#include <string_view>

#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service::pages {

// No script, inline style only, images only as data: URLs, forms that post to this server only, never framed.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors "
    "'none'; "
    "base-uri 'none'";

// A whole page, never cached: `title` is text (escaped here), `body` is HTML whose values the caller escaped.
HttpResponse htmlPage(int status, std::string_view title, std::string_view body);

}  // namespace sgaudit::service::pages
