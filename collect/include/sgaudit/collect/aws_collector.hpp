#pragma once

// `sgaudit collect aws`: an account's security groups, their rules, instances, VPCs and the managed prefix
// lists the rules reference, read from the EC2 Query API (POST / with a form body, SigV4 for service "ec2",
// XML answers), and the EKS cluster (GET /clusters/{name}, REST JSON) when one is named; each written as
// the JSON `aws ec2 <action> --output json` prints, all pages of it, so that `sgaudit audit DIR` reads the
// collection unchanged. Throttling (RequestLimitExceeded, Throttling, HTTP 429/503) and other 5xx answers
// are retried with exponential backoff and full jitter, a bounded number of times; any other error stops
// the collection (one line naming the endpoint, the action and AWS's error code) and leaves the folder as
// it was. Credentials are never written.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "sgaudit/collect/aws_credentials.hpp"
#include "sgaudit/collect/aws_sigv4.hpp"
#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/collect/kubernetes_collector.hpp"  // CollectFailure

namespace sgaudit::collect {

struct AwsAccount {
  std::string region;
  Url ec2;  // https://ec2.<region>.amazonaws.com, or an override
  Url eks;
  AwsCredentials credentials;
};

struct AwsCollectOptions {
  std::string cluster;   // EKS DescribeCluster when not empty
  int max_attempts = 5;  // per request: the first and four retries
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{20'000};
  // How to wait between attempts, and the clock the signatures are dated by (tests replace them).
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::system_clock::time_point()> now;
};

struct AwsFile {
  std::string action;          // "DescribeSecurityGroups", "GetManagedPrefixListEntries pl-0123..."
  std::filesystem::path file;  // as written into the folder
  std::size_t items = 0;
  std::size_t pages = 0;
};

struct AwsCollectResult {
  std::vector<AwsFile> files;
  int retries = 0;  // requests sent again after throttling or a 5xx
};

// Every document into `folder` (created when missing), written beside and renamed when all are read:
// describe-security-groups.json, describe-security-group-rules.json, describe-instances.json,
// describe-vpcs.json, describe-managed-prefix-lists.json, one get-managed-prefix-list-entries-<pl-id>.json
// for each list a rule references, and eks-describe-cluster.json with a cluster. Files of an earlier
// collection this one did not write (a prefix list no longer referenced, a cluster not asked for) are
// removed.
std::variant<AwsCollectResult, CollectFailure> collectAws(AwsHttp& http, const AwsAccount& account,
                                                          const std::filesystem::path& folder,
                                                          const AwsCollectOptions& options = {});

// The signed EC2 Query request for `fields` (Action and Version first) at `amz_date`.
HttpRequest ec2QueryRequest(const Url& endpoint,
                            const std::vector<std::pair<std::string, std::string>>& fields,
                            const AwsCredentials& credentials, const std::string& region,
                            const std::string& amz_date);

// "20150830T123600Z" for a time.
std::string awsAmzDate(std::chrono::system_clock::time_point time);

}  // namespace sgaudit::collect
