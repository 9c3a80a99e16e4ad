#include "sgaudit/collect/exec_credential.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "sgaudit/collect/base64.hpp"

extern char** environ;

namespace sgaudit::collect {
namespace {

constexpr std::size_t kOutputLimit = 1 << 20;  // an ExecCredential is a few KB; a client chain a few more
constexpr std::size_t kErrorLimit = 64 << 10;

std::string programName(const ExecConfig& exec) {
  const auto slash = exec.command.rfind('/');
  return slash == std::string::npos ? exec.command : exec.command.substr(slash + 1);
}

std::string lastLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  const auto newline = text.rfind('\n');
  if (newline != std::string::npos) text = text.substr(newline + 1);
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

bool readDigits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + count, value);
  return error == std::errc{} && end == text.data() + at + count;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !readDigits(text, 0, 4, year) || text[4] != '-' || !readDigits(text, 5, 2, month) ||
      text[7] != '-' || !readDigits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !readDigits(text, 11, 2, hour) || text[13] != ':' || !readDigits(text, 14, 2, minute) ||
      text[16] != ':' || !readDigits(text, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  // system_clock counts nanoseconds in 64 bits, which ends in 2262; a credential expires soon anyway.
  if (year < 1970 || year > 2200) return std::nullopt;
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t digits = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9')
      ++at;
    if (at == digits) return std::nullopt;
  }
  long offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh = 0, om = 0;
    if (!readDigits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !readDigits(text, at + 4, 2, om))
      return std::nullopt;
    offset = (text[at] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const std::time_t utc = timegm(&parts);
  return std::chrono::system_clock::from_time_t(utc - offset);
}

std::variant<ExecCredential, std::string> parseExecCredential(std::string_view output,
                                                              std::string_view api_version) {
  const auto document = nlohmann::json::parse(output, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return std::string("expected an ExecCredential (JSON object)");
  const auto kind = document.find("kind");
  if (kind == document.end() || !kind->is_string() || *kind != "ExecCredential")
    return std::string("/kind: expected \"ExecCredential\"");
  const auto version = document.find("apiVersion");
  if (version == document.end() || !version->is_string() || *version != api_version)
    return "/apiVersion: expected \"" + std::string(api_version) + "\" (the kubeconfig's exec apiVersion)";
  const auto status = document.find("status");
  if (status == document.end() || !status->is_object()) return std::string("/status: expected an object");
  ExecCredential credential;
  auto text = [&](const char* key) -> std::optional<std::string> {
    const auto value = status->find(key);
    if (value == status->end() || value->is_null()) return std::string();
    if (!value->is_string()) return std::nullopt;
    return value->get<std::string>();
  };
  const auto token = text("token");
  const auto cert = text("clientCertificateData");
  const auto key = text("clientKeyData");
  if (!token) return std::string("/status/token: expected a string");
  if (!cert) return std::string("/status/clientCertificateData: expected a string");
  if (!key) return std::string("/status/clientKeyData: expected a string");
  credential.token = *token;
  credential.client_cert_pem = *cert;
  credential.client_key_pem = *key;
  if (credential.token.find_first_of("\r\n") != std::string::npos)
    return std::string("/status/token: a token has no line breaks");
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty())
    return std::string("/status: clientCertificateData and clientKeyData come together");
  if (credential.token.empty() && credential.client_cert_pem.empty())
    return std::string("/status: expected a token or clientCertificateData and clientKeyData");
  const auto expires = text("expirationTimestamp");
  if (!expires) return std::string("/status/expirationTimestamp: expected an RFC 3339 time");
  if (!expires->empty()) {
    credential.expires = parseRfc3339(*expires);
    if (!credential.expires) return std::string("/status/expirationTimestamp: expected an RFC 3339 time");
  }
  return credential;
}

std::string execInfo(const ExecConfig& exec, const ClusterAccess& cluster) {
  nlohmann::json info = {
      {"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  if (exec.provide_cluster_info) {
    nlohmann::json target = {{"server", cluster.server}};
    if (!cluster.ca_pem.empty()) target["certificate-authority-data"] = encodeBase64(cluster.ca_pem);
    if (!cluster.tls_server_name.empty()) target["tls-server-name"] = cluster.tls_server_name;
    if (cluster.insecure_skip_tls_verify) target["insecure-skip-tls-verify"] = true;
    info["spec"]["cluster"] = std::move(target);
  }
  return info.dump();
}

std::variant<ExecCredential, std::string> runExecPlugin(const ExecConfig& exec, const ClusterAccess& cluster,
                                                        std::chrono::milliseconds timeout) {
  const std::string name = "exec plugin \"" + programName(exec) + "\"";
  std::string command = exec.command;
  if (command.find('/') != std::string::npos && command.front() != '/')
    command = (exec.base_dir / command).lexically_normal().string();

  std::vector<std::string> arguments{command};
  arguments.insert(arguments.end(), exec.args.begin(), exec.args.end());
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    bool replaced = variable.starts_with("KUBERNETES_EXEC_INFO=");
    for (const auto& [key, value] : exec.env)
      replaced = replaced || variable.starts_with(key + "=");
    if (!replaced) environment.emplace_back(variable);
  }
  for (const auto& [key, value] : exec.env)
    environment.push_back(key + "=" + value);
  environment.push_back("KUBERNETES_EXEC_INFO=" + execInfo(exec, cluster));
  std::vector<char*> argv, envp;
  for (auto& argument : arguments)
    argv.push_back(argument.data());
  argv.push_back(nullptr);
  for (auto& variable : environment)
    envp.push_back(variable.data());
  envp.push_back(nullptr);

  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    for (const int fd : {out[0], out[1], err[0], err[1]})
      if (fd >= 0) close(fd);
    return name + ": cannot make a pipe: " + std::strerror(errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (spawned != 0) {
    close(out[0]);
    close(err[0]);
    std::string message = name + ": cannot run " + command + ": " + std::strerror(spawned);
    if (!exec.install_hint.empty()) message += " (" + lastLine(exec.install_hint) + ")";
    return message;
  }

  std::string output, errors;
  bool too_long = false, timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int ready = poll(fds, 2, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char chunk[8192];
      const ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
        continue;
      }
      std::string& sink = i == 0 ? output : errors;
      const std::size_t limit = i == 0 ? kOutputLimit : kErrorLimit;
      if (sink.size() + static_cast<std::size_t>(got) > limit) {
        if (i == 0) too_long = true;
        sink.append(chunk, limit - std::min(limit, sink.size()));
      } else {
        sink.append(chunk, static_cast<std::size_t>(got));
      }
    }
    if (too_long) break;
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) close(fd.fd);
  if (timed_out || too_long) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return name + ": gave no answer in " + std::to_string(timeout.count() / 1000) + " s";
  if (too_long) return name + ": wrote more than 1 MiB";
  if (WIFSIGNALED(status)) return name + ": killed by signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0) {
    std::string message = name + ": exited with status " + std::to_string(WEXITSTATUS(status));
    const std::string line = lastLine(errors);
    if (!line.empty()) message += ": " + line;
    return message;
  }
  auto credential = parseExecCredential(output, exec.api_version);
  if (auto* why = std::get_if<std::string>(&credential)) return name + ": " + *why;
  return credential;
}

}  // namespace sgaudit::collect
