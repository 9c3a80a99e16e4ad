#include "sgaudit/collect/kubernetes_collector.hpp"
#include "sgaudit/collect/files.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;

// The API server's Status message ("pods is forbidden: User \"x\" cannot list resource \"pods\" ..."), or the
// status line when the body is not a Status.
std::string statusMessage(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    const auto message = body.find("message");
    if (message != body.end() && message->is_string()) {
      std::string text = message->get<std::string>();
      if (text.size() > 400) text = text.substr(0, 400) + "...";
      return text;
    }
  }
  return "HTTP " + std::to_string(response.status);
}

std::string rbacRule(const ResourceList& list) {
  return "get and list on " + std::string(list.resource) + " in API group \"" + std::string(list.group) +
         "\", cluster-wide";
}

std::chrono::milliseconds retryDelay(const HttpResponse& response, std::chrono::milliseconds fallback) {
  const std::string after = response.header("Retry-After");
  unsigned seconds = 0;
  const auto [end, error] = std::from_chars(after.data(), after.data() + after.size(), seconds);
  if (!after.empty() && error == std::errc{} && end == after.data() + after.size() && seconds <= 10)
    return std::chrono::seconds(seconds);
  return fallback;
}

}  // namespace

const std::vector<ResourceList>& collectedLists() {
  static const std::vector<ResourceList> lists = {
      {"nodes", "", "/api/v1/nodes", "NodeList", "v1"},
      {"pods", "", "/api/v1/pods", "PodList", "v1"},
      {"deployments", "apps", "/apis/apps/v1/deployments", "DeploymentList", "apps/v1"},
      {"replicasets", "apps", "/apis/apps/v1/replicasets", "ReplicaSetList", "apps/v1"},
      {"daemonsets", "apps", "/apis/apps/v1/daemonsets", "DaemonSetList", "apps/v1"},
      {"statefulsets", "apps", "/apis/apps/v1/statefulsets", "StatefulSetList", "apps/v1"},
  };
  return lists;
}

std::string listTarget(const ResourceList& list, unsigned limit, std::string_view continue_token) {
  std::string target = std::string(list.path) + "?limit=" + std::to_string(limit);
  if (!continue_token.empty()) {
    target += "&continue=";
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : continue_token) {
      const auto byte = static_cast<unsigned char>(c);
      const bool unreserved = std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~';
      if (unreserved) {
        target += c;
      } else {
        target += '%';
        target += kHex[byte >> 4];
        target += kHex[byte & 15];
      }
    }
  }
  return target;
}

std::variant<ListResult, CollectFailure> pageList(const ApiGet& get, const ResourceList& list,
                                                  const CollectOptions& options,
                                                  const std::function<void(std::string_view)>& item,
                                                  const std::function<void()>& restart) {
  ListResult result;
  result.list = list;
  std::string token;
  int retries = 0;
  while (true) {
    const std::string target = listTarget(list, options.page_size, token);
    auto answer = get(target);
    if (auto* error = std::get_if<TransportError>(&answer)) return CollectFailure{error->message};
    const HttpResponse& response = std::get<HttpResponse>(answer);
    if (response.status == 401)
      return CollectFailure{
          "the API server refused the credentials (401 Unauthorized): " + statusMessage(response), true};
    if (response.status == 403) {
      result.warning = "cannot list " + std::string(list.resource) + " (403 Forbidden): the account needs " +
                       rbacRule(list) + ": " + statusMessage(response);
      return result;
    }
    if (response.status == 404 && token.empty()) {
      result.warning = "cannot list " + std::string(list.resource) +
                       " (404 Not Found): the API server does not serve " + std::string(list.path);
      return result;
    }
    if (response.status == 410 && !token.empty()) {
      // The continue token expired (etcd compacted past it): the list starts over, as client-go's pager does.
      if (++result.restarts > options.restarts)
        return CollectFailure{"listing " + std::string(list.resource) + ": the continue token expired " +
                              std::to_string(result.restarts) +
                              " times (410 Gone); the cluster changes faster than it can be paged"};
      token.clear();
      result.items = 0;
      result.pages = 0;
      restart();
      continue;
    }
    if ((response.status == 429 || response.status >= 500) && retries < options.retries) {
      std::this_thread::sleep_for(retryDelay(response, options.retry_delay * (1 << retries)));
      ++retries;
      continue;
    }
    if (response.status != 200)
      return CollectFailure{"listing " + std::string(list.resource) + " (" + target +
                            "): " + std::to_string(response.status) + ": " + statusMessage(response)};
    retries = 0;
    auto page = nlohmann::json::parse(response.body, nullptr, false);
    const std::string where = "listing " + std::string(list.resource) + ": the API server's answer ";
    if (page.is_discarded() || !page.is_object()) return CollectFailure{where + "is not a JSON object"};
    const auto kind = page.find("kind");
    if (kind != page.end() && (!kind->is_string() || *kind != list.list_kind))
      return CollectFailure{where + "is not a " + std::string(list.list_kind)};
    const auto items = page.find("items");
    if (items == page.end() || !(items->is_array() || items->is_null()))
      return CollectFailure{where + "has no items list"};
    if (items->is_array()) {
      for (const auto& object : *items) {
        if (!object.is_object()) return CollectFailure{where + "has an item that is not an object"};
        item(object.dump());
        ++result.items;
      }
    }
    ++result.pages;
    token.clear();
    if (const auto metadata = page.find("metadata"); metadata != page.end() && metadata->is_object()) {
      const auto next = metadata->find("continue");
      if (next != metadata->end() && next->is_string()) token = next->get<std::string>();
    }
    if (token.empty()) return result;
  }
}

std::variant<CollectResult, CollectFailure> collectKubernetes(const ApiGet& get, const fs::path& folder,
                                                              const CollectOptions& options) {
  auto staged = StagingFolder::create(folder, "");
  if (auto* why = std::get_if<std::string>(&staged)) return CollectFailure{*why};
  const StagingFolder& staged_folder = std::get<StagingFolder>(staged);
  const fs::path& staging = staged_folder.path();
  std::error_code error;

  CollectResult collected;
  for (const auto& list : collectedLists()) {
    const fs::path file = staging / (std::string(list.resource) + ".json");
    std::ofstream out;
    std::size_t written = 0;
    auto open = [&] {
      out.close();
      out.open(file, std::ios::binary | std::ios::trunc);
      out << "{\"apiVersion\":\"" << list.api_version << "\",\"kind\":\"" << list.list_kind
          << "\",\"metadata\":{},\"items\":[\n";
      written = 0;
    };
    open();
    auto outcome = pageList(
        get, list, options,
        [&](std::string_view item) {
          if (written++ > 0) out << ",\n";
          out << item;
        },
        open);
    if (auto* failure = std::get_if<CollectFailure>(&outcome)) return std::move(*failure);
    auto& result = std::get<ListResult>(outcome);
    out << "\n]}\n";
    out.close();
    if (!out) return CollectFailure{file.string() + ": cannot write: " + std::strerror(errno)};
    if (result.warning.empty()) {
      result.file = folder / file.filename();
    } else {
      collected.warnings.push_back(result.warning);
    }
    collected.lists.push_back(std::move(result));
  }
  // Every list was read: the new files replace the old ones, and lists not collected lose theirs.
  for (const auto& result : collected.lists) {
    const fs::path target = folder / (std::string(result.list.resource) + ".json");
    if (result.file.empty()) {
      fs::remove(target, error);
      continue;
    }
    if (auto why = staged_folder.publish(target.filename().string(), folder)) return CollectFailure{*why};
  }
  return collected;
}

}  // namespace sgaudit::collect
