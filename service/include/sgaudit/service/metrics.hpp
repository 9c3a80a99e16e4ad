#pragma once

// The service's counters, exposed at GET /metrics in the Prometheus text format (version 0.0.4).

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace sgaudit::service {

class Metrics {
 public:
  static constexpr std::array<double, 12> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10,  30};

  // `route` is the route's pattern ("/api/v1/audits/{id}"), never the raw path, so labels stay few.
  void recordRequest(std::string_view method, std::string_view route, int status, double seconds);
  void addIngestBytes(std::string_view scope_kind, std::uint64_t bytes);
  void recordAudit(bool succeeded, double seconds, const std::map<std::string, int>& findings_by_severity);
  // A gauge set by others (the scheduler's next run per schedule, say). Labels are escaped on output.
  void setGauge(std::string_view name, std::string_view help, std::map<std::string, std::string> labels,
                double value);
  void removeGauge(std::string_view name, const std::map<std::string, std::string>& labels);

  // A scheduled run as it ended.
  void recordScheduleRun(bool succeeded);

  // A connection closed as accepted (over --max-connections).
  void addRefusedConnection();

  // `detail`: also what names or counts the audited estate (schedule names, findings by severity), which a
  // caller without a token sees only when the server runs with --metrics-detail.
  std::string render(bool detail = true) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
    void observe(double value);
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::map<std::string, std::uint64_t> ingest_bytes_;
  std::map<std::string, std::uint64_t> audits_;                                          // by outcome
  std::map<std::string, std::uint64_t> schedule_runs_{{"failed", 0}, {"succeeded", 0}};  // by outcome
  Histogram audit_seconds_;
  std::map<std::string, std::uint64_t> findings_;
  std::uint64_t refused_connections_ = 0;
  struct Gauge {
    std::string help;
    std::map<std::map<std::string, std::string>, double> values;
  };
  std::map<std::string, Gauge> gauges_;
};

// Escapes a label value for the text format: backslash, double quote and newline.
std::string escapeLabelValue(std::string_view value);

}  // namespace sgaudit::service
