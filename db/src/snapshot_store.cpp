#include "sgaudit/db/snapshot_store.hpp"

#include <sqlite3.h>

#include <array>
#include <fstream>

namespace sgaudit::db {

std::string_view toString(ScopeKind kind) {
  return kind == ScopeKind::Cluster ? "cluster" : "account";
}

namespace {

Scope readScope(Statement& stmt) {
  Scope scope;
  scope.id = stmt.getInt64(0);
  scope.kind = stmt.getText(1) == "cluster" ? ScopeKind::Cluster : ScopeKind::Account;
  scope.name = stmt.getText(2);
  scope.created_at = stmt.getText(3);
  scope.source = stmt.getOptionalText(4);
  return scope;
}

Snapshot readSnapshot(Statement& stmt) {
  Snapshot snapshot;
  snapshot.id = stmt.getInt64(0);
  snapshot.scope_id = stmt.getInt64(1);
  snapshot.state = stmt.getText(2);
  snapshot.created_at = stmt.getText(3);
  snapshot.sealed_at = stmt.getOptionalText(4);
  return snapshot;
}

constexpr std::string_view kSnapshotColumns = "id, scope_id, state, created_at, sealed_at";

// Closes a sqlite3_blob handle on every path.
struct BlobHandle {
  sqlite3_blob* blob = nullptr;
  ~BlobHandle() {
    if (blob != nullptr) sqlite3_blob_close(blob);
  }
};

}  // namespace

Scope SnapshotStore::ensureScope(ScopeKind kind, std::string_view name, std::string_view now) {
  auto insert = db_.prepare(
      "INSERT INTO scopes (kind, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (kind, name) DO NOTHING");
  insert.bind(1, toString(kind)).bind(2, name).bind(3, now).run();
  return *findScope(kind, name);
}

std::optional<Scope> SnapshotStore::findScope(ScopeKind kind, std::string_view name) {
  auto stmt =
      db_.prepare("SELECT id, kind, name, created_at, source FROM scopes WHERE kind = ?1 AND name = ?2");
  stmt.bind(1, toString(kind)).bind(2, name);
  if (!stmt.step()) return std::nullopt;
  return readScope(stmt);
}

std::vector<Scope> SnapshotStore::listScopes() {
  auto stmt = db_.prepare("SELECT id, kind, name, created_at, source FROM scopes ORDER BY kind, name");
  std::vector<Scope> scopes;
  while (stmt.step())
    scopes.push_back(readScope(stmt));
  return scopes;
}

void SnapshotStore::setSource(const Scope& scope, const std::optional<std::string>& source) {
  auto update = db_.prepare("UPDATE scopes SET source = ?2 WHERE id = ?1");
  update.bind(1, scope.id);
  if (source) {
    update.bind(2, *source);
  } else {
    update.bindNull(2);
  }
  update.run();
}

bool SnapshotStore::hasBlob(std::string_view sha256) {
  return blobInfo(sha256).has_value();
}

std::optional<BlobInfo> SnapshotStore::blobInfo(std::string_view sha256) {
  auto stmt = db_.prepare("SELECT size_bytes, stored_bytes FROM blobs WHERE sha256 = ?1");
  stmt.bind(1, sha256);
  if (!stmt.step()) return std::nullopt;
  return BlobInfo{stmt.getInt64(0), stmt.getInt64(1)};
}

void SnapshotStore::putBlob(std::string_view sha256, std::int64_t decoded_size,
                            const std::filesystem::path& gzip_file, std::string_view now) {
  std::error_code ec;
  const auto stored = static_cast<std::int64_t>(std::filesystem::file_size(gzip_file, ec));
  if (ec) throw DbError("cannot read " + gzip_file.string() + ": " + ec.message());
  if (stored > 2'000'000'000) throw DbError("a stored document may be at most 2 GB compressed");
  auto insert = db_.prepare(
      "INSERT INTO blobs (sha256, size_bytes, stored_bytes, content, created_at) "
      "VALUES (?1, ?2, ?3, zeroblob(?3), ?4)");
  insert.bind(1, sha256).bind(2, decoded_size).bind(3, stored).bind(4, now).run();
  const sqlite3_int64 row = sqlite3_last_insert_rowid(db_.handle());

  BlobHandle handle;
  int rc = sqlite3_blob_open(db_.handle(), "main", "blobs", "content", row, 1, &handle.blob);
  if (rc != SQLITE_OK)
    throw DbError(std::string("cannot open blob for writing: ") + sqlite3_errmsg(db_.handle()));
  std::ifstream in(gzip_file, std::ios::binary);
  std::array<char, 1 << 16> buffer{};
  int offset = 0;
  while (in) {
    in.read(buffer.data(), buffer.size());
    const auto got = static_cast<int>(in.gcount());
    if (got == 0) break;
    rc = sqlite3_blob_write(handle.blob, buffer.data(), got, offset);
    if (rc != SQLITE_OK) throw DbError(std::string("cannot write blob: ") + sqlite3_errmsg(db_.handle()));
    offset += got;
  }
  if (offset != stored) throw DbError("short read of " + gzip_file.string());
}

bool SnapshotStore::readBlob(std::string_view sha256, const std::filesystem::path& out) {
  auto stmt = db_.prepare("SELECT rowid, stored_bytes FROM blobs WHERE sha256 = ?1");
  stmt.bind(1, sha256);
  if (!stmt.step()) return false;
  const sqlite3_int64 row = stmt.getInt64(0);
  const auto stored = static_cast<int>(stmt.getInt64(1));
  BlobHandle handle;
  if (sqlite3_blob_open(db_.handle(), "main", "blobs", "content", row, 0, &handle.blob) != SQLITE_OK) {
    throw DbError(std::string("cannot open blob: ") + sqlite3_errmsg(db_.handle()));
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) throw DbError("cannot write " + out.string());
  std::array<char, 1 << 16> buffer{};
  for (int offset = 0; offset < stored;) {
    const int chunk = std::min<int>(static_cast<int>(buffer.size()), stored - offset);
    if (sqlite3_blob_read(handle.blob, buffer.data(), chunk, offset) != SQLITE_OK) {
      throw DbError(std::string("cannot read blob: ") + sqlite3_errmsg(db_.handle()));
    }
    file.write(buffer.data(), chunk);
    offset += chunk;
  }
  if (!file.flush()) throw DbError("cannot write " + out.string());
  return true;
}

AddedInput SnapshotStore::addInput(const Scope& scope, std::string_view kind, std::string_view name,
                                   std::string_view sha256, std::int64_t size_bytes,
                                   std::string_view encoding, std::string_view now) {
  std::optional<Snapshot> latest = latestSnapshot(scope.id);
  // The same bytes under the same name are already the scope's picture: nothing to do. (The same bytes under
  // another name are another input: two nodes may print the same sockets.)
  if (latest) {
    for (const StoredInput& input : latest->inputs) {
      if (input.name == name && input.sha256 == sha256 && input.kind == kind) return {input, false};
    }
  }
  const std::int64_t snapshot_id = openSnapshot(scope, latest, now);
  auto remove = db_.prepare("DELETE FROM inputs WHERE snapshot_id = ?1 AND name = ?2");
  remove.bind(1, snapshot_id).bind(2, name).run();
  auto insert = db_.prepare(
      "INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, encoding, content, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)");
  insert.bind(1, snapshot_id)
      .bind(2, kind)
      .bind(3, name)
      .bind(4, sha256)
      .bind(5, size_bytes)
      .bind(6, encoding);
  insert.bind(7, now).run();
  StoredInput input{db_.lastInsertRowId(), snapshot_id, std::string(kind),     std::string(name),
                    std::string(sha256),   size_bytes,  std::string(encoding), std::string(now)};
  return {input, true};
}

std::int64_t SnapshotStore::openSnapshot(const Scope& scope, const std::optional<Snapshot>& latest,
                                         std::string_view now) {
  if (latest && latest->state == "open") return latest->id;
  auto open = db_.prepare("INSERT INTO snapshots (scope_id, state, created_at) VALUES (?1, 'open', ?2)");
  open.bind(1, scope.id).bind(2, now).run();
  const std::int64_t snapshot_id = db_.lastInsertRowId();
  if (latest) {
    auto copy = db_.prepare(
        "INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, encoding, content, received_at) "
        "SELECT ?1, kind, name, sha256, size_bytes, encoding, NULL, received_at FROM inputs "
        "WHERE snapshot_id = ?2");
    copy.bind(1, snapshot_id).bind(2, latest->id).run();
  }
  return snapshot_id;
}

std::int64_t SnapshotStore::replaceInputsOfKind(const Scope& scope, std::string_view kind,
                                                const std::vector<NewInput>& inputs, std::string_view now) {
  const std::int64_t snapshot_id = openSnapshot(scope, latestSnapshot(scope.id), now);
  db_.prepare("DELETE FROM inputs WHERE snapshot_id = ?1 AND kind = ?2")
      .bind(1, snapshot_id)
      .bind(2, kind)
      .run();
  std::vector<NewKindedInput> kinded;
  for (const auto& input : inputs)
    kinded.push_back({std::string(kind), input});
  putInputs(snapshot_id, kinded, now);
  return snapshot_id;
}

std::int64_t SnapshotStore::replaceInputsNamed(const Scope& scope, std::string_view prefix,
                                               const std::vector<NewKindedInput>& inputs,
                                               std::string_view now) {
  const std::int64_t snapshot_id = openSnapshot(scope, latestSnapshot(scope.id), now);
  // substr, not LIKE: a name's '_' and '%' are not patterns.
  db_.prepare("DELETE FROM inputs WHERE snapshot_id = ?1 AND substr(name, 1, length(?2)) = ?2")
      .bind(1, snapshot_id)
      .bind(2, std::string(prefix))
      .run();
  putInputs(snapshot_id, inputs, now);
  return snapshot_id;
}

void SnapshotStore::putInputs(std::int64_t snapshot_id, const std::vector<NewKindedInput>& inputs,
                              std::string_view now) {
  auto remove = db_.prepare("DELETE FROM inputs WHERE snapshot_id = ?1 AND name = ?2");
  auto insert = db_.prepare(
      "INSERT INTO inputs (snapshot_id, kind, name, sha256, size_bytes, encoding, content, received_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, 'identity', NULL, ?6)");
  for (const auto& [kind, input] : inputs) {
    remove.bind(1, snapshot_id).bind(2, input.name).run();
    remove.reset();
    insert.bind(1, snapshot_id)
        .bind(2, kind)
        .bind(3, input.name)
        .bind(4, input.sha256)
        .bind(5, input.size_bytes);
    insert.bind(6, now).run();
    insert.reset();
  }
}

std::vector<StoredInput> SnapshotStore::inputsOf(std::int64_t snapshot_id) {
  auto stmt = db_.prepare(
      "SELECT id, snapshot_id, kind, name, sha256, size_bytes, encoding, received_at FROM inputs "
      "WHERE snapshot_id = ?1 ORDER BY name");
  stmt.bind(1, snapshot_id);
  std::vector<StoredInput> inputs;
  while (stmt.step()) {
    inputs.push_back({stmt.getInt64(0), stmt.getInt64(1), stmt.getText(2), stmt.getText(3), stmt.getText(4),
                      stmt.getInt64(5), stmt.getText(6), stmt.getText(7)});
  }
  return inputs;
}

std::optional<Snapshot> SnapshotStore::latestSnapshot(std::int64_t scope_id) {
  auto stmt = db_.prepare("SELECT " + std::string(kSnapshotColumns) +
                          " FROM snapshots WHERE scope_id = ?1 ORDER BY id DESC LIMIT 1");
  stmt.bind(1, scope_id);
  if (!stmt.step()) return std::nullopt;
  Snapshot snapshot = readSnapshot(stmt);
  snapshot.inputs = inputsOf(snapshot.id);
  return snapshot;
}

std::optional<Snapshot> SnapshotStore::snapshot(std::int64_t snapshot_id) {
  auto stmt = db_.prepare("SELECT " + std::string(kSnapshotColumns) + " FROM snapshots WHERE id = ?1");
  stmt.bind(1, snapshot_id);
  if (!stmt.step()) return std::nullopt;
  Snapshot snapshot = readSnapshot(stmt);
  snapshot.inputs = inputsOf(snapshot.id);
  return snapshot;
}

std::vector<Snapshot> SnapshotStore::snapshots(std::int64_t scope_id) {
  auto stmt = db_.prepare("SELECT " + std::string(kSnapshotColumns) +
                          " FROM snapshots WHERE scope_id = ?1 ORDER BY id DESC");
  stmt.bind(1, scope_id);
  std::vector<Snapshot> result;
  while (stmt.step())
    result.push_back(readSnapshot(stmt));
  return result;
}

void SnapshotStore::seal(std::int64_t snapshot_id, std::string_view now) {
  auto stmt =
      db_.prepare("UPDATE snapshots SET state = 'sealed', sealed_at = ?2 WHERE id = ?1 AND state = 'open'");
  stmt.bind(1, snapshot_id).bind(2, now).run();
}

int SnapshotStore::prune(int keep) {
  auto stmt = db_.prepare(
      "DELETE FROM snapshots WHERE id IN ("
      "  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY scope_id ORDER BY id DESC) AS rank "
      "                  FROM snapshots) WHERE rank > ?1"
      "  AND id NOT IN (SELECT snapshot_id FROM audit_snapshots))");
  stmt.bind(1, keep).run();
  const int removed = db_.changes();
  db_.exec("DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM inputs)");
  return removed;
}

}  // namespace sgaudit::db
