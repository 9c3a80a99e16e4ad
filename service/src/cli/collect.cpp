// `sgaudit collect kubernetes`: the cluster's nodes, pods and workloads fetched from its API server, as
// kubectl finds the cluster (--kubeconfig, $KUBECONFIG, ~/.kube/config, then in-cluster), written as the
// files `sgaudit audit DIR` reads. Exit 0: all collected; 1: collected but some lists were forbidden (each
// named with the RBAC rule it needs); 2: nothing written (unreachable server, a certificate not trusted, 401,
// bad kubeconfig).
//
// `sgaudit collect aws`: an AWS account's security groups, rules, instances, VPCs, referenced prefix lists
// and (--cluster) its EKS cluster, read from the EC2 and EKS APIs with credentials found as the AWS CLI finds
// them (aws_credentials.hpp), written as the `aws ... --output json` documents the audit reads. Exit 0: all
// collected; 2: nothing written (no region, no credentials, an API error).
//
// `sgaudit collect openstack`: a project's Neutron security groups, rules and ports and its Nova servers,
// with the cloud found as openstacksdk finds it (clouds.yaml and --cloud/$OS_CLOUD, else OS_* variables).
#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "sgaudit/collect/aws_collector.hpp"
#include "sgaudit/collect/aws_credentials.hpp"
#include "sgaudit/collect/cloud_collect.hpp"
#include "sgaudit/collect/kubernetes_api.hpp"
#include "sgaudit/collect/kubernetes_collector.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

class Collect final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common&) override {
    auto* collect = app.add_subcommand("collect",
                                       "Fetch a cluster's state, or a cloud account's security groups and "
                                       "instances, from their APIs into files the audit reads");
    collect->require_subcommand(1);
    kubernetes_ = collect->add_subcommand(
        "kubernetes",
        "List nodes, pods, deployments, replicasets, daemonsets and statefulsets cluster-wide into --out\n"
        "(credentials as kubectl finds them: --kubeconfig, $KUBECONFIG, ~/.kube/config, then in-cluster)");
    kubernetes_->add_option("--kubeconfig", kubeconfig_,
                            "Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)");
    kubernetes_->add_option("--context", context_, "Kubeconfig context (default: its current-context)");
    kubernetes_->add_option("--out", out_, "Folder to write <resource>.json into (created when missing)")
        ->required();
    kubernetes_->add_option("--page-size", page_size_, "Items per list request (limit)")
        ->check(CLI::Range(1u, 5000u))
        ->capture_default_str();
    kubernetes_->add_option("--timeout", timeout_seconds_, "Seconds for each request")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    kubernetes_
        ->add_option("--exec-timeout", exec_timeout_seconds_, "Seconds an exec credential plugin may take")
        ->check(CLI::Range(1u, 600u))
        ->capture_default_str();
    kubernetes_->add_flag(
        "--insecure-skip-tls-verify", insecure_,
        "Accept a cluster whose kubeconfig sets insecure-skip-tls-verify (its certificate is then not "
        "checked: anyone on the path can read the credentials)");
    aws_ = collect->add_subcommand(
        "aws",
        "Read security groups, their rules, instances, VPCs, the prefix lists the rules reference and (with\n"
        "--cluster) the EKS cluster from the EC2 and EKS APIs into --out (credentials as the AWS CLI finds\n"
        "them: environment, web identity, ~/.aws/credentials and config, container, instance metadata)");
    aws_->add_option("--region", region_,
                     "Region (default: $AWS_REGION, $AWS_DEFAULT_REGION, then the profile's region)");
    aws_->add_option("--profile", profile_,
                     "Profile of ~/.aws/credentials and ~/.aws/config (default: $AWS_PROFILE, then default)");
    aws_->add_option("--cluster", cluster_, "EKS cluster to describe (eks-describe-cluster.json)");
    aws_->add_option("--out", aws_out_, "Folder to write the documents into (created when missing)")
        ->required();
    aws_->add_option("--timeout", aws_timeout_seconds_, "Seconds for each request")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    huawei_ = collect->add_subcommand(
        "huawei",
        "Read security groups, their rules, ECS servers, VPCs, subnets and (with --cluster) the CCE cluster\n"
        "from the VPC, ECS and CCE APIs into --out (credentials as Huawei Cloud's SDKs find them:\n"
        "HUAWEICLOUD_SDK_AK/SK/SECURITY_TOKEN/PROJECT_ID, then ~/.huaweicloud/credentials [basic])");
    huawei_->add_option("--region", huawei_source_.region,
                        "Region, e.g. cn-north-4 (default: $HUAWEICLOUD_SDK_REGION)");
    huawei_->add_option(
        "--project-id", huawei_source_.project_id,
        "Project id (default: $HUAWEICLOUD_SDK_PROJECT_ID or the credentials file's project_id)");
    huawei_->add_option("--cluster", huawei_source_.cluster, "CCE cluster id to read (cce-cluster.json)");
    huawei_->add_option("--out", huawei_out_, "Folder to write the documents into (created when missing)")
        ->required();
    huawei_->add_option("--timeout", huawei_timeout_seconds_, "Seconds for each request")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    openstack_ = collect->add_subcommand(
        "openstack",
        "Read a project's Neutron security groups, rules and ports and its Nova servers into --out\n"
        "(the cloud as openstacksdk finds it: --cloud or $OS_CLOUD in clouds.yaml, else the OS_* variables)");
    openstack_->add_option("--cloud", cloud_,
                           "clouds.yaml entry (default: $OS_CLOUD, then the OS_* variables)");
    openstack_->add_option("--region", openstack_region_, "Region (default: the cloud's region_name)");
    openstack_
        ->add_option("--out", openstack_out_, "Folder to write the documents into (created when missing)")
        ->required();
    openstack_->add_option("--timeout", openstack_timeout_seconds_, "Seconds for each request")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    return collect;
  }

  int run(Common&) override {
    if (aws_->parsed()) return runAws();
    if (huawei_->parsed()) {
      huawei_source_.kind = "huawei";
      return runCloud(huawei_source_, huawei_out_, huawei_timeout_seconds_);
    }
    if (openstack_->parsed()) {
      collect::CloudSource source;
      source.kind = "openstack";
      source.cloud = cloud_;
      source.region = openstack_region_;
      return runCloud(source, openstack_out_, openstack_timeout_seconds_);
    }
    auto access = findAccess();
    if (auto* why = std::get_if<std::string>(&access)) return usageError(*why);
    collect::ApiOptions options;
    options.allow_insecure = insecure_;
    options.exec_timeout = std::chrono::seconds(exec_timeout_seconds_);
    options.http.request_timeout = std::chrono::seconds(timeout_seconds_);
    options.http.user_agent = "sgaudit/" + std::string(service::buildInfo().version);
    auto connected =
        collect::KubernetesApi::connect(std::get<collect::ClusterAccess>(std::move(access)), options);
    if (auto* why = std::get_if<std::string>(&connected)) return usageError(*why);
    auto& api = *std::get<std::unique_ptr<collect::KubernetesApi>>(connected);
    if (insecure_ && api.access().insecure_skip_tls_verify)
      std::cerr
          << "sgaudit: warning: the server's certificate is not verified (--insecure-skip-tls-verify)\n";

    collect::CollectOptions collect_options;
    collect_options.page_size = page_size_;
    auto result = collect::collectKubernetes([&api](const std::string& target) { return api.get(target); },
                                             out_, collect_options);
    const std::string server = api.access().server + " (context " + api.access().context + ")";
    if (auto* failure = std::get_if<collect::CollectFailure>(&result))
      return usageError(server + ": " + failure->message + "; " + out_.string() + " is unchanged");
    const auto& collected = std::get<collect::CollectResult>(result);
    for (const auto& list : collected.lists) {
      if (list.file.empty()) continue;
      std::cout << list.file.string() << ": " << list.items << " " << list.list.resource << " (" << list.pages
                << (list.pages == 1 ? " page" : " pages")
                << (list.restarts > 0
                        ? ", restarted " + std::to_string(list.restarts) + " after an expired continue token"
                        : "")
                << ")\n";
    }
    for (const auto& warning : collected.warnings)
      std::cerr << "sgaudit: warning: " << warning << "\n";
    std::cout << "collected from " << server << (collected.partial() ? ", partly" : "") << "\n";
    return collected.partial() ? kExitFailure : kExitOk;
  }

 private:
  int runAws() {
    collect::CloudSource source;
    source.kind = "aws";
    source.region = region_;
    source.profile = profile_;
    source.cluster = cluster_;
    return runCloud(source, aws_out_, aws_timeout_seconds_);
  }

  // One cloud account into `out`, as the server collects an account scope's source.
  static int runCloud(const collect::CloudSource& source, const std::filesystem::path& out,
                      unsigned timeout) {
    collect::CloudCollectOptions options;
    options.request_timeout = std::chrono::seconds(timeout);
    options.user_agent = "sgaudit/" + std::string(service::buildInfo().version);
    auto result = collect::collectCloud(source, out, options);
    if (auto* failure = std::get_if<collect::CollectFailure>(&result))
      return usageError(failure->message + "; " + out.string() + " is unchanged");
    const auto& collected = std::get<collect::CloudCollectSummary>(result);
    for (const auto& line : collected.files)
      std::cout << (out / line).string() << "\n";
    for (const auto& warning : collected.warnings)
      std::cerr << "sgaudit: warning: " << warning << "\n";
    std::cout << "collected " << collected.region << " with credentials from " << collected.credentials_from
              << (collected.retries > 0 ? ", " + std::to_string(collected.retries) + " requests retried" : "")
              << "\n";
    return kExitOk;
  }

  std::variant<collect::ClusterAccess, std::string> findAccess() const {
    const auto paths = collect::kubeconfigPaths(kubeconfig_, std::getenv("KUBECONFIG"), std::getenv("HOME"));
    if (paths.empty()) {
      if (auto access =
              collect::inClusterAccess(std::getenv("KUBERNETES_SERVICE_HOST"),
                                       std::getenv("KUBERNETES_SERVICE_PORT"), kServiceAccountDir)) {
        if (!context_.empty()) return std::string("--context needs a kubeconfig; in a pod there is none");
        return std::move(*access);
      }
      return std::string("no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not in a pod");
    }
    // kubectl skips $KUBECONFIG entries that do not exist; a file named by --kubeconfig must exist.
    return collect::loadKubeconfig(paths, kubeconfig_.empty(), context_);
  }

  CLI::App* kubernetes_ = nullptr;
  std::string kubeconfig_;
  std::string context_;
  fs::path out_;
  unsigned page_size_ = 500;
  unsigned timeout_seconds_ = 60;
  unsigned exec_timeout_seconds_ = 30;
  bool insecure_ = false;

  CLI::App* aws_ = nullptr;
  std::string region_;
  std::string profile_;
  std::string cluster_;
  fs::path aws_out_;
  unsigned aws_timeout_seconds_ = 60;

  CLI::App* huawei_ = nullptr;
  collect::CloudSource huawei_source_;  // region, project_id, cluster from the options
  fs::path huawei_out_;
  unsigned huawei_timeout_seconds_ = 60;
  CLI::App* openstack_ = nullptr;
  std::string cloud_;
  std::string openstack_region_;
  fs::path openstack_out_;
  unsigned openstack_timeout_seconds_ = 60;
};

}  // namespace

std::unique_ptr<Command> collectCommand() {
  return std::make_unique<Collect>();
}

}  // namespace sgaudit::cli
