#pragma once

// Scopes (clusters and cloud accounts), their snapshots and the documents uploaded into them. A scope has at
// most one open snapshot; it starts as a copy of the latest snapshot's inputs, and an upload replaces the
// input of the same name, so each snapshot is the scope's whole picture at one time. Document bytes live
// once, by SHA-256, in `blobs` (gzip).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgaudit/db/database.hpp"

namespace sgaudit::db {

enum class ScopeKind { Cluster, Account };
std::string_view toString(ScopeKind kind);

struct Scope {
  std::int64_t id = 0;
  ScopeKind kind = ScopeKind::Cluster;
  std::string name;
  std::string created_at;
  std::optional<std::string> source;  // JSON: where a cluster's state is collected from (schema 5)
};

struct StoredInput {
  std::int64_t id = 0;
  std::int64_t snapshot_id = 0;
  std::string kind;
  std::string name;
  std::string sha256;
  std::int64_t size_bytes = 0;
  std::string encoding;  // as received: identity or gzip
  std::string received_at;
};

struct Snapshot {
  std::int64_t id = 0;
  std::int64_t scope_id = 0;
  std::string state;  // open or sealed
  std::string created_at;
  std::optional<std::string> sealed_at;
  std::vector<StoredInput> inputs;  // by name
};

struct AddedInput {
  StoredInput input;
  bool created = false;  // false: these bytes were already this scope's input of that name
};

struct BlobInfo {
  std::int64_t size_bytes = 0;
  std::int64_t stored_bytes = 0;
};

// Not thread-safe (one connection); every method runs in the caller's transaction when there is one.
class SnapshotStore {
 public:
  explicit SnapshotStore(Database& db) : db_(db) {}

  Scope ensureScope(ScopeKind kind, std::string_view name, std::string_view now);
  std::optional<Scope> findScope(ScopeKind kind, std::string_view name);
  std::vector<Scope> listScopes();
  // Sets (or with nullopt removes) the scope's collection source, a JSON document.
  void setSource(const Scope& scope, const std::optional<std::string>& source);

  bool hasBlob(std::string_view sha256);
  // Stores the gzip file's bytes under `sha256` (the decoded document's hash), streamed with SQLite's
  // incremental blob I/O so large documents never sit whole in memory.
  void putBlob(std::string_view sha256, std::int64_t decoded_size, const std::filesystem::path& gzip_file,
               std::string_view now);
  // Writes the blob's gzip bytes to `out`; false when there is no such blob.
  bool readBlob(std::string_view sha256, const std::filesystem::path& out);
  std::optional<BlobInfo> blobInfo(std::string_view sha256);

  // Adds a document (its blob stored already) to the scope's open snapshot, opening one when needed.
  AddedInput addInput(const Scope& scope, std::string_view kind, std::string_view name,
                      std::string_view sha256, std::int64_t size_bytes, std::string_view encoding,
                      std::string_view now);

  // Replaces every input of `kind` in the scope's open snapshot with `inputs` (their blobs stored already),
  // in the caller's transaction: a collection of the cluster's API state supersedes every earlier one.
  struct NewInput {
    std::string name;
    std::string sha256;
    std::int64_t size_bytes = 0;
  };
  std::int64_t replaceInputsOfKind(const Scope& scope, std::string_view kind,
                                   const std::vector<NewInput>& inputs, std::string_view now);
  // The scope's next snapshot with every input named `prefix`... replaced by `inputs` (each with its kind):
  // what a collection of a cloud account stores ("collected/describe-instances.json"); uploads stay.
  struct NewKindedInput {
    std::string kind;
    NewInput input;
  };
  std::int64_t replaceInputsNamed(const Scope& scope, std::string_view prefix,
                                  const std::vector<NewKindedInput>& inputs, std::string_view now);

 private:
  // Each input into the snapshot, replacing one of the same name.
  void putInputs(std::int64_t snapshot_id, const std::vector<NewKindedInput>& inputs, std::string_view now);

 public:
  std::optional<Snapshot> latestSnapshot(std::int64_t scope_id);
  std::optional<Snapshot> snapshot(std::int64_t snapshot_id);
  std::vector<Snapshot> snapshots(std::int64_t scope_id);  // newest first, without inputs
  void seal(std::int64_t snapshot_id, std::string_view now);

  // Keeps the newest `keep` snapshots of every scope, and older ones an audit still refers to; then drops
  // blobs no input refers to. Returns the number of snapshots removed.
  int prune(int keep);

 private:
  std::vector<StoredInput> inputsOf(std::int64_t snapshot_id);
  // The scope's open snapshot, opened (with the latest one's inputs) when there is none.
  std::int64_t openSnapshot(const Scope& scope, const std::optional<Snapshot>& latest, std::string_view now);
  Database& db_;
};

}  // namespace sgaudit::db
