// `sgaudit agent`: a node's listening sockets read from the kernel (/proc/net/*), written as the node's `ss`
// input. Run as a hostNetwork DaemonSet (hostPID too, to name the processes), or by hand on a node.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "command.hpp"
#include "sgaudit/cloud/node/proc_net.hpp"

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

class Agent final : public Command {
 public:
  CLI::App* add(CLI::App& app, Common&) override {
    auto* agent = app.add_subcommand(
        "agent", "Read this node's listening sockets from /proc/net and write them as the node's ss input");
    agent->add_flag("--once", once_, "Read once, write --out/<node>.txt and exit")->required();
    agent
        ->add_option("--node-name", node_name_,
                     "The node's Kubernetes name (default: $NODE_NAME, then the host name)")
        ->envname("SGAUDIT_NODE_NAME");
    agent->add_option("--out", out_, "Folder to write <node>.txt into (created when missing)")->required();
    agent->add_option("--proc", proc_, "Where the host's /proc is mounted")->capture_default_str();
    return agent;
  }

  int run(Common&) override {
    if (node_name_.empty()) node_name_ = defaultNodeName();
    if (!validNodeName(node_name_))
      return usageError("--node-name \"" + node_name_ +
                        "\" is not a node name (a DNS name or an IP address)");
    const auto sockets = cloud::node::readKernelSockets(proc_, node_name_);
    if (!sockets) {
      std::cerr << "sgaudit: error: " << sockets.error().toString() << "\n";
      return kExitFailure;
    }
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
      file << cloud::node::renderSsListing(sockets.value());
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
    std::cerr << "sgaudit: " << sockets.value().sockets.size() << " listening sockets of node " << node_name_
              << " written to " << target.string() << "\n";
    return kExitOk;
  }

 private:
  bool once_ = false;
  std::string node_name_;
  fs::path out_;
  fs::path proc_ = "/proc";
};

}  // namespace

std::unique_ptr<Command> agentCommand() {
  return std::make_unique<Agent>();
}

}  // namespace sgaudit::cli
