#pragma once

// `sgaudit collect openstack`: a project's Neutron security groups, security group rules and ports, and its
// Nova servers (when the catalog has a compute endpoint), each written as the API answers it
// ({"security_groups": [...]}, {"security_group_rules": [...]}, {"ports": [...]}, {"servers": [...]}), all
// pages merged, so that `sgaudit audit DIR` reads the collection unchanged. A token comes from Keystone v3
// (POST {auth_url}/v3/auth/tokens, password or application credential; the X-Subject-Token header) with the
// catalog naming the endpoints. Lists are paged with limit and marker, following the `<list>_links` next link
// when the cloud sends one. 429 and 5xx answers are retried with exponential backoff and full jitter, a
// bounded number of times; any other error stops the collection (one line naming the endpoint and what
// failed, never the password, secret or token) and leaves the folder as it was.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/collect/kubernetes_collector.hpp"  // CollectFailure
#include "sgaudit/collect/openstack_config.hpp"

namespace sgaudit::collect {

struct OpenStackCollectOptions {
  std::size_t page_size = 1000;  // limit=
  int max_attempts = 5;          // per request: the first and four retries
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{20'000};
  std::function<void(std::chrono::milliseconds)> sleep;  // tests replace the wait
  HttpClientOptions http;
};

struct OpenStackFile {
  std::string list;  // "neutron security-groups", "nova servers/detail"
  std::filesystem::path file;
  std::size_t items = 0;
  std::size_t pages = 0;
};

struct OpenStackCollectResult {
  std::vector<OpenStackFile> files;
  std::string project;  // "shop (id 0c4e...)" as the token names it
  int retries = 0;
  std::vector<std::string> warnings;
};

// The Keystone v3 request body for the cloud's credentials, or why there is none (no password, no secret,
// no project for a password).
std::variant<nlohmann::json, std::string> keystoneAuthBody(const OpenStackAuth& auth);

// POST target under the auth URL: "/v3/auth/tokens", or "/auth/tokens" when auth_url already ends in /v3.
std::string keystoneTokensPath(const std::string& auth_url_path);

// The URL of the catalog's endpoint for `type` at `interface` in `region` ("" : any), or nullopt.
std::optional<std::string> catalogEndpoint(const nlohmann::json& token, const std::string& type,
                                           const std::string& interface, const std::string& region);

// Neutron's base: the catalog's URL with /v2.0 appended unless its path already names that version (as
// gophercloud and openstacksdk's network proxy do).
std::string networkBase(const std::string& endpoint);

// Every document into `folder` (created when missing), written beside and renamed in when all were read:
// security-groups.json, security-group-rules.json, ports.json and, with a compute endpoint,
// nova-servers-detail.json (removed when this collection did not read it).
std::variant<OpenStackCollectResult, CollectFailure> collectOpenStack(
    const OpenStackCloud& cloud, const std::filesystem::path& folder,
    const OpenStackCollectOptions& options = {});

}  // namespace sgaudit::collect
