// `sgaudit agent`: a node's listening sockets read from the kernel (/proc/net/*), as the node's `ss` input:
// written to a folder (--out), or pushed to an sgaudit server (--server), where it becomes the node's file in
// the cluster's next snapshot (POST /api/v1/clusters/{cluster}/inputs?name=<node>.txt, an ingest token; the
// same bytes again change nothing). Once (--once), or every --interval until SIGTERM. Run as a hostNetwork
// DaemonSet (hostPID too, to name the processes), or by hand on a node.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "command.hpp"
#include "sgaudit/cloud/node/proc_net.hpp"
#include "sgaudit/collect/files.hpp"
#include "sgaudit/collect/http_client.hpp"
#include "sgaudit/service/api_support.hpp"
#include "sgaudit/service/app_context.hpp"

namespace sgaudit::cli {
namespace {

namespace fs = std::filesystem;

// The node's name: --node-name, else $NODE_NAME (the downward API's spec.nodeName), else the host name.
std::string defaultNodeName() {
  if (const char* env = std::getenv("NODE_NAME"); env != nullptr && *env != '\0') return env;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) return host;
  return {};
}

// A node name becomes a file name: Kubernetes node names are DNS subdomains or IP addresses, nothing else.
bool validNodeName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':';
    if (!ok) return false;
  }
  return name.find("..") == std::string::npos;
}

// "60s", "5m", "1h" or plain seconds; nullopt when it is none of them or outside 1 s - 24 h.
std::optional<unsigned> parseInterval(const std::string& text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  unsigned scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (scale == 0 || value == 0 || value > 86400 / scale) return std::nullopt;
  return value * scale;
}

// The server's problem+json title or detail, or the status line.
std::string problemText(const collect::HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  std::string text = "HTTP " + std::to_string(response.status);
  if (body.is_object()) {
    for (const char* key : {"detail", "title"}) {
      const auto value = body.find(key);
      if (value != body.end() && value->is_string()) return text + ": " + value->get<std::string>();
    }
  }
  return text;
}

class Agent final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common&) override {
    auto* agent = app.add_subcommand("agent",
                                     "Read this node's listening sockets from /proc/net, as the node's ss "
                                     "input: write them to --out, or push "
                                     "them to an sgaudit server (--server), once or every --interval");
    agent->add_flag("--once", once_, "Read once, write or push, and exit");
    agent
        ->add_option("--node-name", node_name_,
                     "The node's Kubernetes name (default: $NODE_NAME, then the host name)")
        ->envname("SGAUDIT_NODE_NAME");
    auto* out = agent->add_option("--out", out_, "Folder to write <node>.txt into (created when missing)");
    auto* server = agent->add_option("--server", server_, "sgaudit server to push to (http:// or https://)")
                       ->envname("SGAUDIT_SERVER");
    out->excludes(server);
    agent
        ->add_option("--token-file", token_file_,
                     "File holding an ingest token for --server (re-read each push)")
        ->envname("SGAUDIT_TOKEN_FILE");
    agent
        ->add_option("--cluster", cluster_, "The cluster (scope) on the server whose snapshot the node joins")
        ->envname("SGAUDIT_CLUSTER");
    agent->add_option("--ca-file", ca_file_, "CA certificates (PEM) to verify an https --server with")
        ->envname("SGAUDIT_CA_FILE");
    agent->add_option("--interval", interval_text_, "Time between reads without --once: 60s, 5m, 1h")
        ->envname("SGAUDIT_INTERVAL")
        ->capture_default_str();
    agent->add_option("--proc", proc_, "Where the host's /proc is mounted")->capture_default_str();
    return agent;
  }

  int run(Common&) override {
    if (node_name_.empty()) node_name_ = defaultNodeName();
    if (!validNodeName(node_name_))
      return usageError("--node-name \"" + node_name_ +
                        "\" is not a node name (a DNS name or an IP address)");
    if (out_.empty() && server_.empty()) return usageError("give --out DIR or --server URL");
    const auto interval = parseInterval(interval_text_);
    if (!interval)
      return usageError("--interval \"" + interval_text_ + "\": expected 1s-24h, as 60s, 5m or 1h");
    if (!server_.empty()) {
      if (token_file_.empty()) return usageError("--server needs --token-file (an ingest token)");
      if (!service::isValidName(cluster_))
        return usageError("--server needs --cluster: 1-128 of A-Z a-z 0-9 . _ - not starting with '.'");
      auto url = collect::parseUrl(server_);
      if (auto* why = std::get_if<std::string>(&url))
        return usageError("--server \"" + server_ + "\": " + *why);
      collect::TlsSettings tls;
      if (!ca_file_.empty()) {
        auto ca = collect::readSmallFile(ca_file_, "--ca-file", std::uintmax_t{1} << 20);
        if (!ca.error.empty()) return usageError(ca.error);
        tls.ca_pem = std::move(ca.text);
      }
      collect::HttpClientOptions options;
      options.request_timeout = std::chrono::seconds(30);
      options.body_limit = 1 << 20;
      options.user_agent = "sgaudit-agent/" + std::string(service::buildInfo().version);
      client_ = std::make_unique<collect::HttpClient>(std::get<collect::Url>(std::move(url)), std::move(tls),
                                                      options);
    }
    if (once_) return runOnce();

    // Until SIGINT or SIGTERM: the signals are taken as they come between rounds (sigtimedwait is the sleep),
    // so a stop never cuts a write or a push in half.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::cerr << "sgaudit: agent for node " << node_name_ << ", every " << *interval << " s\n";
    while (true) {
      const int status = runOnce();
      if (status == kExitUsage && client_ && refused_)
        return status;  // a token the server refuses stays refused
      timespec wait{static_cast<time_t>(*interval), 0};
      const int signal = sigtimedwait(&stop, nullptr, &wait);
      if (signal == SIGINT || signal == SIGTERM) {
        std::cerr << "sgaudit: agent stopped\n";
        return kExitOk;
      }
    }
  }

 private:
  int runOnce() {
    const auto sockets = cloud::node::readKernelSockets(proc_, node_name_);
    if (!sockets) {
      std::cerr << "sgaudit: error: " << sockets.error().toString() << "\n";
      return kExitFailure;
    }
    const std::string listing = cloud::node::renderSsListing(sockets.value());
    const std::size_t count = sockets.value().sockets.size();
    return client_ ? push(listing, count) : write(listing, count);
  }

  int write(const std::string& listing, std::size_t count) {
    std::error_code error;
    fs::create_directories(out_, error);
    if (error) {
      std::cerr << "sgaudit: error: " << out_.string() << ": cannot create the folder: " << error.message()
                << "\n";
      return kExitFailure;
    }
    // Written beside its final name and renamed, so that an audit of the folder never reads half a file.
    const fs::path target = out_ / (node_name_ + ".txt");
    const fs::path partial = out_ / ("." + node_name_ + ".txt.partial");
    {
      std::ofstream file(partial, std::ios::binary | std::ios::trunc);
      file << listing;
      file.close();
      if (!file) {
        std::cerr << "sgaudit: error: " << partial.string() << ": cannot write: " << std::strerror(errno)
                  << "\n";
        fs::remove(partial, error);
        return kExitFailure;
      }
    }
    fs::rename(partial, target, error);
    if (error) {
      std::cerr << "sgaudit: error: " << target.string() << ": cannot write: " << error.message() << "\n";
      fs::remove(partial, error);
      return kExitFailure;
    }
    std::cerr << "sgaudit: " << count << " listening sockets of node " << node_name_ << " written to "
              << target.string() << "\n";
    return kExitOk;
  }

  int push(const std::string& listing, std::size_t count) {
    // Re-read for every push: a rotated token is taken up without a restart.
    const auto token_file = collect::readTokenFile(token_file_, "--token-file", 4096);
    if (!token_file.error.empty()) {
      std::cerr << "sgaudit: error: " << token_file.error << "\n";
      return kExitUsage;
    }
    const std::string& token = token_file.text;
    collect::HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/clusters/" + cluster_ + "/inputs?name=" + node_name_ + ".txt";
    request.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "text/plain"}};
    request.body = listing;
    const std::string where =
        "cluster " + cluster_ + " on " + client_->url().scheme + "://" + client_->url().authority();
    auto answer = client_->send(request);
    if (auto* failure = std::get_if<collect::TransportError>(&answer)) {
      std::cerr << "sgaudit: error: pushing to " << where << ": " << failure->message << "\n";
      return kExitFailure;
    }
    const auto& response = std::get<collect::HttpResponse>(answer);
    refused_ = response.status == 401 || response.status == 403;
    if (response.status != 200 && response.status != 201) {
      std::cerr << "sgaudit: error: pushing to " << where << ": " << problemText(response)
                << (refused_ ? " (the token needs the ingest role)" : "") << "\n";
      return response.status >= 400 && response.status < 500 ? kExitUsage : kExitFailure;
    }
    std::cerr << "sgaudit: " << count << " listening sockets of node " << node_name_ << " pushed to " << where
              << (response.status == 201 ? "" : " (unchanged)") << "\n";
    return kExitOk;
  }

  bool once_ = false;
  std::string node_name_;
  fs::path out_;
  std::string server_;
  fs::path token_file_;
  std::string cluster_;
  fs::path ca_file_;
  std::string interval_text_ = "60s";
  fs::path proc_ = "/proc";
  std::unique_ptr<collect::HttpClient> client_;
  bool refused_ = false;
};

}  // namespace

std::unique_ptr<Command> agentCommand() {
  return std::make_unique<Agent>();
}

}  // namespace sgaudit::cli
