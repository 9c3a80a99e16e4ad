#pragma once

// Where a cluster's API server is and how to prove who we are, found as kubectl finds it: --kubeconfig, else
// $KUBECONFIG (a ':'-separated list, merged: the first file to name a cluster, user, context or the current
// context wins), else ~/.kube/config, else in-cluster (the pod's service account). Resolution is pure: it
// reads no file but the kubeconfig texts it is given; the files a kubeconfig names (certificate-authority,
// client-certificate, client-key, tokenFile) are paths made absolute against the kubeconfig's folder and
// read when connecting.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sgaudit::collect {

// A user's `exec` credential plugin (client.authentication.k8s.io/v1 or v1beta1), as `aws eks get-token`,
// `gke-gcloud-auth-plugin`, `kubelogin` or CCE's plugin are configured.
struct ExecConfig {
  std::string api_version;
  std::string command;  // as written; a relative path with a '/' is taken from the kubeconfig's folder
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string install_hint;
  std::filesystem::path base_dir;  // the kubeconfig's folder
};

struct ClusterAccess {
  std::string context;  // the kubeconfig context, or "in-cluster"
  std::string cluster;
  std::string user;
  std::string server;
  std::string ca_pem;  // from certificate-authority-data
  std::filesystem::path ca_file;
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem;
  std::filesystem::path client_cert_file;
  std::string client_key_pem;
  std::filesystem::path client_key_file;
  std::string token;
  std::filesystem::path token_file;  // re-read while collecting (bound service-account tokens rotate)
  std::optional<ExecConfig> exec;
};

struct KubeconfigText {
  std::filesystem::path path;
  std::string text;
};

// The access the context describes (`context` empty: the current context). Errors name the file and the
// field:
// "/home/a/.kube/config: /users/0/user/exec: expected a command", "no context \"prod\" in
// /home/a/.kube/config".
std::variant<ClusterAccess, std::string> resolveKubeconfig(const std::vector<KubeconfigText>& files,
                                                           std::string_view context);

// Reads the kubeconfig files (each at most 16 MiB) and resolves `context` from them. `skip_missing`: a file
// that does not exist is left out, as kubectl does for $KUBECONFIG's entries; otherwise it is an error.
std::variant<ClusterAccess, std::string> loadKubeconfig(const std::vector<std::filesystem::path>& paths,
                                                        bool skip_missing, std::string_view context);

// The kubeconfig files to read, in kubectl's order of precedence: `flag` when given, else $KUBECONFIG's
// entries (empty entries skipped), else $HOME/.kube/config when it exists. Empty: none (then in-cluster).
std::vector<std::filesystem::path> kubeconfigPaths(const std::string& flag, const char* kubeconfig_env,
                                                   const char* home_env);

// In a pod: the API server from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the service account's
// token and ca.crt under `account_dir` (/var/run/secrets/kubernetes.io/serviceaccount). nullopt outside a
// pod.
std::optional<ClusterAccess> inClusterAccess(const char* host_env, const char* port_env,
                                             const std::filesystem::path& account_dir);

}  // namespace sgaudit::collect
