#pragma once

// `sgaudit collect huawei`: a Huawei Cloud project's security groups and their rules (VPC v3), ECS servers,
// VPCs and subnets (VPC v1) and, when one is named, the CCE cluster, each read from its REST API with
// requests signed SDK-HMAC-SHA256 (huawei_signer.hpp) and written as the API answers it, all pages merged
// into one document of the same shape, so that `sgaudit audit DIR` reads the collection unchanged:
//   security-groups.json        GET /v3/{project_id}/vpc/security-groups        limit + marker (page_info)
//   security-group-rules.json   GET /v3/{project_id}/vpc/security-group-rules   limit + marker (page_info)
//   ecs-servers.json            GET /v1/{project_id}/cloudservers/detail        limit + offset (page number)
//   vpcs.json                   GET /v1/{project_id}/vpcs                       limit + marker (last id)
//   subnets.json                GET /v1/{project_id}/subnets                    limit + marker (last id)
//   cce-cluster.json            GET /api/v3/projects/{project_id}/clusters/{cluster_id}
// A merged VPC v3 list keeps the first page's request_id and a page_info as one page holding every item
// would have it (the first previous_marker, current_count the total, no next_marker); a merged ECS list has
// "count" and "servers". HTTP 429 and 5xx answers (and lost connections) are retried with exponential
// backoff and full jitter, a bounded number of times; any other error stops the collection with one line
// naming the service, the request's path and Huawei's error_code and error_msg, and leaves the folder as it
// was. Credentials are never written.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "sgaudit/collect/aws_credentials.hpp"  // AwsHttp: kept-alive clients for several endpoints
#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/collect/huawei_signer.hpp"
#include "sgaudit/collect/kubernetes_collector.hpp"  // CollectFailure

namespace sgaudit::collect {

struct HuaweiAccount {
  std::string region;
  std::string project_id;
  Url vpc;  // https://vpc.<region>.myhuaweicloud.com, or an override
  Url ecs;
  Url cce;
  HuaweiCredentials credentials;
};

struct HuaweiCollectOptions {
  std::string cluster;             // the CCE cluster's id; "" : none
  unsigned vpc_page_limit = 2000;  // VPC v3 and v1 lists: 0-2000
  unsigned ecs_page_limit = 1000;  // ECS: at most 1000 a page
  int max_attempts = 5;            // per request: the first and four retries
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{20'000};
  // How to wait between attempts, and the clock the signatures are dated by (tests replace them).
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::system_clock::time_point()> now;
};

struct HuaweiFile {
  std::string action;          // "ListSecurityGroups", "ShowCluster f1e2..."
  std::filesystem::path file;  // as written into the folder
  std::size_t items = 0;
  std::size_t pages = 0;
};

struct HuaweiCollectResult {
  std::vector<HuaweiFile> files;
  int retries = 0;  // requests sent again after a 429, a 5xx or a lost connection
};

// Every document into `folder` (created when missing), written beside and renamed in when all were read;
// cce-cluster.json of an earlier collection is removed when no cluster is asked for.
std::variant<HuaweiCollectResult, CollectFailure> collectHuawei(AwsHttp& http, const HuaweiAccount& account,
                                                                const std::filesystem::path& folder,
                                                                const HuaweiCollectOptions& options = {});

// "20060102T150405Z" for a time (X-Sdk-Date).
std::string huaweiSdkDate(std::chrono::system_clock::time_point time);

}  // namespace sgaudit::collect
