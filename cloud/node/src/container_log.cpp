#include "sgaudit/cloud/node/container_log.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <istream>
#include <string>
#include <utility>
#include <vector>

namespace sgaudit::cloud::node {
namespace {

// Hand-written scanning: a few substring searches per line that mentions "in use", no regex, so a long
// line costs linear time.

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

bool containsNoCase(std::string_view text, std::string_view needle) {
  const auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

std::optional<int> parsePort(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value < 0 ||
      value > 65535) {
    return std::nullopt;
  }
  return value;
}

bool isDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "0.0.0.0:80", "[::]:80", ":::3000", ":8080" (no address), "8080". Unix sockets and pipes give neither.
void parseHostPort(std::string_view text, core::BindFailure& failure) {
  if (text.starts_with("unix:") || text.starts_with('/') || text.starts_with('\\')) return;
  if (isDigits(text)) {
    failure.port = parsePort(text);
    return;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return;
  const auto port = parsePort(text.substr(colon + 1));
  if (!port) return;
  failure.port = port;
  std::string_view address = text.substr(0, colon);
  if (address.starts_with('[') && address.ends_with(']')) address = address.substr(1, address.size() - 2);
  if (!address.empty() && address != "<null>") failure.address = std::string(address);
}

// The text from `start` to the next whitespace (or `stop`).
std::string_view tokenAt(std::string_view line, std::size_t start, std::string_view stop = " \t") {
  if (start >= line.size()) return {};
  const auto end = line.find_first_of(stop, start);
  return line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// ('0.0.0.0', 8000) as Python prints a socket address.
void parsePythonAddress(std::string_view line, core::BindFailure& failure) {
  const auto open = line.find("('");
  if (open == std::string_view::npos) return;
  const auto quote = line.find('\'', open + 2);
  if (quote == std::string_view::npos || line.substr(quote).size() < 3 || line.substr(quote, 3) != "', ")
    return;
  const auto close = line.find(')', quote);
  if (close == std::string_view::npos) return;
  const auto port = parsePort(line.substr(quote + 3, close - quote - 3));
  if (!port) return;
  failure.port = port;
  if (quote > open + 2) failure.address = std::string(line.substr(open + 2, quote - open - 2));
}

// After `from`, the last token shaped host:port (Tomcat's "Address already in use <null>:8080").
void parseTrailingHostPort(std::string_view line, std::size_t from, core::BindFailure& failure) {
  std::size_t at = from;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t", at);
    if (start == std::string_view::npos) break;
    const std::string_view token = tokenAt(line, start);
    at = start + token.size();
    const auto colon = token.rfind(':');
    if (colon != std::string_view::npos && isDigits(token.substr(colon + 1))) {
      core::BindFailure candidate;
      parseHostPort(token, candidate);
      if (candidate.port) {
        failure.port = candidate.port;
        failure.address = candidate.address;
      }
    }
  }
}

core::BindFailure make(std::string server) {
  core::BindFailure failure;
  failure.server = std::move(server);
  return failure;
}

}  // namespace

std::optional<core::BindFailure> recognizeBindFailure(std::string_view line) {
  if (line.size() > kMaxLogLineBytes) line = line.substr(0, kMaxLogLineBytes);
  if (!contains(line, "in use") && !contains(line, "EADDRINUSE")) return std::nullopt;

  // Node.js: "Error: listen EADDRINUSE: address already in use :::3000" (older: "listen EADDRINUSE :::3000").
  if (const auto at = line.find("listen EADDRINUSE"); at != std::string_view::npos) {
    auto failure = make("nodejs");
    std::size_t start = at + 17;
    constexpr std::string_view kPhrase = ": address already in use";
    if (line.substr(start).starts_with(kPhrase)) start += kPhrase.size();
    start = line.find_first_not_of(" \t", start);
    if (start != std::string_view::npos) parseHostPort(tokenAt(line, start), failure);
    return failure;
  }
  // nginx: "bind() to 0.0.0.0:80 failed (98: Address in use)" / "(98: Address already in use)".
  if (const auto at = line.find("bind() to ");
      at != std::string_view::npos &&
      (contains(line, "Address in use") || contains(line, "Address already in use"))) {
    auto failure = make("nginx");
    const auto start = at + 10;
    const auto end = line.find(" failed", start);
    if (end != std::string_view::npos) parseHostPort(line.substr(start, end - start), failure);
    return failure;
  }
  // Apache httpd: "(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80".
  if (const auto at = line.find("could not bind to address "); at != std::string_view::npos) {
    auto failure = make("apache");
    parseHostPort(tokenAt(line, at + 26), failure);
    return failure;
  }
  // HAProxy: "Starting frontend http-in: cannot bind socket (Address already in use) [0.0.0.0:80]".
  if (contains(line, "cannot bind socket")) {
    auto failure = make("haproxy");
    const auto open = line.rfind('[');
    const auto close = line.rfind(']');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
      parseHostPort(line.substr(open + 1, close - open - 1), failure);
    }
    return failure;
  }
  // Go: "listen tcp :8080: bind: address already in use", "listen tcp 0.0.0.0:8080: bind: ...".
  if (const auto at = line.find(": bind: address already in use"); at != std::string_view::npos) {
    auto failure = make("go");
    const auto listen = line.rfind("listen ", at);
    if (listen != std::string_view::npos) {
      std::string_view rest = line.substr(listen + 7, at - listen - 7);  // "tcp :8080"
      const auto space = rest.find(' ');
      if (space != std::string_view::npos) parseHostPort(rest.substr(space + 1), failure);
    }
    return failure;
  }
  // Spring Boot: "Web server failed to start. Port 8080 was already in use."
  if (const auto at = line.find("Port ");
      at != std::string_view::npos && contains(line, "was already in use")) {
    auto failure = make("java");
    failure.port = parsePort(tokenAt(line, at + 5));
    return failure;
  }
  // Java: "java.net.BindException: Address already in use" (": bind", "(Bind failed)", "<null>:8080"),
  // Netty: "io.netty.channel.unix.Errors$NativeIoException: bind(..) failed: Address already in use".
  if (contains(line, "BindException") || contains(line, "NativeIoException")) {
    auto failure = make("java");
    if (const auto at = line.find("in use"); at != std::string_view::npos)
      parseTrailingHostPort(line, at + 6, failure);
    return failure;
  }
  // Python: "OSError: [Errno 98] Address already in use", uvicorn's "[Errno 98] error while attempting to
  // bind on address ('0.0.0.0', 8000): address already in use", gunicorn's "Connection in use: ('0.0.0.0',
  // 8000)".
  if (contains(line, "[Errno 98]") || contains(line, "[Errno 48]") ||
      contains(line, "Connection in use: (")) {
    auto failure = make("python");
    parsePythonAddress(line, failure);
    return failure;
  }
  if (containsNoCase(line, "address already in use") || containsNoCase(line, "address in use")) {
    return make("unknown");
  }
  return std::nullopt;
}

std::optional<LogName> logNameFromDumpPath(std::string_view path) {
  std::vector<std::string> parts;
  for (const auto& part : std::filesystem::path(path).lexically_normal())
    parts.push_back(part.string());
  auto valid = [](const LogName& name) {
    return !name.namespace_name.empty() && !name.pod.empty() && !name.container.empty();
  };
  for (std::size_t i = parts.size(); i-- > 0;) {
    const std::size_t after = parts.size() - i - 1;
    // sonobuoy: podlogs/<namespace>/<pod>/logs/<container>.txt (older:
    // podlogs/<namespace>/<pod>/<container>.log)
    if (parts[i] == "podlogs" && (after == 4 || after == 3)) {
      if (after == 4 && parts[i + 3] != "logs") continue;
      const std::filesystem::path file(parts.back());
      if (file.extension() != ".txt" && file.extension() != ".log") continue;
      LogName name{parts[i + 1], parts[i + 2], file.stem().string()};
      if (valid(name)) return name;
    }
    // must-gather (oc adm inspect):
    // namespaces/<namespace>/pods/<pod>/<container>/<container>/logs/current.log (previous.log for the
    // instance before; .insecure.log when read without TLS checks)
    if (parts[i] == "namespaces" && after == 7 && parts[i + 2] == "pods" && parts[i + 6] == "logs" &&
        parts[i + 4] == parts[i + 5] && parts.back().ends_with(".log") &&
        (parts.back().starts_with("current") || parts.back().starts_with("previous"))) {
      LogName name{parts[i + 1], parts[i + 3], parts[i + 4]};
      if (valid(name)) return name;
    }
  }
  return std::nullopt;
}

Parsed<LogName> parseLogFileName(std::string_view file_name) {
  if (auto from_path = logNameFromDumpPath(file_name)) return std::move(*from_path);
  const std::string name = std::filesystem::path(file_name).filename().string();
  auto wrong = [&]() {
    return InputError{std::string(file_name), "",
                      "expected a file name <namespace>_<pod>_<container>.log, got \"" + name + "\""};
  };
  if (!name.ends_with(".log")) return wrong();
  const std::string_view stem = std::string_view(name).substr(0, name.size() - 4);
  const auto first = stem.find('_');
  if (first == std::string_view::npos) return wrong();
  const auto second = stem.find('_', first + 1);
  if (second == std::string_view::npos || stem.find('_', second + 1) != std::string_view::npos)
    return wrong();
  LogName result{std::string(stem.substr(0, first)), std::string(stem.substr(first + 1, second - first - 1)),
                 std::string(stem.substr(second + 1))};
  if (result.namespace_name.empty() || result.pod.empty() || result.container.empty()) return wrong();
  return result;
}

namespace {

Parsed<core::ContainerLog> emptyLog(std::string_view file_name) {
  auto name = parseLogFileName(file_name);
  if (!name) return name.error();
  core::ContainerLog log;
  log.namespace_name = std::move(name.value().namespace_name);
  log.pod = std::move(name.value().pod);
  log.container = std::move(name.value().container);
  log.source = {std::string(file_name), 0};
  return log;
}

void scanLine(std::string_view line, int number, core::ContainerLog& log) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (auto failure = recognizeBindFailure(line)) {
    failure->line = number;
    failure->text = std::string(line.substr(0, kMaxLogLineBytes));
    log.bind_failures.push_back(std::move(*failure));
  }
}

}  // namespace

Parsed<core::ContainerLog> readContainerLog(std::string_view text, std::string_view file_name) {
  auto log = emptyLog(file_name);
  if (!log) return log;
  int number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, std::min(eol, kMaxLogLineBytes));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    scanLine(line, ++number, log.value());
  }
  return log;
}

Parsed<core::ContainerLog> readContainerLog(std::istream& in, std::string_view file_name) {
  auto log = emptyLog(file_name);
  if (!log) return log;
  // Lines are cut at kMaxLogLineBytes while reading, so one endless line cannot take the memory.
  std::string line;
  std::vector<char> buffer(1 << 16);
  int number = 0;
  bool pending = false;
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(in.gcount()));
    while (!chunk.empty()) {
      const auto eol = chunk.find('\n');
      const std::string_view part = chunk.substr(0, eol);
      if (line.size() < kMaxLogLineBytes) line.append(part.substr(0, kMaxLogLineBytes - line.size()));
      pending = true;
      if (eol == std::string_view::npos) break;
      chunk.remove_prefix(eol + 1);
      scanLine(line, ++number, log.value());
      line.clear();
      pending = false;
    }
  }
  if (pending) scanLine(line, ++number, log.value());
  return log;
}

Parsed<core::ContainerLog> readContainerLogFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return InputError{file.string(), "", "cannot open the file"};
  return readContainerLog(in, file.string());
}

}  // namespace sgaudit::cloud::node
