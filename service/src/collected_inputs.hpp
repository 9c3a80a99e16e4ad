#pragma once

// What a collection stores, whichever it collected (a cluster's API lists, a cloud account's documents): each
// document checked with the audit's own readers and packed, then all stored in one transaction as the scope's
// inputs, replacing the earlier collection's. The same documents as the latest snapshot's change nothing.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/file_codec.hpp"

namespace sgaudit::service {

struct PackedDocument {
  std::string name;  // the input's name: "collected/nodes.json"
  std::string kind;  // as the readers recognised it
  DecodedFile decoded;
  std::filesystem::path gzip;
};

// Each (file, input name) read as an input and packed into `workdir`; or why not, after `who`'s ("the API
// server's", "the provider's").
std::variant<std::vector<PackedDocument>, std::string> packDocuments(
    const Config& config, const std::vector<std::pair<std::filesystem::path, std::string>>& files,
    const std::filesystem::path& workdir, const std::string& who);

// Which earlier inputs a collection replaces: those of `kind` (a cluster's lists replace every kubectl input,
// and are stored as that kind), else those named under `prefix` (an account's "collected/..." documents).
struct ReplacedInputs {
  std::string kind;
  std::string prefix;
};

// Stores `documents` in one transaction as the scope's next snapshot (created with the scope when new);
// returns the snapshot, the latest one unchanged when it holds the same documents.
std::int64_t storeDocuments(AppContext& context, db::ScopeKind kind, const std::string& scope,
                            const std::vector<PackedDocument>& documents, const ReplacedInputs& replaced);

}  // namespace sgaudit::service
