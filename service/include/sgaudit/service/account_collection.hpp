#pragma once

// Cloud accounts the server collects itself: an account scope names its source (a provider, its region,
// profile or cloud, as `sgaudit collect aws|huawei|openstack` takes them; the credentials are the server's
// own, found the provider's way: its environment, its CLI's files, its metadata service), and a collection
// reads the provider's APIs (collect/cloud_collect.hpp) and stores the documents as the account's
// "collected/..." inputs, in one transaction, only when every document was read and reads clean. A failed
// collection stores nothing: the last good snapshot stays the account's picture. Uploads stay beside.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sgaudit/collect/cloud_collect.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::collect {
// A source as the API shows and stores it (no credential is ever part of one). In collect's namespace, where
// nlohmann's lookup finds it.
void to_json(nlohmann::json& out, const CloudSource& source);
}  // namespace sgaudit::collect

namespace sgaudit::service {

// A PUT body: {"kind": "aws", "region": "eu-west-1", "profile": "audit", "cluster": "prod"},
// {"kind": "huawei", "region": "cn-north-4", "project_id": "...", "cluster": "<cce cluster id>"} or
// {"kind": "openstack", "cloud": "prod", "region": "RegionOne"}. On error, `pointer` and `message` say what
// is wrong (an unknown kind, a field the kind does not take, a value that is not a plain name).
std::optional<collect::CloudSource> parseAccountSource(const nlohmann::json& body, std::string& pointer,
                                                       std::string& message);

// Collects `account` from its source now. The answer, also kept on a scheduled run:
//   {"state": "complete"|"failed", "source": {...}, "message": "...", "files": ["describe-vpcs.json: ..."],
//    "credentials_from": "...", "snapshot_id": 12, "started_at": ..., "finished_at": ...}
nlohmann::json collectAccount(AppContext& context, const std::string& account);

}  // namespace sgaudit::service
