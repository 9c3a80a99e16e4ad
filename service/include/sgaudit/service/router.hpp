#pragma once

#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service {

// The whole HTTP surface as a plain function: tests call it without a socket (Beast's examples,
// "handle_request"). Never throws; a handler's failure becomes a 500 problem.
HttpResponse route(const HttpRequest& request, AppContext& context);

}  // namespace sgaudit::service
