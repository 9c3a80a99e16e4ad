// Scopes and uploads: POST a document to a cluster or an account; it is decoded, recognised, checked with the
// same readers the CLI uses, and only then stored, in one transaction.
#include <fstream>

#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/cloud/inputs/loader.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/service/demo.hpp"
#include "sgaudit/service/file_codec.hpp"
#include "sgaudit/service/logging.hpp"

namespace sgaudit::service::handlers {
namespace {

using json = nlohmann::json;

json inputJson(const db::StoredInput& input) {
  return {{"id", input.id},
          {"kind", input.kind},
          {"name", input.name},
          {"sha256", input.sha256},
          {"size_bytes", input.size_bytes},
          {"encoding", input.encoding},
          {"received_at", input.received_at}};
}

json scopeJson(const db::Scope& scope, const std::optional<db::Snapshot>& latest) {
  const std::string base = scope.kind == db::ScopeKind::Cluster ? "/api/v1/clusters/" : "/api/v1/accounts/";
  json out = {{"name", scope.name}, {"kind", db::toString(scope.kind)}, {"created_at", scope.created_at}};
  if (latest) {
    json inputs = json::array();
    for (const auto& input : latest->inputs)
      inputs.push_back(inputJson(input));
    out["latest_snapshot"] = {
        {"id", latest->id}, {"state", latest->state}, {"created_at", latest->created_at}, {"inputs", inputs}};
  } else {
    out["latest_snapshot"] = nullptr;
  }
  if (scope.kind == db::ScopeKind::Cluster) {
    out["source"] = scope.source ? json::parse(*scope.source, nullptr, false) : json(nullptr);
  }
  out["links"] = {{"self", base + scope.name}, {"inputs", base + scope.name + "/inputs"}};
  return out;
}

HttpResponse listScopes(const ApiRequest& request, db::ScopeKind kind) {
  json items = json::array();
  request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore store(db);
    for (const auto& scope : store.listScopes()) {
      if (scope.kind != kind) continue;
      items.push_back(scopeJson(scope, store.latestSnapshot(scope.id)));
    }
  });
  return jsonResponse(200, json{{"items", items}});
}

HttpResponse getScope(const ApiRequest& request, db::ScopeKind kind, const std::string& name) {
  std::optional<json> found;
  request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore store(db);
    if (auto scope = store.findScope(kind, name)) found = scopeJson(*scope, store.latestSnapshot(scope->id));
  });
  if (!found) {
    return HttpResponse::problem(
        404, "there is no " + std::string(db::toString(kind)) + " named \"" + name + "\"", request.http.path);
  }
  return jsonResponse(200, *found);
}

// A display name: printable, no path tricks that matter (it is only a label), at most 256 bytes.
bool acceptableInputName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

int statusForInputError(const cloud::InputError& error) {
  const std::string& message = error.message;
  // Malformed is 400; well-formed but over a limit or of the wrong shape is 422 (a nesting limit the same
  // whether the document was streamed or read whole), too large 413.
  if (message.starts_with("not valid JSON")) return 400;
  if (message.starts_with("larger than") || message.starts_with("more than")) return 413;
  return 422;
}

HttpResponse postInput(const ApiRequest& request, db::ScopeKind kind, const std::string& scope_name) {
  const HttpRequest& http = request.http;
  AppContext& context = request.context;
  const Config& config = context.config();
  if (!isValidName(scope_name)) {
    return problemAt(400, "a scope name is 1-128 of A-Z a-z 0-9 . _ - and does not start with '.'",
                     "/path/" + std::string(kind == db::ScopeKind::Cluster ? "cluster" : "account"),
                     http.path);
  }
  // Any Content-Type is taken: an input is recognised by its content, and `curl --data-binary @file` labels
  // every body application/x-www-form-urlencoded. Only the encoding changes what the bytes are.
  std::string encoding = "identity";
  if (const auto value = http.header("Content-Encoding")) {
    const std::string lowered = asciiLower(*value);
    if (lowered == "gzip" || lowered == "x-gzip") {
      encoding = "gzip";
    } else if (lowered != "identity") {
      HttpResponse response = HttpResponse::problem(
          415, "unsupported Content-Encoding \"" + std::string(*value) + "\": send gzip or identity",
          http.path);
      response.headers["Accept-Encoding"] = "gzip";
      return response;
    }
  }
  const auto name_param = request.queryValue("name");
  if (name_param && !acceptableInputName(*name_param)) {
    return problemAt(400, "?name= is 1-256 printable characters", "/query/name", http.path);
  }

  // The received bytes, in a file: spooled by the server, or written here when a caller gave them in memory.
  const std::filesystem::path spool = config.spoolDir();
  std::optional<TempFile> received_copy;
  std::filesystem::path received;
  if (http.body_file) {
    received = *http.body_file;
  } else {
    received_copy.emplace(spool, "upload");
    std::ofstream out(received_copy->path(), std::ios::binary);
    out.write(http.body.data(), static_cast<std::streamsize>(http.body.size()));
    if (!out.flush()) throw std::runtime_error("cannot write to the spool folder " + spool.string());
    received = received_copy->path();
  }

  // Read it with the CLI's readers; nothing is stored unless it reads clean. The first 8 MiB decoded say how:
  // a document that ends there is read whole, a large kubectl list is checked as it is decoded (its objects
  // dropped: the audit reads the stored bytes again), anything else larger is decoded to a file and read as
  // the CLI reads a file.
  const bool gzip = encoding == "gzip";
  const std::string display_name = name_param.value_or("upload");
  cloud::inputs::InputLoader loader;
  loader.setObjectBudget(context.config().max_objects);
  loader.setDocumentLimit(context.config().max_document_bytes);
  auto inputProblem = [&](const cloud::InputError& error) {
    return error.where.starts_with("/")
               ? problemAt(statusForInputError(error), error.toString(), error.where, http.path)
               : HttpResponse::problem(statusForInputError(error), error.toString(), http.path);
  };
  auto codecProblem = [&](const CodecError& error) {
    return HttpResponse::problem(error.too_large ? 413 : 400, error.message, http.path);
  };
  DecodingReader reader(received, gzip, gzip ? config.upload_decoded_limit : UINT64_MAX);
  constexpr std::size_t kHead = (std::size_t{8} << 20) + 1;
  std::string head = reader.readUpTo(kHead);
  if (reader.error()) return codecProblem(*reader.error());
  // A gzip upload is stored as received (it is gzip already, and reads back as the same decoded bytes); a
  // plain one is packed, while it is read when it is streamed.
  std::optional<TempFile> packed;
  std::optional<TempFile> decoded_file;
  std::optional<cloud::InputError> read_error;
  if (head.size() < kHead) {
    if (head.empty()) return HttpResponse::problem(400, "the body is empty", http.path);
    read_error = loader.addBytes(head, display_name);
  } else if (cloud::inputs::InputLoader::streamsAsKubectl(head, head.size(), display_name)) {
    if (!gzip) packed.emplace(spool, "packed");
    DecodedStream decoded_stream(reader, std::move(head),
                                 packed ? std::optional(packed->path()) : std::nullopt);
    read_error = loader.addKubectlStream(decoded_stream.stream(), display_name, /*keep=*/false);
    if (read_error) {
      decoded_stream.stop();
      if (reader.error()) return codecProblem(*reader.error());
    } else if (auto error = decoded_stream.finish()) {
      return codecProblem(*error);
    }
  } else {
    std::filesystem::path document = received;
    if (gzip) {
      decoded_file.emplace(spool, "decoded");
      if (!reader.writeRest(head, decoded_file->path())) return codecProblem(*reader.error());
      document = decoded_file->path();
    } else {
      std::vector<char> block(std::size_t{1} << 20);
      while (reader.read(block.data(), block.size()) > 0) {
      }
    }
    read_error = loader.addFile(document, display_name);
  }
  if (read_error) return inputProblem(*read_error);
  const DecodedFile decoded = reader.decoded();
  if (decoded.size == 0) return HttpResponse::problem(400, "the body is empty", http.path);
  const std::string detected = loader.inventory().inputs.back().kind;
  if (detected == "sgaudit.policy") {
    return HttpResponse::problem(422, "this is an sgaudit policy: store it with PUT /api/v1/policies/{name}",
                                 http.path);
  }
  const std::string name = name_param.value_or(detected + "-" + decoded.sha256.substr(0, 12));

  const std::string now = isoTime(context.now());
  const bool blob_known =
      context.withDatabase([&](db::Database& db) { return db::SnapshotStore(db).hasBlob(decoded.sha256); });
  // What goes in the blob: the received gzip, the plain body packed while it was read, or packed now.
  auto blobFile = [&]() -> std::filesystem::path {
    if (gzip) return received;
    if (!packed) {
      packed.emplace(spool, "packed");
      gzipFile(received, packed->path());
    }
    return packed->path();
  };
  if (!blob_known) blobFile();
  db::AddedInput added;
  json snapshot_json;
  noteScopeWritten(context, scope_name);
  context.withDatabase([&](db::Database& db) {
    db::Transaction transaction(db);
    db::SnapshotStore store(db);
    const db::Scope scope = store.ensureScope(kind, scope_name, now);
    // (Pruned between the two locks, a plain body is packed now.)
    if (!store.hasBlob(decoded.sha256))
      store.putBlob(decoded.sha256, static_cast<std::int64_t>(decoded.size), blobFile(), now);
    added = store.addInput(scope, detected, name, decoded.sha256, static_cast<std::int64_t>(decoded.size),
                           encoding, now);
    const auto snapshot = store.snapshot(added.input.snapshot_id);
    snapshot_json = {{"id", snapshot->id}, {"state", snapshot->state}, {"inputs", snapshot->inputs.size()}};
    transaction.commit();
  });
  if (added.created) context.metrics().addIngestBytes(db::toString(kind), decoded.size);
  logEvent(LogLevel::Info, "input stored",
           {{"scope", std::string(db::toString(kind)) + "/" + scope_name},
            {"kind", detected},
            {"bytes", decoded.size},
            {"created", added.created}});
  const std::string base = kind == db::ScopeKind::Cluster ? "/api/v1/clusters/" : "/api/v1/accounts/";
  json result{{"input", inputJson(added.input)}, {"snapshot", snapshot_json}, {"created", added.created}};
  if (!loader.inventory().warnings.empty()) result["warnings"] = loader.inventory().warnings;
  HttpResponse response = jsonResponse(added.created ? 201 : 200, result);
  response.headers["Location"] = base + scope_name;
  return response;
}

}  // namespace

HttpResponse listClusters(const ApiRequest& request) {
  return listScopes(request, db::ScopeKind::Cluster);
}
HttpResponse listAccounts(const ApiRequest& request) {
  return listScopes(request, db::ScopeKind::Account);
}
HttpResponse getCluster(const ApiRequest& request) {
  return getScope(request, db::ScopeKind::Cluster, request.param("cluster"));
}
HttpResponse getAccount(const ApiRequest& request) {
  return getScope(request, db::ScopeKind::Account, request.param("account"));
}
HttpResponse postClusterInput(const ApiRequest& request) {
  return postInput(request, db::ScopeKind::Cluster, request.param("cluster"));
}
HttpResponse postAccountInput(const ApiRequest& request) {
  return postInput(request, db::ScopeKind::Account, request.param("account"));
}

}  // namespace sgaudit::service::handlers
