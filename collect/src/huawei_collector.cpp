// `sgaudit collect huawei`: the Huawei Cloud collection (VPC, ECS, CCE REST APIs signed SDK-HMAC-SHA256),
// and collectHuaweiSource, what collectCloud runs for a source of kind "huawei".

#include "sgaudit/collect/huawei_collector.hpp"
#include "sgaudit/collect/files.hpp"
#include "sgaudit/collect/retry.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "sgaudit/collect/aws_collector.hpp"  // awsAmzDate: the same basic ISO 8601 form
#include "sgaudit/collect/cloud_collect.hpp"
#include "sgaudit/collect/huawei_credentials.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using Query = std::vector<std::pair<std::string, std::string>>;

std::string clip(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > 400) text = text.substr(0, 400) + "...";
  return text;
}

// Huawei's error bodies: {"error_code": ..., "error_msg": ...} (API Gateway, VPC, ECS, CCE), or
// {"error": {"code": ..., "message": ...}}; "code"/"message" at the top as a last resort.
std::string errorOf(const std::string& body) {
  const auto document = ordered_json::parse(body, nullptr, false);
  if (!document.is_object()) return "no error document";
  auto text = [](const ordered_json& object, const char* key) -> std::string {
    const auto it = object.find(key);
    if (it == object.end()) return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  std::string code = text(document, "error_code");
  std::string message = text(document, "error_msg");
  if (code.empty() && message.empty()) {
    if (const auto inner = document.find("error"); inner != document.end() && inner->is_object()) {
      code = text(*inner, "code");
      message = text(*inner, "message");
    } else {
      code = text(document, "code");
      message = text(document, "message");
    }
  }
  if (code.empty() && message.empty()) return "no error document";
  return (code.empty() ? "" : code + ": ") + clip(message);
}

class Collector {
 public:
  Collector(AwsHttp& http, const HuaweiAccount& account, const HuaweiCollectOptions& options)
      : http_(http),
        account_(account),
        options_(options),
        backoff_(options.base_delay, options.max_delay, options.sleep) {}

  int retries() const { return backoff_.retries(); }

  // One GET, retried on 429, 5xx and lost connections; the answer's JSON object.
  std::variant<ordered_json, CollectFailure> get(const char* service, const Url& endpoint,
                                                 const std::string& path, const Query& query) {
    const std::string where =
        std::string(service) + " at " + endpoint.scheme + "://" + awsHostHeader(endpoint) + ": GET " + path;
    for (int attempt = 1;; ++attempt) {
      SignableRequest signable;
      signable.method = "GET";
      signable.path = endpoint.base_path + path;
      signable.query = query;
      signable.headers = {{"Host", awsHostHeader(endpoint)}, {"Accept", "application/json"}};
      const auto signature = signHuawei(signable, account_.credentials, huaweiSdkDate(now()));
      HttpRequest request;
      request.method = "GET";
      request.target = path;
      for (std::size_t i = 0; i < query.size(); ++i)
        request.target += (i == 0 ? "?" : "&") + uriEncode(query[i].first) + "=" + uriEncode(query[i].second);
      request.headers = signable.headers;
      for (const auto& header : signature.headers)
        request.headers.push_back(header);
      auto answer = http_.send(endpoint, request);
      bool retry = false;
      std::string why;
      if (auto* error = std::get_if<TransportError>(&answer)) {
        why = error->message;
        retry = retryableTransport(*error);
      } else {
        const auto& response = std::get<HttpResponse>(answer);
        if (response.status == 200) {
          auto document = ordered_json::parse(response.body, nullptr, false);
          if (!document.is_object()) return CollectFailure{where + ": the answer is not a JSON object"};
          return document;
        }
        why = errorOf(response.body) + " (HTTP " + std::to_string(response.status) + ")";
        retry = response.status == 429 || response.status >= 500;
        if (!retry)
          return CollectFailure{where + ": " + why, response.status == 401 || response.status == 403};
      }
      if (!retry || attempt >= options_.max_attempts)
        return CollectFailure{where + ": " + why +
                              (retry ? " (gave up after " + std::to_string(attempt) + " attempts)" : "")};
      backoff_.wait(attempt);
    }
  }

  // A VPC v3 list: `limit` and `marker`, page_info.next_marker until the last page.
  std::variant<ordered_json, CollectFailure> v3List(const std::string& path, const std::string& key,
                                                    HuaweiFile& file) {
    ordered_json merged;
    std::string marker;
    std::set<std::string> seen;
    while (true) {
      Query query = {{"limit", std::to_string(options_.vpc_page_limit)}};
      if (!marker.empty()) query.emplace_back("marker", marker);
      auto page = get("vpc", account_.vpc, path, query);
      if (auto* failure = std::get_if<CollectFailure>(&page)) return std::move(*failure);
      auto& document = std::get<ordered_json>(page);
      if (!document.contains(key) || !document[key].is_array())
        return CollectFailure{"vpc: GET " + path + ": the answer has no \"" + key + "\" list"};
      marker.clear();
      if (const auto info = document.find("page_info"); info != document.end() && info->is_object()) {
        if (const auto next = info->find("next_marker"); next != info->end() && next->is_string())
          marker = next->get<std::string>();
      }
      ++file.pages;
      file.items += document[key].size();
      if (merged.is_null()) {
        merged = std::move(document);
      } else {
        for (auto& item : document[key])
          merged[key].push_back(std::move(item));
      }
      if (marker.empty()) break;
      if (!seen.insert(marker).second)
        return CollectFailure{"vpc: GET " + path + ": the API answered the same next_marker twice"};
    }
    // As one page holding every item would be answered: the last page's shape.
    if (const auto info = merged.find("page_info"); info != merged.end() && info->is_object()) {
      info->erase("next_marker");
      (*info)["current_count"] = merged[key].size();
    }
    return merged;
  }

  // A VPC v1 list: `limit` and `marker` (the last item's id), until a page holds fewer than `limit`.
  std::variant<ordered_json, CollectFailure> v1List(const std::string& path, const std::string& key,
                                                    HuaweiFile& file) {
    ordered_json merged;
    std::string marker;
    std::set<std::string> seen;
    while (true) {
      Query query = {{"limit", std::to_string(options_.vpc_page_limit)}};
      if (!marker.empty()) query.emplace_back("marker", marker);
      auto page = get("vpc", account_.vpc, path, query);
      if (auto* failure = std::get_if<CollectFailure>(&page)) return std::move(*failure);
      auto& document = std::get<ordered_json>(page);
      if (!document.contains(key) || !document[key].is_array())
        return CollectFailure{"vpc: GET " + path + ": the answer has no \"" + key + "\" list"};
      const std::size_t count = document[key].size();
      marker.clear();
      if (count > 0 && count >= options_.vpc_page_limit) {
        const auto& last = document[key].back();
        if (last.is_object() && last.contains("id") && last["id"].is_string())
          marker = last["id"].get<std::string>();
      }
      ++file.pages;
      file.items += count;
      if (merged.is_null()) {
        merged = std::move(document);
      } else {
        for (auto& item : document[key])
          merged[key].push_back(std::move(item));
      }
      if (marker.empty()) break;
      if (!seen.insert(marker).second)
        return CollectFailure{"vpc: GET " + path + ": the same page came back twice"};
    }
    return merged;
  }

  // ECS: `limit` and `offset`, the page number from 1; `count` is the total.
  std::variant<ordered_json, CollectFailure> ecsServers(HuaweiFile& file) {
    const std::string path = "/v1/" + account_.project_id + "/cloudservers/detail";
    ordered_json merged;
    for (unsigned page_number = 1;; ++page_number) {
      auto page =
          get("ecs", account_.ecs, path,
              {{"limit", std::to_string(options_.ecs_page_limit)}, {"offset", std::to_string(page_number)}});
      if (auto* failure = std::get_if<CollectFailure>(&page)) return std::move(*failure);
      auto& document = std::get<ordered_json>(page);
      if (!document.contains("servers") || !document["servers"].is_array())
        return CollectFailure{"ecs: GET " + path + ": the answer has no \"servers\" list"};
      const std::size_t got = document["servers"].size();
      const std::size_t total = document.contains("count") && document["count"].is_number_unsigned()
                                    ? document["count"].get<std::size_t>()
                                    : 0;
      ++file.pages;
      file.items += got;
      if (merged.is_null()) {
        merged = std::move(document);
      } else {
        for (auto& item : document["servers"])
          merged["servers"].push_back(std::move(item));
        merged["count"] = total;
      }
      if (got == 0 || got < options_.ecs_page_limit || merged["servers"].size() >= total) break;
      if (page_number >= 100000) return CollectFailure{"ecs: GET " + path + ": more than 100000 pages"};
    }
    if (!merged.contains("count")) merged["count"] = merged["servers"].size();
    return merged;
  }

 private:
  std::chrono::system_clock::time_point now() const {
    return options_.now ? options_.now() : std::chrono::system_clock::now();
  }

  AwsHttp& http_;
  const HuaweiAccount& account_;
  const HuaweiCollectOptions& options_;
  Backoff backoff_;
};

}  // namespace

std::string huaweiSdkDate(std::chrono::system_clock::time_point time) {
  return awsAmzDate(time);
}

std::variant<HuaweiCollectResult, CollectFailure> collectHuawei(AwsHttp& http, const HuaweiAccount& account,
                                                                const fs::path& folder,
                                                                const HuaweiCollectOptions& options) {
  if (account.project_id.empty()) return CollectFailure{"no Huawei Cloud project id"};
  auto staged = StagingFolder::create(folder, "huawei");
  if (auto* why = std::get_if<std::string>(&staged)) return CollectFailure{*why};
  const StagingFolder& staging = std::get<StagingFolder>(staged);
  std::error_code error;

  Collector collector(http, account, options);
  HuaweiCollectResult result;
  auto write = [&](HuaweiFile file, const ordered_json& document) -> std::optional<CollectFailure> {
    if (auto why = staging.writeJson(file.file.string(), document)) return CollectFailure{*why};
    result.files.push_back(std::move(file));
    return std::nullopt;
  };
  auto keep = [&](HuaweiFile file,
                  std::variant<ordered_json, CollectFailure> document) -> std::optional<CollectFailure> {
    if (auto* failure = std::get_if<CollectFailure>(&document)) return std::move(*failure);
    return write(std::move(file), std::get<ordered_json>(document));
  };
  const std::string& project = account.project_id;
  {
    HuaweiFile file{"ListSecurityGroups", "security-groups.json"};
    if (auto failure =
            keep(file, collector.v3List("/v3/" + project + "/vpc/security-groups", "security_groups", file)))
      return std::move(*failure);
  }
  {
    HuaweiFile file{"ListSecurityGroupRules", "security-group-rules.json"};
    if (auto failure = keep(file, collector.v3List("/v3/" + project + "/vpc/security-group-rules",
                                                   "security_group_rules", file)))
      return std::move(*failure);
  }
  {
    HuaweiFile file{"ListServersDetails", "ecs-servers.json"};
    if (auto failure = keep(file, collector.ecsServers(file))) return std::move(*failure);
  }
  {
    HuaweiFile file{"ListVpcs", "vpcs.json"};
    if (auto failure = keep(file, collector.v1List("/v1/" + project + "/vpcs", "vpcs", file)))
      return std::move(*failure);
  }
  {
    HuaweiFile file{"ListSubnets", "subnets.json"};
    if (auto failure = keep(file, collector.v1List("/v1/" + project + "/subnets", "subnets", file)))
      return std::move(*failure);
  }
  if (!options.cluster.empty()) {
    HuaweiFile file{"ShowCluster " + options.cluster, "cce-cluster.json"};
    const std::string path = "/api/v3/projects/" + project + "/clusters/" + uriEncode(options.cluster);
    auto document = collector.get("cce", account.cce, path, {});
    if (auto* cluster = std::get_if<ordered_json>(&document)) {
      if (cluster->value("kind", ordered_json()) != "Cluster")
        return CollectFailure{"cce: GET " + path + ": the answer is not a Cluster"};
      file.items = 1;
      file.pages = 1;
    }
    if (auto failure = keep(file, std::move(document))) return std::move(*failure);
  }
  result.retries = collector.retries();

  // Everything was read: the new files replace the old ones.
  if (options.cluster.empty()) fs::remove(folder / "cce-cluster.json", error);
  for (auto& file : result.files) {
    if (auto why = staging.publish(file.file.string(), folder)) return CollectFailure{*why};
    file.file = folder / file.file;
  }
  return result;
}

std::variant<CloudCollectSummary, CollectFailure> collectHuaweiSource(const CloudSource& source,
                                                                      const fs::path& folder,
                                                                      const CloudCollectOptions& options) {
  const auto environment = AwsEnvironment::fromProcess();
  auto region = resolveHuaweiRegion(source.region, environment);
  if (auto* why = std::get_if<std::string>(&region)) return CollectFailure{*why};
  const auto& resolved_region = std::get<HuaweiRegion>(region);
  HuaweiAccount account;
  account.region = resolved_region.name;
  for (const auto& [service, url] :
       {std::pair<const char*, Url*>{"vpc", &account.vpc}, std::pair<const char*, Url*>{"ecs", &account.ecs},
        std::pair<const char*, Url*>{"cce", &account.cce}}) {
    auto endpoint = huaweiServiceEndpoint(environment, service, account.region);
    if (auto* why = std::get_if<std::string>(&endpoint))
      return CollectFailure{"the " + std::string(service) + " endpoint: " + *why};
    *url = std::get<Url>(endpoint);
  }
  auto credentials = resolveHuaweiCredentials(environment, source.project_id);
  if (auto* why = std::get_if<std::string>(&credentials))
    return CollectFailure{"Huawei Cloud credentials: " + *why, true};
  const auto& resolved = std::get<ResolvedHuaweiCredentials>(credentials);
  account.project_id = resolved.project_id;
  account.credentials = resolved.credentials;

  HttpClientOptions http_options;
  http_options.request_timeout = options.request_timeout;
  http_options.user_agent = options.user_agent;
  AwsHttp http(http_options);
  HuaweiCollectOptions collect_options;
  collect_options.cluster = source.cluster;
  auto result = collectHuawei(http, account, folder, collect_options);
  if (auto* failure = std::get_if<CollectFailure>(&result)) return *failure;
  const auto& collected = std::get<HuaweiCollectResult>(result);
  CloudCollectSummary summary;
  for (const auto& file : collected.files) {
    summary.files.push_back(summaryLine(file.file, file.action, file.items, file.pages));
  }
  summary.credentials_from = resolved.source;
  summary.region = account.region + " (from " + resolved_region.source + "), project " + account.project_id;
  summary.retries = collected.retries;
  return summary;
}

}  // namespace sgaudit::collect
