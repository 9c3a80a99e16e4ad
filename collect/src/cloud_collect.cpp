// collectCloud: the dispatch by provider, and AWS's source (its CLI's region, profile and credential chain,
// then collectAws).

#include "sgaudit/collect/cloud_collect.hpp"

#include "sgaudit/collect/aws_collector.hpp"
#include "sgaudit/collect/aws_credentials.hpp"

namespace sgaudit::collect {

std::string summaryLine(const std::filesystem::path& file, const std::string& what, std::size_t items,
                        std::size_t pages) {
  return file.filename().string() + ": " + what + ", " + std::to_string(items) +
         (items == 1 ? " item" : " items") + " (" + std::to_string(pages) +
         (pages == 1 ? " page" : " pages") + ")";
}

const std::vector<std::string>& cloudSourceKinds() {
  static const std::vector<std::string> kinds = {"aws", "huawei", "openstack"};
  return kinds;
}

std::variant<CloudCollectSummary, CollectFailure> collectCloud(const CloudSource& source,
                                                               const std::filesystem::path& folder,
                                                               const CloudCollectOptions& options) {
  if (source.kind == "aws") return collectAwsSource(source, folder, options);
  if (source.kind == "huawei") return collectHuaweiSource(source, folder, options);
  if (source.kind == "openstack") return collectOpenStackSource(source, folder, options);
  std::string known;
  for (const auto& kind : cloudSourceKinds())
    known += (known.empty() ? "" : ", ") + kind;
  return CollectFailure{"no collector for a source of kind \"" + source.kind + "\" (known: " + known + ")"};
}

std::variant<CloudCollectSummary, CollectFailure> collectAwsSource(const CloudSource& source,
                                                                   const std::filesystem::path& folder,
                                                                   const CloudCollectOptions& options) {
  const auto environment = AwsEnvironment::fromProcess();
  auto files = loadAwsSharedFiles(environment);
  if (auto* why = std::get_if<std::string>(&files)) return CollectFailure{*why};
  const auto& shared = std::get<AwsSharedFiles>(files);
  const auto profile = chooseAwsProfile(source.profile, environment);
  const auto region = resolveAwsRegion(source.region, environment, shared, profile);
  if (!region) {
    return CollectFailure{
        "no AWS region: give one, or set AWS_REGION, AWS_DEFAULT_REGION or the profile's region in " +
        shared.config_path.string()};
  }
  auto ec2 = awsServiceEndpoint(environment, "EC2", "ec2", region->name);
  if (auto* why = std::get_if<std::string>(&ec2)) return CollectFailure{"the EC2 endpoint: " + *why};
  auto eks = awsServiceEndpoint(environment, "EKS", "eks", region->name);
  if (auto* why = std::get_if<std::string>(&eks)) return CollectFailure{"the EKS endpoint: " + *why};

  HttpClientOptions http_options;
  http_options.request_timeout = options.request_timeout;
  http_options.user_agent = options.user_agent;
  AwsHttp http(http_options);
  AwsCredentialOptions credential_options;
  credential_options.cli_profile = source.profile;
  credential_options.region = region->name;
  credential_options.http = http_options;
  auto credentials = resolveAwsCredentials(environment, shared, credential_options, http);
  if (auto* why = std::get_if<std::string>(&credentials))
    return CollectFailure{"AWS credentials: " + *why, true};
  const auto& resolved = std::get<ResolvedAwsCredentials>(credentials);

  const AwsAccount account{region->name, std::get<Url>(ec2), std::get<Url>(eks), resolved.credentials};
  AwsCollectOptions collect_options;
  collect_options.cluster = source.cluster;
  auto result = collectAws(http, account, folder, collect_options);
  if (auto* failure = std::get_if<CollectFailure>(&result)) return *failure;
  const auto& collected = std::get<AwsCollectResult>(result);
  CloudCollectSummary summary;
  for (const auto& file : collected.files) {
    summary.files.push_back(summaryLine(file.file, file.action, file.items, file.pages));
  }
  summary.credentials_from = resolved.source;
  summary.region = region->name + " (from " + region->source + ")";
  summary.retries = collected.retries;
  return summary;
}

}  // namespace sgaudit::collect
