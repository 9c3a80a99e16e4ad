#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sgaudit::service {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  // "127.0.0.1:8080", "[::1]:8080", "localhost:0", ":8080" (all IPv4 interfaces).
  // Returns nullopt and fills `error` when the text is not HOST:PORT.
  static std::optional<ListenAddress> parse(std::string_view text, std::string* error = nullptr);
  std::string toString() const;
};

enum class LogFormat { Text, Json };

struct Config {
  ListenAddress listen;
  std::filesystem::path database_path = "./var/sgaudit.db";
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  LogFormat log_format = LogFormat::Text;
  unsigned workers = 4;     // threads that run handlers (SQLite, audits), off the I/O threads
  unsigned io_threads = 1;  // threads that move bytes
  std::chrono::milliseconds read_timeout{30'000};  // headers' deadline, and the body's idle timeout
  std::size_t max_connections = 1024;
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 8 * 1024 * 1024;
  std::chrono::milliseconds shutdown_grace{10'000};

  // Uploads (inputs) are spooled to files, not memory: their own, larger limit, before and after gzip.
  std::size_t upload_limit = 1024ULL * 1024 * 1024;
  std::size_t upload_decoded_limit = 4ULL * 1024 * 1024 * 1024;
  std::size_t max_objects = 1000000;  // Kubernetes objects per upload and per audit (a snapshot's inputs)
  std::size_t max_document_bytes = std::size_t{64} << 20;  // a document read whole (about 10x in memory)
  std::filesystem::path spool_dir;                         // default: "spool" beside the database
  std::filesystem::path spoolDir() const {
    return spool_dir.empty() ? database_path.parent_path() / "spool" : spool_dir;
  }

  // Retention, applied by a background task: the newest N snapshots per scope (and any an audit still
  // uses), and audits younger than D days (the newest audit of each cluster is always kept).
  int keep_snapshots = 10;
  int keep_audit_days = 90;

  // Unauthenticated requests act as a reader (a demo or a dashboard behind a trusted proxy). Off by default.
  bool public_read = false;
  bool demo = false;            // load the bundled cce-seed scenario into an empty database and audit it
  bool metrics_detail = false;  // /metrics shows schedule names and findings to callers without a token

  // Scheduled audits (service/schedule): on by default in `serve`.
  bool scheduler = true;
  bool allow_private_targets = false;  // webhooks to loopback and private addresses (never link-local)
  std::string public_url;              // base of links in notifications; an origin browsers may write from
  int max_input_age_hours = 24;        // older inputs make a scheduled run warn
  std::filesystem::path zoneinfo_dir;  // default /usr/share/zoneinfo

  // Collecting clusters (PUT /api/v1/clusters/{c}/source, schedules with "collect"): kubeconfig sources name
  // a file in this folder (none: only in-cluster sources); in-cluster sources use this service account.
  std::filesystem::path kubeconfig_dir;
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::chrono::milliseconds collect_timeout{60'000};  // each request to a cluster's API server

  // HTTPS from PEM files (both or neither); renewed files are picked up every `tls_reload_interval`.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  std::chrono::milliseconds tls_reload_interval{60'000};
};

std::optional<LogFormat> parseLogFormat(std::string_view text);
bool isLogLevel(std::string_view text);

}  // namespace sgaudit::service
