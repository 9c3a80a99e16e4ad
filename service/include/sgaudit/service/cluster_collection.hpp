#pragma once

// Clusters the server collects itself: a cluster scope names its source (the server's own service account,
// or a kubeconfig file in --kubeconfig-dir), and a collection lists the cluster's API (collect/) and stores
// the lists as the cluster's kubectl inputs, in one transaction, only when every list was read. A failed or
// partial collection stores nothing: the last good snapshot stays the cluster's picture.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sgaudit/service/app_context.hpp"

namespace sgaudit::service {

struct ClusterSource {
  enum class Kind { InCluster, Kubeconfig };
  Kind kind = Kind::InCluster;
  std::string file;     // Kubeconfig: a file name in the server's --kubeconfig-dir
  std::string context;  // Kubeconfig: the context (empty: its current-context)
};

void to_json(nlohmann::json& out, const ClusterSource& source);

// A PUT body: {"kind": "in-cluster"} or {"kind": "kubeconfig", "file": "prod.yaml", "context": "prod"}. On
// error, `pointer` and `message` say what is wrong.
std::optional<ClusterSource> parseClusterSource(const nlohmann::json& body, std::string& pointer,
                                                std::string& message);

// Collects `cluster` from its source now. The answer, also kept on a scheduled run:
//   {"state": "complete"|"partial"|"failed", "source": {...}, "message": "...", "warnings": [...],
//    "lists": {"nodes": 3, ...}, "snapshot_id": 12, "started_at": ..., "finished_at": ...}
// "failed" with no source, a source that cannot be used, an unreachable or refusing API server.
nlohmann::json collectCluster(AppContext& context, const std::string& cluster);

}  // namespace sgaudit::service
