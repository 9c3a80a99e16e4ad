#include "sgaudit/cloud/gcp/targets.hpp"

#include <algorithm>

namespace sgaudit::cloud::gcp {
namespace {

constexpr std::string_view kAll = "all";
constexpr std::string_view kTags = "tags";
constexpr std::string_view kServiceAccounts = "serviceAccounts";

std::string joined(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : std::string(separator)) + name;
  return out;
}

}  // namespace

bool isTargetName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '/' || c == ',' || u <= 0x20 || u == 0x7f;
  });
}

std::string lastSegment(std::string_view url) {
  while (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  const auto slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

Targets Targets::of(std::string network, Kind kind, std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) kind = Kind::All;
  if (kind == Kind::All) names.clear();
  return Targets{std::move(network), kind, std::move(names)};
}

std::string Targets::groupId() const {
  switch (kind) {
    case Kind::Tags:
      return network + "/" + std::string(kTags) + "/" + joined(names, ",");
    case Kind::ServiceAccounts:
      return network + "/" + std::string(kServiceAccounts) + "/" + joined(names, ",");
    case Kind::All:
      break;
  }
  return network + "/" + std::string(kAll);
}

std::string Targets::groupName() const {
  const std::string start = "network " + network + " for ";
  switch (kind) {
    case Kind::Tags:
      return start + (names.size() == 1 ? "tag " : "tags ") + joined(names, ", ");
    case Kind::ServiceAccounts:
      return start + (names.size() == 1 ? "service account " : "service accounts ") + joined(names, ", ");
    case Kind::All:
      break;
  }
  return start + "all instances";
}

bool Targets::appliesTo(std::string_view instance_network, const std::vector<std::string>& tags,
                        const std::vector<std::string>& service_accounts) const {
  if (instance_network != network) return false;
  auto any = [&](const std::vector<std::string>& carried) {
    return std::any_of(carried.begin(), carried.end(), [&](const std::string& name) {
      return std::binary_search(names.begin(), names.end(), name);
    });
  };
  switch (kind) {
    case Kind::Tags:
      return any(tags);
    case Kind::ServiceAccounts:
      return any(service_accounts);
    case Kind::All:
      break;
  }
  return true;
}

std::optional<Targets> Targets::fromGroupId(std::string_view id) {
  const auto slash = id.find('/');
  if (slash == std::string_view::npos || !isTargetName(id.substr(0, slash))) return std::nullopt;
  std::string network(id.substr(0, slash));
  std::string_view rest = id.substr(slash + 1);
  if (rest == kAll) return Targets{std::move(network), Kind::All, {}};
  const auto second = rest.find('/');
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view word = rest.substr(0, second);
  Kind kind = Kind::All;
  if (word == kTags) {
    kind = Kind::Tags;
  } else if (word == kServiceAccounts) {
    kind = Kind::ServiceAccounts;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> names;
  std::string_view list = rest.substr(second + 1);
  while (true) {
    const auto comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    if (!isTargetName(name)) return std::nullopt;
    names.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  Targets targets = of(std::move(network), kind, std::move(names));
  // Only the id groupId() writes: sorted names, each once.
  if (targets.groupId() != id) return std::nullopt;
  return targets;
}

}  // namespace sgaudit::cloud::gcp
