#pragma once

// "Address already in use" failures in a container's log (`kubectl logs`), by server: nginx, go, java,
// nodejs, python, apache, haproxy, and "unknown" for any other line saying "address already in use".

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "sgaudit/cloud/input_error.hpp"
#include "sgaudit/core/kubernetes.hpp"

namespace sgaudit::cloud::node {

// Only the first this many bytes of a line are looked at (and kept as BindFailure::text).
inline constexpr std::size_t kMaxLogLineBytes = 64 * 1024;

struct LogName {
  std::string namespace_name;
  std::string pod;
  std::string container;
};

// The pod and container of a log in a cluster dump, from its path: sonobuoy's
// `podlogs/<namespace>/<pod>/logs/<container>.txt` (older: `podlogs/<namespace>/<pod>/<container>.log`) and
// must-gather's `namespaces/<namespace>/pods/<pod>/<container>/<container>/logs/current.log` (or
// previous.log).
std::optional<LogName> logNameFromDumpPath(std::string_view path);

// A dump path as above, else `<namespace>_<pod>_<container>.log` (the folder is ignored); an error for any
// other name.
Parsed<LogName> parseLogFileName(std::string_view file_name);

// The failure one log line reports, if any (line number left 0).
std::optional<core::BindFailure> recognizeBindFailure(std::string_view line);

// Every failure line is kept, in order, with its 1-based line number (repeats included: a crash loop
// shows as many lines as attempts).
Parsed<core::ContainerLog> readContainerLog(std::string_view text, std::string_view file_name);
Parsed<core::ContainerLog> readContainerLog(std::istream& in, std::string_view file_name);
Parsed<core::ContainerLog> readContainerLogFile(const std::filesystem::path& file);

}  // namespace sgaudit::cloud::node
