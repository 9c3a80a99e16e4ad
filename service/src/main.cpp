// sgaudit's command line: serve, migrate, version. Parsing and configuration errors print one line
// and exit 2; everything after that is the service's own business.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sgaudit/db/migrator.hpp"
#include "sgaudit/db/token_store.hpp"
#include "sgaudit/service/api.hpp"
#include "sgaudit/service/app_context.hpp"
#include "sgaudit/service/audit_command.hpp"
#include "sgaudit/service/auth.hpp"
#include "sgaudit/service/config.hpp"
#include "sgaudit/service/demo.hpp"
#include "sgaudit/service/http_server.hpp"
#include "sgaudit/service/logging.hpp"
#include "sgaudit/service/retention.hpp"
#include "sgaudit/service/router.hpp"
#include "sgaudit/service/scheduled_audits.hpp"

namespace {

using sgaudit::service::Config;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int usageError(const std::string& message) {
  std::cerr << "sgaudit: error: " << message << "\n";
  return kExitUsage;
}

CLI::Validator listenValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::string error;
        return sgaudit::service::ListenAddress::parse(text, &error) ? std::string() : error;
      },
      "", "ListenAddress");
}

void addStoreOptions(CLI::App& command, Config& config, std::string& log_format) {
  command.add_option("--db", config.database_path, "SQLite database file (created when missing)")
      ->envname("SGAUDIT_DB")
      ->capture_default_str();
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error or off")
      ->envname("SGAUDIT_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  command.add_option("--log-format", log_format, "text or json (one object per line)")
      ->envname("SGAUDIT_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

int runMigrate(const Config& config) {
  sgaudit::db::MigrationReport report;
  sgaudit::db::openAndMigrate(config.database_path, &report);
  if (report.applied.empty()) {
    std::cout << "database " << config.database_path.string() << " is up to date (schema "
              << report.to_version << ")\n";
  } else {
    std::cout << "database " << config.database_path.string() << ": schema " << report.from_version << " -> "
              << report.to_version << " (applied";
    for (const auto& name : report.applied)
      std::cout << ' ' << name;
    std::cout << ")\n";
  }
  return kExitOk;
}

int runServe(const Config& config) {
  using namespace sgaudit::service;
  sgaudit::db::MigrationReport report;
  auto database = sgaudit::db::openAndMigrate(config.database_path, &report);
  if (!report.applied.empty()) {
    logEvent(
        LogLevel::Info, "database migrated",
        {{"path", config.database_path.string()}, {"from", report.from_version}, {"to", report.to_version}});
  }
  cleanSpool(config.spoolDir());
  std::filesystem::create_directories(config.spoolDir());
  AppContext context(config, std::move(database));
  if (config.demo) {
    if (const auto audit = loadDemo(context); audit > 0) {
      logEvent(LogLevel::Info, "demo: the cce-seed scenario is loaded and audited",
               {{"audit", audit}, {"report", "/api/v1/audits/" + std::to_string(audit) + "/report.json"}});
    }
    if (config.public_read) {
      logEvent(LogLevel::Warn, "demo: reads need no token (--public-read); do not expose this server", {});
    }
  }
  RetentionTask retention(context, std::chrono::hours(1));
  retention.start();
  std::optional<ScheduledAudits> scheduled;
  if (config.scheduler) scheduled.emplace(context);
  ServerOptions options = ServerOptions::from(config);
  options.handle_signals = true;
  options.precheck = [&context](const HttpRequest& request) { return precheckRequest(request, context); };
  options.spool_body = [](const HttpRequest& request) { return spoolsBody(request); };
  HttpServer server(
      options, [&context](const HttpRequest& request) { return route(request, context); },
      [&context] { context.beginShutdown(); });
  try {
    server.listen();
  } catch (const std::exception& e) {
    std::cerr << "sgaudit: error: " << e.what() << "\n";
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

int runToken(const Config& config, const CLI::App& create, const CLI::App& list, const std::string& role,
             const std::string& name, std::int64_t revoke_id) {
  using namespace sgaudit::service;
  auto db = sgaudit::db::openAndMigrate(config.database_path);
  const std::string now = isoTime(std::chrono::system_clock::now());
  if (create.parsed()) {
    if (name.empty() || name.size() > 128) return usageError("--name is 1-128 characters");
    // The token goes to stdout alone, so `TOKEN=$(sgaudit token create ...)` works.
    std::cout << createToken(db, name, *parseRole(role), now) << "\n";
    std::cerr << "sgaudit: created a " << role << " token \"" << name << "\"; it is not shown again\n";
    return kExitOk;
  }
  if (list.parsed()) {
    for (const auto& record : sgaudit::db::TokenStore(db).list()) {
      std::cout << record.id << "\t" << record.role << "\t" << record.name << "\t" << record.created_at
                << (record.revoked_at ? "\trevoked " + *record.revoked_at : std::string()) << "\n";
    }
    return kExitOk;
  }
  if (!sgaudit::db::TokenStore(db).revoke(revoke_id, now)) {
    std::cerr << "sgaudit: error: no live token with id " << revoke_id << "\n";
    return kExitFailure;
  }
  std::cout << "revoked token " << revoke_id << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sgaudit: finds why a pod on the host network cannot be reached or cannot start, by checking\n"
      "every host port against the cloud security groups of the node it runs on.",
      "sgaudit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(sgaudit::service::buildInfo().version));
  app.footer("Configuration: flags, or the SGAUDIT_* environment variables named in each command's --help.");

  Config config;
  std::string log_format = "text";
  unsigned read_timeout_s = 30;
  unsigned grace_s = 10;

  auto* serve = app.add_subcommand("serve", "Run the HTTP API (health, readiness, version) on the database");
  std::string listen = config.listen.toString();
  serve->add_option("--listen", listen, "Address and port to listen on (port 0: any free port)")
      ->envname("SGAUDIT_LISTEN")
      ->type_name("HOST:PORT")
      ->capture_default_str()
      ->check(listenValidator());
  addStoreOptions(*serve, config, log_format);
  serve->add_option("--workers", config.workers, "Threads that run requests (SQLite, audits)")
      ->envname("SGAUDIT_WORKERS")
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  serve->add_option("--io-threads", config.io_threads, "Threads that move bytes on connections")
      ->envname("SGAUDIT_IO_THREADS")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();
  serve->add_option("--read-timeout", read_timeout_s, "Seconds a connection may take to send a request")
      ->envname("SGAUDIT_READ_TIMEOUT")
      ->check(CLI::Range(1U, 3600U))
      ->capture_default_str();
  serve->add_option("--body-limit", config.body_limit, "Largest request body in bytes (larger: 413)")
      ->envname("SGAUDIT_BODY_LIMIT")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34))
      ->capture_default_str();
  serve->add_option("--shutdown-grace", grace_s, "Seconds in-flight requests get to finish on SIGINT/SIGTERM")
      ->envname("SGAUDIT_SHUTDOWN_GRACE")
      ->check(CLI::Range(0U, 3600U))
      ->capture_default_str();

  serve->add_option("--upload-limit", config.upload_limit, "Largest upload in bytes, as sent (larger: 413)")
      ->envname("SGAUDIT_UPLOAD_LIMIT")
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
      ->add_flag("--public-read", config.public_read,
                 "Let requests without a token read (never for a shared network)")
      ->envname("SGAUDIT_PUBLIC_READ");
  serve
      ->add_flag(
          "--demo", config.demo,
          "On an empty database, load the bundled cce-seed scenario and audit it; implies --public-read")
      ->envname("SGAUDIT_DEMO");

  bool no_scheduler = false;
  serve->add_flag("--no-scheduler", no_scheduler, "Do not run scheduled audits in this process")
      ->envname("SGAUDIT_NO_SCHEDULER");
  serve
      ->add_flag("--allow-private-webhooks", config.allow_private_targets,
                 "Let webhook targets be loopback or private addresses (link-local and metadata never)")
      ->envname("SGAUDIT_ALLOW_PRIVATE_WEBHOOKS");
  serve->add_option("--public-url", config.public_url, "Base URL of links in notifications")
      ->envname("SGAUDIT_PUBLIC_URL");
  serve
      ->add_option("--max-input-age", config.max_input_age_hours,
                   "Hours after which a scheduled run warns of old inputs")
      ->envname("SGAUDIT_MAX_INPUT_AGE")
      ->check(CLI::Range(1, 100000))
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
  unsigned tls_reload_s = 60;
  serve
      ->add_option("--tls-reload-interval", tls_reload_s,
                   "Seconds between looks at the certificate files for a renewal (0: never)")
      ->envname("SGAUDIT_TLS_RELOAD_INTERVAL")
      ->check(CLI::Range(0U, 86400U))
      ->capture_default_str();

  auto* migrate = app.add_subcommand("migrate", "Create the database or upgrade its schema, then exit");
  addStoreOptions(*migrate, config, log_format);

  sgaudit::service::AuditOptions audit_options;
  std::string fail_on = "low";
  std::vector<std::string> audit_paths;
  auto* audit = app.add_subcommand(
      "audit", "Audit files and folders of inputs once and report (exit 0 clean, 1 findings, 2 bad input)");
  audit->add_option("paths", audit_paths, "Input files or folders (read recursively)")->required();
  audit
      ->add_option("--policy", audit_options.policy,
                   "Policy JSON (required sources, sensitive ports, suppressions)")
      ->check(CLI::ExistingFile);
  audit->add_option("--node-map", audit_options.node_map, "JSON object mapping node names to instance ids")
      ->check(CLI::ExistingFile);
  audit->add_option("--format", audit_options.format, "text, json, html, sarif or csv")
      ->check(CLI::IsMember({"text", "json", "html", "sarif", "csv"}))
      ->capture_default_str();
  audit->add_option("--output", audit_options.output, "Write the result here instead of stdout");
  audit
      ->add_option("--fail-on", fail_on,
                   "Exit 1 when a finding is at or above: info, low, medium, high, critical")
      ->check(CLI::IsMember({"info", "low", "medium", "high", "critical"}))
      ->capture_default_str();
  audit->add_option("--today", audit_options.today,
                    "The date suppressions expire against (YYYY-MM-DD; default today)");
  bool no_verify = false;
  audit->add_flag(
      "--no-verify-fixes", no_verify,
      "Do not prove fixes by auditing again with them applied (faster on large fleets; fixes then "
      "carry no \"verified\")");

  auto* token = app.add_subcommand("token", "Create, list or revoke API bearer tokens");
  token->require_subcommand(1);
  std::string token_role;
  std::string token_name = "cli";
  auto* token_create = token->add_subcommand("create", "Create a token and print it (it is shown only once)");
  token_create->add_option("--role", token_role, "reader, ingest or admin")
      ->required()
      ->check(CLI::IsMember({"reader", "ingest", "admin"}));
  token_create->add_option("--name", token_name, "A label for logs and listings")->capture_default_str();
  addStoreOptions(*token_create, config, log_format);
  auto* token_list = token->add_subcommand("list", "List tokens (never the tokens themselves)");
  addStoreOptions(*token_list, config, log_format);
  std::int64_t revoke_id = 0;
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token by its id");
  token_revoke->add_option("id", revoke_id, "The token's id (from `token list`)")->required();
  addStoreOptions(*token_revoke, config, log_format);

  bool version_json = false;
  auto* version = app.add_subcommand("version", "Print the version, build and schema version");
  version->add_flag("--json", version_json, "Print as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usageError(std::string(e.what()) + " (see sgaudit --help)");
  }

  if (serve->parsed()) {
    config.listen = *sgaudit::service::ListenAddress::parse(listen);  // validated while parsing
    config.read_timeout = std::chrono::seconds(read_timeout_s);
    config.shutdown_grace = std::chrono::seconds(grace_s);
    config.tls_reload_interval = std::chrono::seconds(tls_reload_s);
    if (config.demo) config.public_read = true;
    config.scheduler = !no_scheduler;
  }
  config.log_format = *sgaudit::service::parseLogFormat(log_format);

  if (audit->parsed()) {
    for (const auto& path : audit_paths)
      audit_options.paths.emplace_back(path);
    audit_options.fail_on = *sgaudit::core::parseSeverity(fail_on);
    audit_options.verify_fixes = !no_verify;
    audit_options.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    return sgaudit::service::runAuditCommand(audit_options);
  }

  if (version->parsed()) {
    const auto info = sgaudit::service::buildInfo();
    if (version_json) {
      std::cout << nlohmann::json{{"version", info.version},
                                  {"commit", info.commit},
                                  {"compiler", info.compiler},
                                  {"schema_version", info.schema_version}}
                       .dump()
                << "\n";
    } else {
      std::cout << "sgaudit " << info.version << " (commit " << info.commit << ", " << info.compiler
                << ", database schema " << info.schema_version << ")\n";
    }
    return kExitOk;
  }

  sgaudit::service::setupLogging(config.log_level, config.log_format);
  try {
    if (migrate->parsed()) return runMigrate(config);
    if (token->parsed())
      return runToken(config, *token_create, *token_list, token_role, token_name, revoke_id);
    return runServe(config);
  } catch (const sgaudit::db::DbError& e) {
    return usageError(e.what());
  } catch (const std::exception& e) {
    std::cerr << "sgaudit: error: " << e.what() << "\n";
    return kExitFailure;
  }
}
