// Packing and storing a collection's documents (collected_inputs.hpp).

#include "collected_inputs.hpp"

#include <set>

#include "sgaudit/cloud/inputs/loader.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/demo.hpp"

namespace sgaudit::service {

std::variant<std::vector<PackedDocument>, std::string> packDocuments(
    const Config& config, const std::vector<std::pair<std::filesystem::path, std::string>>& files,
    const std::filesystem::path& workdir, const std::string& who) {
  std::vector<PackedDocument> packed;
  for (const auto& [file, name] : files) {
    PackedDocument item{name, "", hashFile(file), workdir / (file.filename().string() + ".gz")};
    cloud::inputs::InputLoader loader;
    loader.setObjectBudget(config.max_objects);
    loader.setDocumentLimit(config.max_document_bytes);
    if (auto error = loader.addFile(file, item.name)) return who + " " + error->toString();
    const auto inputs = loader.take().inputs;
    if (inputs.empty()) return who + " " + item.name + " is no input the audit reads";
    item.kind = inputs.front().kind;
    gzipFile(file, item.gzip);
    packed.push_back(std::move(item));
  }
  return packed;
}

std::int64_t storeDocuments(AppContext& context, db::ScopeKind kind, const std::string& scope,
                            const std::vector<PackedDocument>& documents, const ReplacedInputs& replaced) {
  const std::string now = isoTime(context.now());
  noteScopeWritten(context, scope);
  return context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    db::SnapshotStore store(db);
    const db::Scope current = store.ensureScope(kind, scope, now);
    std::vector<db::SnapshotStore::NewKindedInput> inputs;
    for (const auto& item : documents) {
      if (!store.hasBlob(item.decoded.sha256))
        store.putBlob(item.decoded.sha256, static_cast<std::int64_t>(item.decoded.size), item.gzip, now);
      inputs.push_back({replaced.kind.empty() ? item.kind : replaced.kind,
                        {item.name, item.decoded.sha256, static_cast<std::int64_t>(item.decoded.size)}});
    }
    // The same documents as the latest snapshot's: nothing changes (no new snapshot for an idle scope).
    if (const auto latest = store.latestSnapshot(current.id)) {
      std::set<std::pair<std::string, std::string>> stored, fresh;
      for (const auto& input : latest->inputs) {
        const bool covered =
            replaced.kind.empty() ? input.name.starts_with(replaced.prefix) : input.kind == replaced.kind;
        if (covered) stored.emplace(input.name, input.sha256);
      }
      for (const auto& input : inputs)
        fresh.emplace(input.input.name, input.input.sha256);
      if (stored == fresh) return latest->id;
    }
    std::int64_t id = 0;
    if (replaced.kind.empty()) {
      id = store.replaceInputsNamed(current, replaced.prefix, inputs, now);
    } else {
      std::vector<db::SnapshotStore::NewInput> plain;
      for (const auto& input : inputs)
        plain.push_back(input.input);
      id = store.replaceInputsOfKind(current, replaced.kind, plain, now);
    }
    transaction.commit();
    return id;
  });
}

}  // namespace sgaudit::service
