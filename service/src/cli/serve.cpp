// `sgaudit serve`: the HTTP API on the database, with the scheduler and retention beside it.
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>

#ifdef SGAUDIT_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "command.hpp"
#include "sgaudit/db/migrator.hpp"
#include "sgaudit/service/api.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/demo.hpp"
#include "sgaudit/service/http_server.hpp"
#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/retention.hpp"
#include "sgaudit/service/router.hpp"
#include "sgaudit/service/scheduled_audits.hpp"

namespace sgaudit::cli {
namespace {

using namespace sgaudit::service;

CLI::Validator listenValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string error;
        return ListenAddress::parse(text, &error) ? std::string() : error;
      },
      "", "ListenAddress");
}

// A long-running server gives freed memory back to the system within about a second (jemalloc's background
// thread and a short decay): by default it is returned only as later allocations happen, so a server that
// refused one large upload stayed at that upload's high-water mark (84 MB resident idle after a 60,000-pod
// upload, 17 MB with this). Only `serve`: in a one-shot audit the early purging cost 18% of the AWS stress
// fleet's time.
void returnFreedMemorySoon() {
#ifdef SGAUDIT_WITH_JEMALLOC
  bool on = true;
  mallctl("background_thread", nullptr, nullptr, &on, sizeof on);
  ssize_t dirty = 1000;
  ssize_t muzzy = 0;
  mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &dirty, sizeof dirty);
  mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &muzzy, sizeof muzzy);
  const std::string all = "arena." + std::to_string(MALLCTL_ARENAS_ALL);
  mallctl((all + ".dirty_decay_ms").c_str(), nullptr, nullptr, &dirty, sizeof dirty);
  mallctl((all + ".muzzy_decay_ms").c_str(), nullptr, nullptr, &muzzy, sizeof muzzy);
#endif
}

class Serve final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common& common) override {
    Config& config = common.config;
    auto* serve = app.add_subcommand("serve",
                                     "Serve the REST API, the browser dashboard and the reports, and run "
                                     "scheduled audits (and collections), on the database");
    listen_ = config.listen.toString();
    serve->add_option("--listen", listen_, "Address and port to listen on (port 0: any free port)")
        ->envname("SGAUDIT_LISTEN")
        ->type_name("HOST:PORT")
        ->capture_default_str()
        ->check(listenValidator());
    addStoreOptions(*serve, common);
    serve->add_option("--workers", config.workers, "Threads that run requests (SQLite, audits)")
        ->envname("SGAUDIT_WORKERS")
        ->check(CLI::Range(1U, 256U))
        ->capture_default_str();
    serve->add_option("--io-threads", config.io_threads, "Threads that move bytes on connections")
        ->envname("SGAUDIT_IO_THREADS")
        ->check(CLI::Range(1U, 64U))
        ->capture_default_str();
    serve
        ->add_option("--read-timeout", read_timeout_s_,
                     "Seconds a request's headers may take, and a body may stay silent between reads")
        ->envname("SGAUDIT_READ_TIMEOUT")
        ->check(CLI::Range(1U, 3600U))
        ->capture_default_str();
    serve
        ->add_option("--max-connections", config.max_connections,
                     "Connections open at once; more are closed as they are accepted")
        ->envname("SGAUDIT_MAX_CONNECTIONS")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    serve->add_option("--body-limit", config.body_limit, "Largest request body in bytes (larger: 413)")
        ->envname("SGAUDIT_BODY_LIMIT")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34))
        ->capture_default_str();
    serve
        ->add_option("--shutdown-grace", grace_s_,
                     "Seconds in-flight requests get to finish on SIGINT/SIGTERM")
        ->envname("SGAUDIT_SHUTDOWN_GRACE")
        ->check(CLI::Range(0U, 3600U))
        ->capture_default_str();
    serve->add_option("--upload-limit", config.upload_limit, "Largest upload in bytes, as sent (larger: 413)")
        ->envname("SGAUDIT_UPLOAD_LIMIT")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40))
        ->capture_default_str();
    serve
        ->add_option("--max-objects", config.max_objects,
                     "Most Kubernetes objects one upload, and one audit's inputs, may hold (larger: 413)")
        ->envname("SGAUDIT_MAX_OBJECTS")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))
        ->capture_default_str();
    serve
        ->add_option(
            "--max-document-bytes", config.max_document_bytes,
            "Largest document read whole: provider JSON, manifests (parsing takes about 10 times it; 413)")
        ->envname("SGAUDIT_MAX_DOCUMENT_BYTES")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 34))
        ->capture_default_str();
    serve
        ->add_option("--upload-decoded-limit", config.upload_decoded_limit,
                     "Largest upload in bytes once gunzipped; decoding stops there (larger: 413)")
        ->envname("SGAUDIT_UPLOAD_DECODED_LIMIT")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40))
        ->capture_default_str();
    serve
        ->add_option("--spool-dir", config.spool_dir,
                     "Folder for uploads in transit (default: spool/ beside the database)")
        ->envname("SGAUDIT_SPOOL_DIR");
    serve
        ->add_option("--keep-snapshots", config.keep_snapshots,
                     "Snapshots kept per scope (and any an audit uses)")
        ->envname("SGAUDIT_KEEP_SNAPSHOTS")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve
        ->add_option("--keep-audit-days", config.keep_audit_days,
                     "Days audits are kept (the newest per cluster always)")
        ->envname("SGAUDIT_KEEP_AUDIT_DAYS")
        ->check(CLI::Range(1, 36500))
        ->capture_default_str();
    serve
        ->add_flag("--metrics-detail", config.metrics_detail,
                   "Let /metrics show schedule names and findings by severity without a token")
        ->envname("SGAUDIT_METRICS_DETAIL");
    serve
        ->add_flag("--public-read", config.public_read,
                   "Let requests without a token read (never for a shared network)")
        ->envname("SGAUDIT_PUBLIC_READ");
    serve
        ->add_flag(
            "--demo", config.demo,
            "On an empty database, load the bundled cce-seed scenario and audit it; while the database holds "
            "only the demo, reads need no token")
        ->envname("SGAUDIT_DEMO");
    serve->add_flag("--no-scheduler", no_scheduler_, "Do not run scheduled audits in this process")
        ->envname("SGAUDIT_NO_SCHEDULER");
    serve
        ->add_flag("--allow-private-webhooks", config.allow_private_targets,
                   "Let webhook targets be loopback or private addresses (link-local and metadata never)")
        ->envname("SGAUDIT_ALLOW_PRIVATE_WEBHOOKS");
    serve
        ->add_option(
            "--public-url", config.public_url,
            "Base URL of links in notifications; also an origin a signed-in browser's writes may come from "
            "(https: Secure cookies)")
        ->envname("SGAUDIT_PUBLIC_URL");
    serve
        ->add_option("--max-input-age", config.max_input_age_hours,
                     "Hours after which a scheduled run warns of old inputs")
        ->envname("SGAUDIT_MAX_INPUT_AGE")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve
        ->add_option(
            "--kubeconfig-dir", config.kubeconfig_dir,
            "Folder of kubeconfig files that clusters' collection sources may name (none: in-cluster only)")
        ->envname("SGAUDIT_KUBECONFIG_DIR");
    serve
        ->add_option("--service-account-dir", config.service_account_dir,
                     "The pod's service account (token, ca.crt) for in-cluster collection sources")
        ->envname("SGAUDIT_SERVICE_ACCOUNT_DIR")
        ->capture_default_str();
    auto* tls_certificate =
        serve
            ->add_option("--tls-cert", config.tls_certificate,
                         "Serve HTTPS with this PEM certificate chain (the server's certificate first)")
            ->envname("SGAUDIT_TLS_CERT")
            ->type_name("FILE");
    auto* tls_key = serve
                        ->add_option("--tls-key", config.tls_private_key,
                                     "The certificate's unencrypted PEM private key (with --tls-cert)")
                        ->envname("SGAUDIT_TLS_KEY")
                        ->type_name("FILE");
    tls_certificate->needs(tls_key);
    tls_key->needs(tls_certificate);
    serve
        ->add_option("--tls-reload-interval", tls_reload_s_,
                     "Seconds between looks at the certificate files for a renewal (0: never)")
        ->envname("SGAUDIT_TLS_RELOAD_INTERVAL")
        ->check(CLI::Range(0U, 86400U))
        ->capture_default_str();
    return serve;
  }

  bool wantsLogging() const override { return true; }

  int run(Common& common) override {
    Config& config = common.config;
    config.listen = *ListenAddress::parse(listen_);  // validated while parsing
    config.read_timeout = std::chrono::seconds(read_timeout_s_);
    config.shutdown_grace = std::chrono::seconds(grace_s_);
    config.tls_reload_interval = std::chrono::seconds(tls_reload_s_);
    config.scheduler = !no_scheduler_;
    // Files named by the configuration are the caller's input: one that cannot be read is exit 2 before
    // anything starts (what is in them is checked when the server loads them).
    for (const auto& [flag, path] :
         {std::pair{"--tls-cert", config.tls_certificate}, std::pair{"--tls-key", config.tls_private_key}}) {
      if (path.empty()) continue;
      std::error_code error;
      if (!std::filesystem::is_regular_file(path, error))
        return usageError(std::string(flag) + " " + path.string() + ": " +
                          (error ? error.message() : std::string("no such file")));
    }
    if (!config.kubeconfig_dir.empty() && !std::filesystem::is_directory(config.kubeconfig_dir))
      return usageError("--kubeconfig-dir " + config.kubeconfig_dir.string() + ": no such folder");
    return serve(config);
  }

 private:
  static int serve(const Config& config) {
    returnFreedMemorySoon();
    db::MigrationReport report;
    auto database = db::openAndMigrate(config.database_path, &report);
    if (!report.applied.empty()) {
      logEvent(LogLevel::Info, "database migrated",
               {{"path", config.database_path.string()},
                {"from", report.from_version},
                {"to", report.to_version}});
    }
    cleanSpool(config.spoolDir());
    std::filesystem::create_directories(config.spoolDir());
    AppContext context(config, std::move(database));
    if (config.demo) loadDemoScenario(context, config);
    RetentionTask retention(context, std::chrono::hours(1));
    retention.start();
    std::optional<ScheduledAudits> scheduled;
    if (config.scheduler) scheduled.emplace(context);
    ServerOptions options = ServerOptions::from(config);
    options.handle_signals = true;
    options.precheck = [&context](const HttpRequest& request) { return precheckRequest(request, context); };
    options.spool_body = [](const HttpRequest& request) { return spoolsBody(request); };
    options.inline_answer = [&context](const HttpRequest& request) {
      return answerOnIoThread(request, context);
    };
    options.on_refused = [&context](int status) {
      context.metrics().recordRequest("-", "refused", status, 0);
    };
    options.on_connection_refused = [&context] { context.metrics().addRefusedConnection(); };
    HttpServer server(
        options, [&context](const HttpRequest& request) { return route(request, context); },
        [&context] { context.beginShutdown(); });
    try {
      server.listen();
    } catch (const std::exception& e) {
      // A port that is taken is a runtime failure (1); certificate files that do not load are configuration
      // (2).
      const std::string message = e.what();
      if (message.find("TLS") != std::string::npos) return usageError(message);
      std::cerr << "sgaudit: error: " << message << "\n";
      return kExitFailure;
    }
    ListenAddress bound = config.listen;
    bound.port = server.port();
    logEvent(LogLevel::Info, "listening",
             {{"url", (server.tls() ? "https://" : "http://") + bound.toString()},
              {"version", context.build().version},
              {"database", config.database_path.string()},
              {"schema", report.to_version},
              {"workers", config.workers}});
    const bool clean = server.run();
    context.closeDatabase();
    logEvent(LogLevel::Info, "stopped", {{"clean", clean}});
    return clean ? kExitOk : kExitFailure;
  }

  // The demo's public reads are for the demo's database only: a database holding anything else keeps its
  // tokens, and says so.
  static void loadDemoScenario(AppContext& context, const Config& config) {
    if (const auto audit = loadDemo(context); audit > 0) {
      logEvent(LogLevel::Info, "demo: the cce-seed scenario is loaded and audited",
               {{"audit", audit}, {"report", "/api/v1/audits/" + std::to_string(audit) + "/report.json"}});
    }
    const std::vector<std::string> others = nonDemoScopes(context);
    if (others.empty()) {
      context.setDemoPublicRead(true);
      logEvent(LogLevel::Warn,
               "demo: reads need no token while this database holds only the demo; do not expose this server",
               {{"database", config.database_path.string()}});
    } else {
      std::string names;
      for (const auto& name : others)
        names += (names.empty() ? "" : ", ") + name;
      logEvent(
          LogLevel::Warn,
          "demo: not loaded, and reads need a token: the database already holds other clusters or accounts",
          {{"database", config.database_path.string()}, {"scopes", names}});
    }
  }

  std::string listen_;
  unsigned read_timeout_s_ = 30;
  unsigned grace_s_ = 10;
  unsigned tls_reload_s_ = 60;
  bool no_scheduler_ = false;
};

}  // namespace

std::unique_ptr<Command> serveCommand() {
  return std::make_unique<Serve>();
}

}  // namespace sgaudit::cli
