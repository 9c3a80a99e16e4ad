#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sgaudit::collect {

// Standard base64 (a kubeconfig's *-data fields, a Secret's data), whitespace ignored; nullopt when the
// text is not base64.
std::optional<std::string> decodeBase64(std::string_view text);
std::string encodeBase64(std::string_view bytes);

}  // namespace sgaudit::collect
