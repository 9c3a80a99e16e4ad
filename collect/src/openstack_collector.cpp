// `sgaudit collect openstack`: Keystone v3 for a token and the catalog, then Neutron's (and Nova's) lists,
// every page, written as the APIs answer them. HTTP through sgaudit_collect_http, so no Beast here.

#include "sgaudit/collect/openstack_collector.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "sgaudit/collect/cloud_collect.hpp"
#include "sgaudit/collect/files.hpp"
#include "sgaudit/collect/retry.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

std::string clip(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

std::string trimSlash(std::string path) {
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  return path;
}

// The message an OpenStack service puts in its error body: Keystone's {"error": {"message", "title"}},
// Neutron's {"NeutronError": {"type", "message"}}, Nova's {"forbidden": {"message"}}, or the text itself.
std::string errorMessage(const std::string& body) {
  const auto document = json::parse(body, nullptr, false);
  if (document.is_object()) {
    for (const auto& [key, value] : document.items()) {
      if (value.is_object() && value.contains("message") && value["message"].is_string()) {
        std::string type;
        if (value.contains("type") && value["type"].is_string())
          type = value["type"].get<std::string>() + ": ";
        return clip(type + value["message"].get<std::string>());
      }
    }
    if (document.contains("message") && document["message"].is_string())
      return clip(document["message"].get<std::string>());
    return {};
  }
  return clip(body.substr(0, 200));
}

// One kept-alive client per scheme, host and port (Keystone, Neutron and Nova may share a host or not).
class Clients {
 public:
  Clients(TlsSettings tls, HttpClientOptions options) : tls_(std::move(tls)), options_(std::move(options)) {}

  std::variant<HttpResponse, TransportError> send(const Url& url, HttpRequest request) {
    const std::string key = url.scheme + "://" + url.authority();
    auto& client = clients_[key];
    if (!client) {
      Url server = url;
      server.base_path.clear();
      client = std::make_unique<HttpClient>(server, tls_, options_);
    }
    request.target = trimSlash(url.base_path) + request.target;
    return client->send(request);
  }

 private:
  TlsSettings tls_;
  HttpClientOptions options_;
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;
};

class Session {
 public:
  Session(const OpenStackCloud& cloud, const OpenStackCollectOptions& options, Clients& clients)
      : cloud_(cloud),
        options_(options),
        clients_(clients),
        backoff_(options.base_delay, options.max_delay, options.sleep) {}

  int retries() const { return backoff_.retries(); }
  const std::string& token() const { return token_; }

  // Scrubs anything secret from a message (a service echoing a header or a body back).
  std::string scrub(std::string text) const {
    for (const std::string* secret :
         {&cloud_.auth.password, &cloud_.auth.application_credential_secret, &token_}) {
      if (secret->size() < 4) continue;
      for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at))
        text.replace(at, secret->size(), "***");
    }
    return text;
  }

  // A request, retried on 429, 5xx and a lost connection. The answer, or the failure naming `where`.
  std::variant<HttpResponse, CollectFailure> send(const Url& url, const HttpRequest& request,
                                                  const std::string& where) {
    for (int attempt = 1;; ++attempt) {
      auto answer = clients_.send(url, request);
      bool retry = false;
      std::string why;
      if (auto* error = std::get_if<TransportError>(&answer)) {
        why = error->message;
        retry = retryableTransport(*error);
      } else {
        auto& response = std::get<HttpResponse>(answer);
        if (response.status >= 200 && response.status < 300) return std::move(response);
        const std::string message = errorMessage(response.body);
        why = "HTTP " + std::to_string(response.status) + (message.empty() ? "" : ": " + message);
        retry = response.status == 429 || response.status >= 500;
        if (!retry)
          return CollectFailure{scrub(where + ": " + why), response.status == 401 || response.status == 403};
      }
      if (!retry || attempt >= options_.max_attempts)
        return CollectFailure{scrub(
            where + ": " + why + (retry ? " (gave up after " + std::to_string(attempt) + " attempts)" : ""))};
      backoff_.wait(attempt);
    }
  }

  // POST /v3/auth/tokens: the token (kept) and the token document with the catalog.
  std::variant<json, CollectFailure> authenticate() {
    auto parsed = parseUrl(cloud_.auth.auth_url);
    if (auto* why = std::get_if<std::string>(&parsed))
      return CollectFailure{cloud_.source + ": auth_url: " + *why};
    const Url url = std::get<Url>(parsed);
    auto body = keystoneAuthBody(cloud_.auth);
    if (auto* why = std::get_if<std::string>(&body)) return CollectFailure{cloud_.source + ": " + *why};
    HttpRequest request;
    request.method = "POST";
    request.target = keystoneTokensPath(url.base_path).substr(trimSlash(url.base_path).size());
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    request.body = std::get<json>(body).dump();
    const std::string where = "keystone at " + url.scheme + "://" + url.authority() + ": POST " +
                              trimSlash(url.base_path) + request.target;
    auto answer = send(url, request, where);
    if (auto* failure = std::get_if<CollectFailure>(&answer)) return std::move(*failure);
    const auto& response = std::get<HttpResponse>(answer);
    token_ = response.header("X-Subject-Token");
    if (token_.empty()) return CollectFailure{where + ": the answer has no X-Subject-Token header"};
    auto document = json::parse(response.body, nullptr, false);
    if (!document.is_object() || !document.contains("token") || !document["token"].is_object())
      return CollectFailure{where + ": the answer is not a JSON object with a token"};
    return std::move(document["token"]);
  }

  // Every page of a list: GET `path`?limit=N, then each `<key>_links` next link's query.
  std::variant<ordered_json, CollectFailure> list(const Url& base, const std::string& service,
                                                  const std::string& path, const std::string& key,
                                                  OpenStackFile& file) {
    ordered_json merged;
    std::string query = "limit=" + std::to_string(options_.page_size);
    std::set<std::string> seen;
    while (true) {
      HttpRequest request;
      request.method = "GET";
      request.target = path + "?" + query;
      request.headers = {{"Accept", "application/json"}, {"X-Auth-Token", token_}};
      const std::string where = service + " at " + base.scheme + "://" + base.authority() + ": GET " +
                                trimSlash(base.base_path) + path;
      auto answer = send(base, request, where);
      if (auto* failure = std::get_if<CollectFailure>(&answer)) return std::move(*failure);
      auto document = ordered_json::parse(std::get<HttpResponse>(answer).body, nullptr, false);
      if (!document.is_object() || !document.contains(key) || !document[key].is_array())
        return CollectFailure{where + ": the answer is not a JSON object with a " + key + " list"};
      ++file.pages;
      const std::size_t items = document[key].size();
      file.items += items;
      std::string next;
      if (const auto links = document.find(key + "_links"); links != document.end()) {
        if (links->is_array()) {
          for (const auto& link : *links) {
            if (link.is_object() && link.value("rel", "") == "next" && link.contains("href") &&
                link["href"].is_string()) {
              const std::string href = link["href"].get<std::string>();
              if (const auto mark = href.find('?'); mark != std::string::npos) next = href.substr(mark + 1);
            }
          }
        }
        document.erase(links);
      }
      if (merged.is_null()) {
        merged = std::move(document);
      } else {
        for (auto& item : document[key])
          merged[key].push_back(std::move(item));
      }
      if (next.empty() || items == 0) break;
      if (!seen.insert(next).second) return CollectFailure{where + ": the next link repeats itself"};
      query = next;
    }
    return merged;
  }

 private:
  const OpenStackCloud& cloud_;
  const OpenStackCollectOptions& options_;
  Clients& clients_;
  std::string token_;
  Backoff backoff_;
};

json domainOf(const std::string& id, const std::string& name) {
  if (!id.empty()) return {{"id", id}};
  return {{"name", name}};
}

}  // namespace

std::variant<json, std::string> keystoneAuthBody(const OpenStackAuth& auth) {
  std::string type = auth.auth_type;
  if (type.empty()) {
    type = auth.application_credential_secret.empty() ? "password" : "v3applicationcredential";
  }
  json identity;
  json body;
  if (type == "v3applicationcredential" || type == "application_credential") {
    if (auth.application_credential_secret.empty()) return std::string("no application_credential_secret");
    json credential = {{"secret", auth.application_credential_secret}};
    if (!auth.application_credential_id.empty()) {
      credential["id"] = auth.application_credential_id;
    } else if (!auth.application_credential_name.empty()) {
      credential["name"] = auth.application_credential_name;
      if (!auth.user_id.empty()) {
        credential["user"] = {{"id", auth.user_id}};
      } else if (!auth.username.empty() && (!auth.user_domain_id.empty() || !auth.user_domain_name.empty())) {
        credential["user"] = {{"name", auth.username},
                              {"domain", domainOf(auth.user_domain_id, auth.user_domain_name)}};
      } else {
        return std::string(
            "an application credential by name needs its user: user_id, or username and user_domain_name");
      }
    } else {
      return std::string("no application_credential_id or application_credential_name");
    }
    identity = {{"methods", {"application_credential"}}, {"application_credential", credential}};
    // An application credential is scoped to its project already: a scope is refused.
    return json{{"auth", {{"identity", identity}}}};
  }
  if (type != "password" && type != "v3password")
    return "auth_type " + type + " is not supported (password or v3applicationcredential)";
  if (auth.password.empty()) return std::string("no password");
  json user = {{"password", auth.password}};
  if (!auth.user_id.empty()) {
    user["id"] = auth.user_id;
  } else if (!auth.username.empty()) {
    if (auth.user_domain_id.empty() && auth.user_domain_name.empty())
      return std::string("a username needs its domain: user_domain_name or user_domain_id");
    user["name"] = auth.username;
    user["domain"] = domainOf(auth.user_domain_id, auth.user_domain_name);
  } else {
    return std::string("no username or user_id");
  }
  json project;
  if (!auth.project_id.empty()) {
    project = {{"id", auth.project_id}};
  } else if (!auth.project_name.empty()) {
    if (auth.project_domain_id.empty() && auth.project_domain_name.empty())
      return std::string("a project_name needs its domain: project_domain_name or project_domain_id");
    project = {{"name", auth.project_name},
               {"domain", domainOf(auth.project_domain_id, auth.project_domain_name)}};
  } else {
    return std::string("no project_name or project_id: the security groups are a project's");
  }
  identity = {{"methods", {"password"}}, {"password", {{"user", user}}}};
  body = {{"auth", {{"identity", identity}, {"scope", {{"project", project}}}}}};
  return body;
}

std::string keystoneTokensPath(const std::string& auth_url_path) {
  const std::string base = trimSlash(auth_url_path);
  if (base.ends_with("/v3")) return base + "/auth/tokens";
  return base + "/v3/auth/tokens";
}

std::optional<std::string> catalogEndpoint(const json& token, const std::string& type,
                                           const std::string& interface, const std::string& region) {
  const auto catalog = token.find("catalog");
  if (catalog == token.end() || !catalog->is_array()) return std::nullopt;
  for (const auto& service : *catalog) {
    if (!service.is_object() || service.value("type", "") != type) continue;
    for (const auto& endpoint : service.value("endpoints", json::array())) {
      if (!endpoint.is_object() || endpoint.value("interface", "") != interface) continue;
      if (!region.empty()) {
        const auto id = endpoint.value("region_id", json());
        const auto name = endpoint.value("region", json());
        if (!(id.is_string() && id == region) && !(name.is_string() && name == region)) continue;
      }
      if (endpoint.contains("url") && endpoint["url"].is_string()) return endpoint["url"].get<std::string>();
    }
  }
  return std::nullopt;
}

std::string networkBase(const std::string& endpoint) {
  const std::string base = trimSlash(endpoint);
  // The path after scheme://host[:port].
  const auto scheme = base.find("://");
  const auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string path = slash == std::string::npos ? "" : base.substr(slash);
  if (path.ends_with("/v2.0") || path.ends_with("/v2")) return path.ends_with("/v2") ? base + ".0" : base;
  return base + "/v2.0";
}

std::variant<OpenStackCollectResult, CollectFailure> collectOpenStack(
    const OpenStackCloud& cloud, const fs::path& folder, const OpenStackCollectOptions& options) {
  TlsSettings tls;
  tls.insecure_skip_verify = !cloud.verify;
  if (!cloud.cacert.empty()) {
    const auto ca = readSmallFile(cloud.cacert, "cacert", 4 << 20);
    if (!ca.error.empty()) return CollectFailure{cloud.source + ": " + ca.error};
    tls.ca_pem = ca.text;
  }
  Clients clients(tls, options.http);
  Session session(cloud, options, clients);
  auto token = session.authenticate();
  if (auto* failure = std::get_if<CollectFailure>(&token)) return std::move(*failure);
  const json& document = std::get<json>(token);

  OpenStackCollectResult result;
  if (const auto project = document.find("project"); project != document.end() && project->is_object()) {
    result.project = project->value("name", "") + " (id " + project->value("id", "") + ")";
  }
  const std::string region_text = cloud.region_name.empty() ? "any region" : "region " + cloud.region_name;
  const auto network = catalogEndpoint(document, "network", cloud.interface, cloud.region_name);
  if (!network) {
    return CollectFailure{"keystone at " + cloud.auth.auth_url + ": the catalog has no network endpoint (" +
                          cloud.interface + ", " + region_text + ")"};
  }
  auto network_url = parseUrl(networkBase(*network));
  if (auto* why = std::get_if<std::string>(&network_url))
    return CollectFailure{"the catalog's network endpoint " + *network + ": " + *why};
  std::optional<Url> compute_url;
  if (const auto compute = catalogEndpoint(document, "compute", cloud.interface, cloud.region_name)) {
    auto parsed = parseUrl(*compute);
    if (auto* why = std::get_if<std::string>(&parsed))
      return CollectFailure{"the catalog's compute endpoint " + *compute + ": " + *why};
    compute_url = std::get<Url>(parsed);
  } else {
    result.warnings.push_back("the catalog has no compute endpoint (" + cloud.interface + ", " + region_text +
                              "): Nova servers not collected, ports only");
  }

  auto staged = StagingFolder::create(folder, "openstack");
  if (auto* why = std::get_if<std::string>(&staged)) return CollectFailure{*why};
  const StagingFolder& staging = std::get<StagingFolder>(staged);
  std::error_code error;

  struct Listing {
    const char* service;
    const char* path;
    const char* key;
    const char* file;
  };
  std::vector<std::pair<Listing, Url>> listings = {
      {{"neutron", "/security-groups", "security_groups", "security-groups.json"},
       std::get<Url>(network_url)},
      {{"neutron", "/security-group-rules", "security_group_rules", "security-group-rules.json"},
       std::get<Url>(network_url)},
      {{"neutron", "/ports", "ports", "ports.json"}, std::get<Url>(network_url)},
  };
  if (compute_url)
    listings.push_back({{"nova", "/servers/detail", "servers", "nova-servers-detail.json"}, *compute_url});
  for (const auto& [listing, url] : listings) {
    OpenStackFile file{std::string(listing.service) + " " + std::string(listing.path).substr(1), listing.file,
                       0, 0};
    auto list = session.list(url, listing.service, listing.path, listing.key, file);
    if (auto* failure = std::get_if<CollectFailure>(&list)) return std::move(*failure);
    if (auto why = staging.writeJson(file.file.string(), std::get<ordered_json>(list)))
      return CollectFailure{*why};
    result.files.push_back(std::move(file));
  }
  result.retries = session.retries();

  // Everything was read: the new files replace the old ones; servers an earlier collection wrote and this one
  // could not read are removed.
  if (!compute_url) fs::remove(folder / "nova-servers-detail.json", error);
  for (auto& file : result.files) {
    if (auto why = staging.publish(file.file.string(), folder)) return CollectFailure{*why};
    file.file = folder / file.file;
  }
  return result;
}

std::variant<CloudCollectSummary, CollectFailure> collectOpenStackSource(const CloudSource& source,
                                                                         const fs::path& folder,
                                                                         const CloudCollectOptions& options) {
  auto resolved = resolveOpenStackCloud(source.cloud, source.region, OpenStackEnvironment::fromProcess());
  if (auto* why = std::get_if<std::string>(&resolved)) return CollectFailure{"OpenStack: " + *why};
  const auto& cloud = std::get<OpenStackCloud>(resolved);
  OpenStackCollectOptions collect_options;
  collect_options.http.request_timeout = options.request_timeout;
  collect_options.http.user_agent = options.user_agent;
  auto result = collectOpenStack(cloud, folder, collect_options);
  if (auto* failure = std::get_if<CollectFailure>(&result)) return std::move(*failure);
  const auto& collected = std::get<OpenStackCollectResult>(result);
  CloudCollectSummary summary;
  for (const auto& file : collected.files) {
    summary.files.push_back(summaryLine(file.file, file.list, file.items, file.pages));
  }
  summary.credentials_from = cloud.source;
  summary.region = "project " + collected.project +
                   (cloud.region_name.empty() ? std::string() : " in region " + cloud.region_name);
  summary.retries = collected.retries;
  summary.warnings = collected.warnings;
  return summary;
}

}  // namespace sgaudit::collect
