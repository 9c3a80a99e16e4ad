#pragma once

// One entry for collecting a cloud account, whichever its provider: what `sgaudit collect
// aws|huawei|openstack` runs and what the server runs for an account scope whose source names a provider
// (schedules collect before they audit). Each provider finds its credentials its own users' way (environment,
// its CLI's files, its metadata services) and writes the documents `sgaudit audit DIR` reads into a folder,
// all of them or none. Credentials are never part of a source, a result or a message.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "sgaudit/collect/kubernetes_collector.hpp"  // CollectFailure

namespace sgaudit::collect {

// Where to collect from; which fields count depends on the kind.
struct CloudSource {
  std::string kind;        // "aws", "huawei", "openstack"
  std::string region;      // aws, huawei: the region ("" : the provider's own defaults, e.g. AWS_REGION)
  std::string profile;     // aws: the ~/.aws profile; huawei: reserved
  std::string cloud;       // openstack: the clouds.yaml entry ("" : $OS_CLOUD, then OS_* variables)
  std::string cluster;     // aws: the EKS cluster's name; huawei: the CCE cluster's id ("" : none)
  std::string project_id;  // huawei: overrides HUAWEICLOUD_SDK_PROJECT_ID
};

struct CloudCollectOptions {
  std::chrono::seconds request_timeout{60};
  std::string user_agent = "sgaudit";
};

struct CloudCollectSummary {
  std::vector<std::string>
      files;  // one line per document written: "describe-vpcs.json: DescribeVpcs, 2 items (1 page)"
  std::string credentials_from;  // where the credentials came from ("environment", "profile prod", ...)
  std::string region;            // the region (or cloud) collected
  int retries = 0;               // requests sent again after throttling or a 5xx
  std::vector<std::string> warnings;
};

// One document in a summary: "describe-vpcs.json: DescribeVpcs, 2 items (1 page)".
std::string summaryLine(const std::filesystem::path& file, const std::string& what, std::size_t items,
                        std::size_t pages);

// The kinds collectCloud knows.
const std::vector<std::string>& cloudSourceKinds();

// Collects `source` into `folder` (created when missing; documents of an earlier collection it did not write
// again are removed). A failure names the provider's endpoint and what failed, never a credential; the
// folder is then as it was.
std::variant<CloudCollectSummary, CollectFailure> collectCloud(const CloudSource& source,
                                                               const std::filesystem::path& folder,
                                                               const CloudCollectOptions& options = {});

// Each provider's, as collectCloud dispatches them (cloud_collect.cpp: AWS; huawei_collector.cpp and
// openstack_collector.cpp for theirs).
std::variant<CloudCollectSummary, CollectFailure> collectAwsSource(const CloudSource& source,
                                                                   const std::filesystem::path& folder,
                                                                   const CloudCollectOptions& options);
std::variant<CloudCollectSummary, CollectFailure> collectHuaweiSource(const CloudSource& source,
                                                                      const std::filesystem::path& folder,
                                                                      const CloudCollectOptions& options);
std::variant<CloudCollectSummary, CollectFailure> collectOpenStackSource(const CloudSource& source,
                                                                         const std::filesystem::path& folder,
                                                                         const CloudCollectOptions& options);

}  // namespace sgaudit::collect
