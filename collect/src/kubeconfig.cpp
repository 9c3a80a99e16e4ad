#include "sgaudit/collect/kubeconfig.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

#include "sgaudit/collect/base64.hpp"
#include "sgaudit/collect/files.hpp"

namespace sgaudit::collect {
namespace {

namespace fs = std::filesystem;

struct Failure {
  std::string message;
};

// One named entry (a cluster, user or context) and where it came from.
struct Entry {
  YAML::Node body;
  const KubeconfigText* file = nullptr;
  std::string pointer;
};

std::string scalar(const YAML::Node& node, const std::string& key, const Entry& entry) {
  const YAML::Node value = node[key];
  if (!value || value.IsNull()) return {};
  if (!value.IsScalar())
    throw Failure{entry.file->path.string() + ": " + entry.pointer + "/" + key + ": expected a string"};
  return value.Scalar();
}

bool flag(const YAML::Node& node, const std::string& key, const Entry& entry) {
  const std::string text = scalar(node, key, entry);
  if (text.empty() || text == "false") return false;
  if (text == "true") return true;
  throw Failure{entry.file->path.string() + ": " + entry.pointer + "/" + key + ": expected true or false"};
}

std::string decoded(const YAML::Node& node, const std::string& key, const Entry& entry) {
  const std::string text = scalar(node, key, entry);
  if (text.empty()) return {};
  auto bytes = decodeBase64(text);
  if (!bytes)
    throw Failure{entry.file->path.string() + ": " + entry.pointer + "/" + key +
                  ": expected base64 (a PEM file, encoded)"};
  return std::move(*bytes);
}

fs::path relativeTo(const Entry& entry, const std::string& path) {
  if (path.empty()) return {};
  fs::path value(path);
  if (value.is_relative()) value = entry.file->path.parent_path() / value;
  return value.lexically_normal();
}

// The entries of one list (clusters, users, contexts) of every file; the first of a name wins.
std::map<std::string, Entry> namedEntries(
    const std::vector<std::pair<YAML::Node, const KubeconfigText*>>& docs, const std::string& list,
    const std::string& body_key) {
  std::map<std::string, Entry> entries;
  for (const auto& [doc, file] : docs) {
    const YAML::Node items = doc[list];
    if (!items || items.IsNull()) continue;
    if (!items.IsSequence()) throw Failure{file->path.string() + ": /" + list + ": expected a list"};
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string pointer = "/" + list + "/" + std::to_string(i);
      const YAML::Node item = items[i];
      if (!item.IsMap()) throw Failure{file->path.string() + ": " + pointer + ": expected a map"};
      const YAML::Node name = item["name"];
      if (!name || !name.IsScalar() || name.Scalar().empty())
        throw Failure{file->path.string() + ": " + pointer + "/name: expected a name"};
      YAML::Node body = item[body_key];
      if (body && !body.IsNull() && !body.IsMap())
        throw Failure{file->path.string() + ": " + pointer + "/" + body_key + ": expected a map"};
      entries.try_emplace(name.Scalar(), Entry{body ? body : YAML::Node(YAML::NodeType::Map), file,
                                               pointer + "/" + body_key});
    }
  }
  return entries;
}

ExecConfig readExec(const YAML::Node& exec, const Entry& user) {
  Entry entry{exec, user.file, user.pointer + "/exec"};
  if (!exec.IsMap()) throw Failure{user.file->path.string() + ": " + entry.pointer + ": expected a map"};
  ExecConfig config;
  config.api_version = scalar(exec, "apiVersion", entry);
  if (config.api_version != "client.authentication.k8s.io/v1" &&
      config.api_version != "client.authentication.k8s.io/v1beta1")
    throw Failure{user.file->path.string() + ": " + entry.pointer +
                  "/apiVersion: expected client.authentication.k8s.io/v1 or v1beta1, got \"" +
                  config.api_version + "\""};
  config.command = scalar(exec, "command", entry);
  if (config.command.empty())
    throw Failure{user.file->path.string() + ": " + entry.pointer + "/command: expected a command"};
  if (const YAML::Node args = exec["args"]; args && !args.IsNull()) {
    if (!args.IsSequence())
      throw Failure{user.file->path.string() + ": " + entry.pointer + "/args: expected a list"};
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!args[i].IsScalar())
        throw Failure{user.file->path.string() + ": " + entry.pointer + "/args/" + std::to_string(i) +
                      ": expected a string"};
      config.args.push_back(args[i].Scalar());
    }
  }
  if (const YAML::Node env = exec["env"]; env && !env.IsNull()) {
    if (!env.IsSequence())
      throw Failure{user.file->path.string() + ": " + entry.pointer + "/env: expected a list"};
    for (std::size_t i = 0; i < env.size(); ++i) {
      Entry item{env[i], user.file, entry.pointer + "/env/" + std::to_string(i)};
      if (!env[i].IsMap()) throw Failure{user.file->path.string() + ": " + item.pointer + ": expected a map"};
      const std::string name = scalar(env[i], "name", item);
      if (name.empty() || name.find('=') != std::string::npos)
        throw Failure{user.file->path.string() + ": " + item.pointer + "/name: expected a variable name"};
      config.env.emplace_back(name, scalar(env[i], "value", item));
    }
  }
  config.provide_cluster_info = flag(exec, "provideClusterInfo", entry);
  config.install_hint = scalar(exec, "installHint", entry);
  config.base_dir = user.file->path.parent_path();
  return config;
}

ClusterAccess resolve(const std::vector<KubeconfigText>& files, std::string_view wanted) {
  std::vector<std::pair<YAML::Node, const KubeconfigText*>> docs;
  for (const auto& file : files) {
    YAML::Node doc;
    try {
      doc = YAML::Load(file.text);
    } catch (const YAML::Exception& error) {
      throw Failure{file.path.string() + ": line " + std::to_string(error.mark.line + 1) +
                    ": invalid YAML: " + error.msg};
    }
    if (doc.IsNull()) continue;  // an empty file, as kubectl allows
    if (!doc.IsMap())
      throw Failure{file.path.string() + ": expected a kubeconfig (a map with clusters, users, contexts)"};
    docs.emplace_back(doc, &file);
  }
  std::string names;
  for (const auto& file : files)
    names += (names.empty() ? "" : ", ") + file.path.string();

  std::string context_name(wanted);
  if (context_name.empty()) {
    for (const auto& [doc, file] : docs) {
      const YAML::Node current = doc["current-context"];
      if (current && current.IsScalar() && !current.Scalar().empty()) {
        context_name = current.Scalar();
        break;
      }
    }
    if (context_name.empty()) throw Failure{"no current-context in " + names + " (give --context)"};
  }
  const auto contexts = namedEntries(docs, "contexts", "context");
  const auto context = contexts.find(context_name);
  if (context == contexts.end()) throw Failure{"no context \"" + context_name + "\" in " + names};

  ClusterAccess access;
  access.context = context_name;
  access.cluster = scalar(context->second.body, "cluster", context->second);
  access.user = scalar(context->second.body, "user", context->second);
  const auto clusters = namedEntries(docs, "clusters", "cluster");
  const auto cluster = clusters.find(access.cluster);
  if (cluster == clusters.end())
    throw Failure{"context \"" + context_name + "\" names cluster \"" + access.cluster +
                  "\", which is not in " + names};
  const Entry& c = cluster->second;
  access.server = scalar(c.body, "server", c);
  if (access.server.empty())
    throw Failure{c.file->path.string() + ": " + c.pointer + "/server: expected the API server's URL"};
  access.ca_pem = decoded(c.body, "certificate-authority-data", c);
  if (access.ca_pem.empty()) access.ca_file = relativeTo(c, scalar(c.body, "certificate-authority", c));
  access.tls_server_name = scalar(c.body, "tls-server-name", c);
  access.insecure_skip_tls_verify = flag(c.body, "insecure-skip-tls-verify", c);
  if (!scalar(c.body, "proxy-url", c).empty())
    throw Failure{c.file->path.string() + ": " + c.pointer +
                  "/proxy-url: a proxy is not supported; collect from a machine that reaches the API server"};

  if (access.user.empty()) return access;  // anonymous, as kubectl allows
  const auto users = namedEntries(docs, "users", "user");
  const auto user = users.find(access.user);
  if (user == users.end())
    throw Failure{"context \"" + context_name + "\" names user \"" + access.user + "\", which is not in " +
                  names};
  const Entry& u = user->second;
  access.client_cert_pem = decoded(u.body, "client-certificate-data", u);
  if (access.client_cert_pem.empty())
    access.client_cert_file = relativeTo(u, scalar(u.body, "client-certificate", u));
  access.client_key_pem = decoded(u.body, "client-key-data", u);
  if (access.client_key_pem.empty()) access.client_key_file = relativeTo(u, scalar(u.body, "client-key", u));
  access.token = scalar(u.body, "token", u);
  if (access.token.empty()) access.token_file = relativeTo(u, scalar(u.body, "tokenFile", u));
  if (const YAML::Node exec = u.body["exec"]; exec && !exec.IsNull()) access.exec = readExec(exec, u);
  if (const YAML::Node provider = u.body["auth-provider"]; provider && !provider.IsNull()) {
    std::string name =
        provider.IsMap() && provider["name"] && provider["name"].IsScalar() ? provider["name"].Scalar() : "";
    throw Failure{u.file->path.string() + ": " + u.pointer + "/auth-provider: the \"" + name +
                  "\" auth-provider was removed from kubectl (1.26); configure the provider's exec plugin "
                  "(gke-gcloud-auth-plugin, kubelogin) instead"};
  }
  if (!scalar(u.body, "username", u).empty() || !scalar(u.body, "password", u).empty())
    throw Failure{u.file->path.string() + ": " + u.pointer +
                  "/username: basic authentication was removed from Kubernetes (1.19); use a token, a client "
                  "certificate or an exec plugin"};
  return access;
}

}  // namespace

std::variant<ClusterAccess, std::string> resolveKubeconfig(const std::vector<KubeconfigText>& files,
                                                           std::string_view context) {
  try {
    return resolve(files, context);
  } catch (const Failure& failure) {
    return failure.message;
  } catch (const YAML::Exception& error) {
    return std::string("kubeconfig: ") + error.what();
  }
}

std::variant<ClusterAccess, std::string> loadKubeconfig(const std::vector<fs::path>& paths, bool skip_missing,
                                                        std::string_view context) {
  std::vector<KubeconfigText> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (skip_missing && !fs::exists(path, error)) continue;
    auto file = readSmallFile(path, "kubeconfig", std::uintmax_t{16} << 20);
    if (!file.error.empty()) return file.error;
    files.push_back({path, std::move(file.text)});
  }
  if (files.empty()) return std::string("none of the kubeconfig files in $KUBECONFIG exists");
  return resolveKubeconfig(files, context);
}

std::vector<fs::path> kubeconfigPaths(const std::string& flag, const char* kubeconfig_env,
                                      const char* home_env) {
  if (!flag.empty()) return {fs::path(flag)};
  std::vector<fs::path> paths;
  if (kubeconfig_env != nullptr && *kubeconfig_env != '\0') {
    std::set<std::string> seen;
    std::string_view list(kubeconfig_env);
    while (!list.empty()) {
      const auto colon = list.find(':');
      const std::string entry(list.substr(0, colon));
      if (!entry.empty() && seen.insert(entry).second) paths.emplace_back(entry);
      if (colon == std::string_view::npos) break;
      list.remove_prefix(colon + 1);
    }
    if (!paths.empty()) return paths;
  }
  if (home_env != nullptr && *home_env != '\0') {
    fs::path path = fs::path(home_env) / ".kube" / "config";
    std::error_code error;
    if (fs::is_regular_file(path, error)) paths.push_back(std::move(path));
  }
  return paths;
}

std::optional<ClusterAccess> inClusterAccess(const char* host_env, const char* port_env,
                                             const fs::path& account_dir) {
  if (host_env == nullptr || *host_env == '\0' || port_env == nullptr || *port_env == '\0')
    return std::nullopt;
  ClusterAccess access;
  access.context = "in-cluster";
  access.cluster = "in-cluster";
  access.user = "service account";
  const std::string host(host_env);
  const bool v6 = host.find(':') != std::string::npos;
  access.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port_env;
  access.ca_file = account_dir / "ca.crt";
  access.token_file = account_dir / "token";
  return access;
}

}  // namespace sgaudit::collect
