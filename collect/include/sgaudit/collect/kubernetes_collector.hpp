#pragma once

// `sgaudit collect kubernetes`: the cluster-wide lists the audit reads (nodes, pods, and the workloads that
// own them), paged with `limit` and `continue` as kubectl pages them, written as API-server List documents
// that `sgaudit audit DIR` reads unchanged. A continue token that expired (410 Gone) restarts its list; a
// list the account may not read (403) is a warning naming the RBAC rule that is missing, and the others are
// still collected; anything else stops the collection and leaves the folder as it was.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sgaudit/collect/http_client.hpp"

namespace sgaudit::collect {

struct ResourceList {
  std::string_view resource;     // "pods"
  std::string_view group;        // "" (core) or "apps"
  std::string_view path;         // "/api/v1/pods"
  std::string_view list_kind;    // "PodList"
  std::string_view api_version;  // "v1"
};

// What is collected, in order.
const std::vector<ResourceList>& collectedLists();

// One GET to the API server (KubernetesApi::get, or a test's function).
using ApiGet = std::function<std::variant<HttpResponse, TransportError>(const std::string& target)>;

struct CollectOptions {
  unsigned page_size = 500;
  int restarts = 3;                            // per list, after an expired continue token
  int retries = 3;                             // per page, after 429 or 5xx
  std::chrono::milliseconds retry_delay{500};  // doubled each retry; a Retry-After of up to 10 s is honoured
};

struct ListResult {
  ResourceList list;
  std::size_t items = 0;
  std::size_t pages = 0;
  int restarts = 0;
  std::string warning;         // set when the list was not collected (403, 404)
  std::filesystem::path file;  // written file; empty when not collected
};

struct CollectResult {
  std::vector<ListResult> lists;
  std::vector<std::string> warnings;
  bool partial() const { return !warnings.empty(); }
};

// Why the collection stopped. `unauthorized` for a 401 (the credentials were refused).
struct CollectFailure {
  std::string message;
  bool unauthorized = false;
};

// Pages through one list, handing each item (compact JSON) to `item`; `restart` is called before a list
// starts over after a 410. Returns the counts, a warning (403, 404), or the failure.
std::variant<ListResult, CollectFailure> pageList(const ApiGet& get, const ResourceList& list,
                                                  const CollectOptions& options,
                                                  const std::function<void(std::string_view)>& item,
                                                  const std::function<void()>& restart);

// Every list into `folder` (created when missing): <resource>.json each, written beside and renamed when all
// lists are read, so that the folder holds either the last collection or this one. A list not collected this
// time has its old file removed (an audit must not mix a new node list with old pods).
std::variant<CollectResult, CollectFailure> collectKubernetes(const ApiGet& get,
                                                              const std::filesystem::path& folder,
                                                              const CollectOptions& options = {});

// "/api/v1/pods?limit=500&continue=..." with the token percent-encoded.
std::string listTarget(const ResourceList& list, unsigned limit, std::string_view continue_token);

}  // namespace sgaudit::collect
