#include "sgaudit/service/metrics.hpp"

#include <charconv>
#include <tuple>

namespace sgaudit::service {
namespace {

// Shortest text that reads back as the same double ("0.005", not "0.0050000000000000001").
std::string number(double value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

void histogramLines(std::string& out, std::string_view name, std::string_view labels,
                    const std::array<std::uint64_t, Metrics::kLatencyBuckets.size()>& buckets,
                    std::uint64_t count, double sum) {
  const std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    out += std::string(name) + "_bucket{" + prefix + "le=\"" + number(Metrics::kLatencyBuckets[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += std::string(name) + "_bucket{" + prefix + "le=\"+Inf\"} " + std::to_string(count) + "\n";
  const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out += std::string(name) + "_sum" + braces + " " + number(sum) + "\n";
  out += std::string(name) + "_count" + braces + " " + std::to_string(count) + "\n";
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Metrics::Histogram::observe(double value) {
  ++count;
  sum += value;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (value <= kLatencyBuckets[i]) {
      ++buckets[i];
      return;
    }
  }
}

void Metrics::recordRequest(std::string_view method, std::string_view route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(method), std::string(route), status}];
  latency_[std::string(route)].observe(seconds);
}

void Metrics::addIngestBytes(std::string_view scope_kind, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  ingest_bytes_[std::string(scope_kind)] += bytes;
}

void Metrics::recordAudit(bool succeeded, double seconds,
                          const std::map<std::string, int>& findings_by_severity) {
  std::lock_guard lock(mutex_);
  ++audits_[succeeded ? "succeeded" : "failed"];
  audit_seconds_.observe(seconds);
  for (const auto& [severity, count] : findings_by_severity)
    findings_[severity] += static_cast<std::uint64_t>(count);
}

void Metrics::recordScheduleRun(bool succeeded) {
  std::lock_guard lock(mutex_);
  ++schedule_runs_[succeeded ? "succeeded" : "failed"];
}

void Metrics::setGauge(std::string_view name, std::string_view help,
                       std::map<std::string, std::string> labels, double value) {
  std::lock_guard lock(mutex_);
  Gauge& gauge = gauges_[std::string(name)];
  gauge.help = help;
  gauge.values[std::move(labels)] = value;
}

void Metrics::removeGauge(std::string_view name, const std::map<std::string, std::string>& labels) {
  std::lock_guard lock(mutex_);
  auto found = gauges_.find(std::string(name));
  if (found != gauges_.end()) found->second.values.erase(labels);
}

void Metrics::addRefusedConnection() {
  std::lock_guard lock(mutex_);
  ++refused_connections_;
}

std::string Metrics::render(bool detail) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP sgaudit_http_requests_total HTTP requests by method, route and status.\n";
  out += "# TYPE sgaudit_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out += "sgaudit_http_requests_total{method=\"" + escapeLabelValue(method) + "\",route=\"" +
           escapeLabelValue(route) + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(count) + "\n";
  }
  out += "# HELP sgaudit_http_request_duration_seconds Time to handle a request, by route.\n";
  out += "# TYPE sgaudit_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : latency_) {
    histogramLines(out, "sgaudit_http_request_duration_seconds", "route=\"" + escapeLabelValue(route) + "\"",
                   histogram.buckets, histogram.count, histogram.sum);
  }
  out += "# HELP sgaudit_ingest_bytes_total Bytes of documents received, decoded, by scope kind.\n";
  out += "# TYPE sgaudit_ingest_bytes_total counter\n";
  for (const auto& [kind, bytes] : ingest_bytes_) {
    out += "sgaudit_ingest_bytes_total{scope=\"" + escapeLabelValue(kind) + "\"} " + std::to_string(bytes) +
           "\n";
  }
  out += "# HELP sgaudit_audits_total Audits run, by outcome.\n";
  out += "# TYPE sgaudit_audits_total counter\n";
  for (const auto& [outcome, count] : audits_) {
    out += "sgaudit_audits_total{outcome=\"" + outcome + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP sgaudit_schedule_runs_total Scheduled runs, by outcome (a failed one is logged with its "
      "error).\n";
  out += "# TYPE sgaudit_schedule_runs_total counter\n";
  for (const auto& [outcome, count] : schedule_runs_) {
    out += "sgaudit_schedule_runs_total{outcome=\"" + outcome + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP sgaudit_audit_duration_seconds Time to run an audit.\n";
  out += "# TYPE sgaudit_audit_duration_seconds histogram\n";
  histogramLines(out, "sgaudit_audit_duration_seconds", "", audit_seconds_.buckets, audit_seconds_.count,
                 audit_seconds_.sum);
  out += "# HELP sgaudit_connections_refused_total Connections closed as accepted, over --max-connections.\n";
  out += "# TYPE sgaudit_connections_refused_total counter\n";
  out += "sgaudit_connections_refused_total " + std::to_string(refused_connections_) + "\n";
  if (!detail) return out;
  out += "# HELP sgaudit_findings_total Findings reported by audits, by severity.\n";
  out += "# TYPE sgaudit_findings_total counter\n";
  for (const auto& [severity, count] : findings_) {
    out += "sgaudit_findings_total{severity=\"" + escapeLabelValue(severity) + "\"} " +
           std::to_string(count) + "\n";
  }
  for (const auto& [name, gauge] : gauges_) {
    out += "# HELP " + name + " " + gauge.help + "\n# TYPE " + name + " gauge\n";
    for (const auto& [labels, value] : gauge.values) {
      std::string text;
      for (const auto& [key, label] : labels) {
        text += (text.empty() ? "" : ",") + key + "=\"" + escapeLabelValue(label) + "\"";
      }
      out += name + (text.empty() ? "" : "{" + text + "}") + " " + number(value) + "\n";
    }
  }
  return out;
}

}  // namespace sgaudit::service
