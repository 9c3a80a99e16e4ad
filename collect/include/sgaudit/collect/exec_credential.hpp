#pragma once

// A kubeconfig user's `exec` credential plugin: run with KUBERNETES_EXEC_INFO, non-interactively, under a
// deadline; its ExecCredential (client.authentication.k8s.io/v1 or v1beta1) gives a bearer token or a client
// certificate and key, until an optional expiry.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sgaudit/collect/kubeconfig.hpp"

namespace sgaudit::collect {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;
};

// The plugin's standard output as an ExecCredential of `api_version`, or what is wrong with it (the message
// never repeats the token).
std::variant<ExecCredential, std::string> parseExecCredential(std::string_view output,
                                                              std::string_view api_version);

// RFC 3339 ("2026-12-04T03:00:00Z", "2026-12-04T05:00:00.5+02:00"), or nullopt.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// The KUBERNETES_EXEC_INFO the plugin is given: its apiVersion, kind ExecCredential, spec.interactive false,
// and with provideClusterInfo the cluster's server, CA and TLS settings.
std::string execInfo(const ExecConfig& exec, const ClusterAccess& cluster);

// Runs the plugin (stdin closed; stdout and stderr read, each bounded) and reads its credential. Errors:
// "exec plugin \"aws\": not found (install hint...)", "... exited with status 255: <its last stderr line>",
// "... gave no answer in 30 s".
std::variant<ExecCredential, std::string> runExecPlugin(const ExecConfig& exec, const ClusterAccess& cluster,
                                                        std::chrono::milliseconds timeout);

}  // namespace sgaudit::collect
