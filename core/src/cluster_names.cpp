// Which names in a pod's configuration may be cluster DNS names: the evidence hostnetwork.dns-policy weighs.
#include <algorithm>
#include <cctype>

#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::core {
namespace {

bool dnsChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
}

// A DNS-1123 label: lowercase letters, digits and '-', neither first nor last a '-'.
bool label(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() == '-' || text.back() == '-') return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// The flag's name of "--service-account-issuer=..." ("" when the text is not a flag with a value).
std::string_view flagName(std::string_view text) {
  if (!text.starts_with("-")) return {};
  const auto equals = text.find('=');
  return equals == std::string_view::npos ? std::string_view() : text.substr(0, equals);
}

}  // namespace

std::vector<std::string> clusterNameCandidates(std::string_view text, std::size_t limit) {
  std::vector<std::string> names;
  const std::string_view flag = flagName(text);
  if (flag.find("issuer") != std::string_view::npos || flag.find("audience") != std::string_view::npos)
    return names;
  std::size_t i = 0;
  while (i < text.size() && names.size() < limit) {
    if (!dnsChar(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && dnsChar(text[end]))
      ++end;
    std::string token(text.substr(i, end - i));
    i = end;
    std::transform(token.begin(), token.end(), token.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    while (!token.empty() && (token.front() == '.' || token.front() == '-'))
      token.erase(token.begin());
    while (!token.empty() && token.back() == '.')
      token.pop_back();
    if (token.size() > 253 || token.find('.') == std::string::npos) continue;
    std::vector<std::string_view> labels;
    std::string_view rest = token;
    bool valid = true;
    while (valid) {
      const auto dot = rest.find('.');
      const std::string_view part = rest.substr(0, dot);
      valid = label(part);
      labels.push_back(part);
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    if (!valid) continue;
    const std::string_view name = token;
    const bool cluster = name.ends_with(".svc") || name.find(".svc.") != std::string_view::npos ||
                         name.ends_with(".cluster.local");
    // "<service>.<namespace>": a Service's name starts with a letter (DNS-1035); versions and addresses
    // ("1.25", "10.0.0.1") never do.
    const bool service_and_namespace =
        labels.size() == 2 && std::isalpha(static_cast<unsigned char>(labels[0].front())) != 0;
    if (!cluster && !service_and_namespace) continue;
    if (std::find(names.begin(), names.end(), token) == names.end()) names.push_back(std::move(token));
  }
  return names;
}

}  // namespace sgaudit::core
