#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "sgaudit/service/config.hpp"
#include "sgaudit/service/http_message.hpp"

namespace sgaudit::service {

// HTTPS: a PEM certificate chain (the server's certificate first) and its unencrypted PEM private key.
struct TlsFiles {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};

struct ServerOptions {
  ListenAddress listen;
  unsigned io_threads = 1;
  unsigned workers = 4;
  // Headers must arrive within `read_timeout` of the request's start; a body may take as long as it needs as
  // long as no read waits longer than `read_timeout` (an idle timeout: a slow upload is not cut).
  std::chrono::milliseconds read_timeout{30'000};
  std::size_t max_connections = 1024;  // open at once; more are closed as they are accepted
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 8 * 1024 * 1024;
  std::chrono::milliseconds shutdown_grace{10'000};
  bool handle_signals = false;  // SIGINT/SIGTERM begin a graceful stop; a second one stops at once

  // Asked once a request's headers are in, before its body is read: a response refuses the request
  // at once (a missing token, an unknown route), so a large body is never received for nothing. It runs on
  // a worker, never on an I/O thread (it may look a token up in SQLite).
  std::function<std::optional<HttpResponse>(const HttpRequest&)> precheck;
  // Requests for which this says yes have their body written to a file in `spool_dir` (uploads of
  // hundreds of MB), up to `spool_body_limit` bytes, instead of being held in memory.
  std::function<bool(const HttpRequest&)> spool_body;
  // Asked on the I/O thread once a bodiless request's headers are in: a response is written at once, without
  // a worker (liveness: /healthz answers while every worker waits on SQLite). Must not block.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> inline_answer;
  // Told of what the server refuses itself, before any handler: a malformed or oversized request (its status)
  // and a connection over max_connections. For /metrics.
  std::function<void(int status)> on_refused;
  std::function<void()> on_connection_refused;
  std::filesystem::path spool_dir;
  std::size_t spool_body_limit = 1024ULL * 1024 * 1024;

  // Set: the port speaks HTTPS only (plain HTTP on it gets a 400 saying so). The files are looked at
  // again every `tls_reload_interval` (zero: never), so a renewed certificate needs no restart.
  std::optional<TlsFiles> tls;
  std::chrono::milliseconds tls_reload_interval{60'000};

  static ServerOptions from(const Config& config);
};

// The HTTP/1.1 server (Boost.Beast behind this header). Sessions only move bytes; each request is
// handed to `handler` on a worker thread, off the I/O threads, because handlers may block on SQLite.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // `on_stopping` runs once when a graceful stop begins (readiness turns to 503, say).
  HttpServer(ServerOptions options, Handler handler, std::function<void()> on_stopping = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS certificate (if any), binds and listens. Throws std::runtime_error naming the address,
  // or the certificate or key file and what was expected, when it cannot. With `handle_signals`, a SIGINT or
  // SIGTERM from then on is a graceful stop, taken when run() starts if it comes before.
  void listen();
  bool tls() const;
  // The bound port (useful after listening on port 0).
  std::uint16_t port() const;

  // Serves until stop() or a signal. Returns true when every in-flight request finished within the
  // grace period, false when the grace period ran out.
  bool run();

  // Begins a graceful stop: no new connections, idle connections closed, in-flight requests finish.
  // Thread-safe.
  void stop();

  struct Impl;  // opaque: Beast stays in http_server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgaudit::service
