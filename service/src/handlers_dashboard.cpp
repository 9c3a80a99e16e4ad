// The dashboard a browser sees at `/`: each cluster and account with its latest audit (severity counts,
// reports, what changed since the audit before), each schedule with its findings by severity over its
// last runs as an inline SVG trend (stacked bars), and sign-out. Server-rendered, no script, every stored
// value escaped.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "browser_pages.hpp"
#include "handlers.hpp"
#include "sgaudit/db/audit_store.hpp"
#include "sgaudit/db/snapshot_store.hpp"
#include "sgaudit/schedule/schedule_store.hpp"
#include "sgaudit/service/browser_session.hpp"

namespace sgaudit::service::handlers {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 5> kSeverities = {"critical", "high", "medium", "low", "info"};
constexpr std::array<std::string_view, 5> kSeverityColours = {"#a40e26", "#bc4c00", "#9a6700", "#0969da",
                                                              "#57606a"};
constexpr int kTrendRuns = 20;

using SeverityCounts = std::array<int, 5>;

SeverityCounts countsOf(const db::AuditRecord& audit) {
  SeverityCounts counts{};
  if (!audit.summary) return counts;
  const json summary = json::parse(*audit.summary, nullptr, false);
  if (!summary.is_object()) return counts;
  const json by_severity = summary.value("by_severity", json::object());
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    const auto found = by_severity.find(std::string(kSeverities[i]));
    if (found != by_severity.end() && found->is_number_integer()) counts[i] = found->get<int>();
  }
  return counts;
}

struct ScopeRow {
  db::Scope scope;
  std::optional<db::AuditRecord> latest;
  std::optional<std::int64_t> previous_id;
};

struct TrendPoint {
  std::int64_t audit_id = 0;
  std::string at;
  SeverityCounts counts{};
};

struct ScheduleCard {
  schedule::Schedule schedule;
  std::string last_state;        // of the newest run, "" when it never ran
  std::vector<TrendPoint> runs;  // oldest first, runs that made an audit
};

std::string severityCells(const SeverityCounts& counts) {
  std::string cells;
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    const std::string severity(kSeverities[i]);
    cells += "<td class=\"n" + (counts[i] > 0 ? " " + severity : std::string()) + "\" data-severity=\"" +
             severity + "\">" + std::to_string(counts[i]) + "</td>";
  }
  return cells;
}

std::string reportLinks(std::int64_t audit) {
  const std::string base = "/api/v1/audits/" + std::to_string(audit) + "/report.";
  return "<a class=report-html href=\"" + base + "html\">HTML</a> <a href=\"" + base +
         "sarif\">SARIF</a> <a href=\"" + base + "csv\">CSV</a> <a href=\"" + base + "json\">JSON</a>";
}

std::string scopeRow(const ScopeRow& row) {
  const std::string kind(db::toString(row.scope.kind));
  std::string html = "<tr data-kind=\"" + escapeHtml(kind) + "\" data-name=\"" + escapeHtml(row.scope.name) +
                     "\"><td>" + escapeHtml(kind) + "</td><td class=name>" + escapeHtml(row.scope.name) +
                     "</td>";
  if (!row.latest) {
    return html + "<td colspan=8 class=muted>no audit yet</td></tr>\n";
  }
  const db::AuditRecord& audit = *row.latest;
  const std::string id = std::to_string(audit.id);
  html += "<td class=audit><time>" + escapeHtml(audit.finished_at.value_or(audit.started_at)) +
          "</time> <span class=muted>#" + id + "</span></td>" + severityCells(countsOf(audit)) + "<td>" +
          reportLinks(audit.id) + "</td><td>";
  if (row.previous_id) {
    const std::string previous = std::to_string(*row.previous_id);
    html += "<a class=changes href=\"/api/v1/audits/" + id + "/report.html?against=" + previous +
            "\">since #" + previous + "</a> <a href=\"/api/v1/audits/" + id + "/diff?against=" + previous +
            "\">JSON</a>";
  } else {
    html += "<span class=muted>first audit</span>";
  }
  return html + "</td></tr>\n";
}

// Findings by severity over the runs: a bar per run (oldest left), stacked by severity with critical at the
// bottom, scaled to the largest run. Lines per severity would hide each other where counts are equal. No
// script, no external image; each bar's <title> gives its numbers.
std::string trendSvg(const ScheduleCard& card) {
  constexpr int kWidth = 320;
  constexpr int kHeight = 84;
  constexpr int kPad = 6;
  int largest = 1;
  for (const TrendPoint& point : card.runs) {
    int total = 0;
    for (const int count : point.counts)
      total += count;
    largest = std::max(largest, total);
  }
  const int n = std::max<int>(1, static_cast<int>(card.runs.size()));
  const int slot = (kWidth - 2 * kPad) / n;
  const int bar = std::clamp(slot * 7 / 10, 2, 24);
  std::string label = "Findings by severity over the last " + std::to_string(card.runs.size()) + " runs of " +
                      card.schedule.spec.name + ", oldest first:";
  std::string bars;
  for (std::size_t i = 0; i < card.runs.size(); ++i) {
    const TrendPoint& point = card.runs[i];
    const int x = kPad + static_cast<int>(i) * slot + (slot - bar) / 2;
    int bottom = kHeight - kPad;
    std::string numbers;
    std::string rects;
    for (std::size_t s = 0; s < kSeverities.size(); ++s) {
      const int count = point.counts[s];
      numbers += (s > 0 ? ", " : "") + std::string(kSeverities[s]) + " " + std::to_string(count);
      if (count == 0) continue;
      const int height = std::max(1, count * (kHeight - 2 * kPad) / largest);
      bottom -= height;
      rects += "<rect data-severity=\"" + std::string(kSeverities[s]) + "\" data-count=\"" +
               std::to_string(count) + "\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(bottom) +
               "\" width=\"" + std::to_string(bar) + "\" height=\"" + std::to_string(height) + "\" fill=\"" +
               std::string(kSeverityColours[s]) + "\"/>";
    }
    label += " " + numbers + ";";
    bars += "<g class=\"run\" data-audit=\"" + std::to_string(point.audit_id) + "\"><title>audit #" +
            std::to_string(point.audit_id) + " at " + escapeHtml(point.at) + ": " + numbers + "</title>" +
            rects + "</g>";
  }
  return "<svg class=trend width=\"" + std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) +
         "\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
         "\" role=\"img\" aria-label=\"" + escapeHtml(label) + "\">" + bars + "</svg>";
}

std::string scheduleCard(const ScheduleCard& card) {
  const schedule::ScheduleSpec& spec = card.schedule.spec;
  std::string html = "<section class=schedule data-schedule=\"" + escapeHtml(spec.name) + "\"><h3>" +
                     escapeHtml(spec.name) + "</h3><p><code>" + escapeHtml(spec.cron) + "</code> " +
                     escapeHtml(spec.time_zone) + " · cluster " + escapeHtml(spec.cluster) +
                     (spec.enabled ? "" : " · <b>disabled</b>") + "</p><p class=muted>";
  html += card.schedule.next_run_at ? "next run " + escapeHtml(isoTime(*card.schedule.next_run_at))
                                    : "no next run";
  if (!card.last_state.empty()) html += " · last run " + escapeHtml(card.last_state);
  html += "</p>";
  if (card.runs.empty()) return html + "<p class=muted>No run has made an audit yet.</p></section>\n";
  html += trendSvg(card);
  const TrendPoint& newest = card.runs.back();
  html += "<p class=legend>";
  for (std::size_t s = 0; s < kSeverities.size(); ++s) {
    html +=
        "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" "
        "fill=\"" +
        std::string(kSeverityColours[s]) + "\"/></svg> " + std::string(kSeverities[s]) + " " +
        std::to_string(newest.counts[s]) + "</span>";
  }
  html += "</p><p class=muted>" + std::to_string(card.runs.size()) +
          " runs with an audit, the newest <a href=\"/api/v1/audits/" + std::to_string(newest.audit_id) +
          "/report.html\">#" + std::to_string(newest.audit_id) + "</a> at " + escapeHtml(newest.at) +
          ".</p></section>\n";
  return html;
}

}  // namespace

HttpResponse dashboardPage(const ApiRequest& request) {
  std::vector<ScopeRow> scopes;
  std::vector<ScheduleCard> cards;
  request.context.withDatabase([&](db::Database& db) {
    db::SnapshotStore snapshots(db);
    db::AuditStore audits(db);
    for (db::Scope& scope : snapshots.listScopes()) {
      ScopeRow row{std::move(scope), std::nullopt, std::nullopt};
      auto latest = audits.listForScope(row.scope.id, 2);
      if (!latest.empty()) row.latest = latest.front();
      if (latest.size() > 1) row.previous_id = latest[1].id;
      scopes.push_back(std::move(row));
    }
    schedule::ScheduleStore store(db);
    for (schedule::Schedule& item : store.list()) {
      ScheduleCard card{std::move(item), {}, {}};
      const auto runs = store.runs(card.schedule.id, kTrendRuns);
      if (!runs.empty()) card.last_state = runs.front().state;
      for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
        if (!run->audit_id) continue;
        const auto audit = audits.get(*run->audit_id);
        if (!audit) continue;
        card.runs.push_back(
            TrendPoint{audit->id, audit->finished_at.value_or(audit->started_at), countsOf(*audit)});
      }
      cards.push_back(std::move(card));
    }
  });
  std::stable_sort(scopes.begin(), scopes.end(), [](const ScopeRow& a, const ScopeRow& b) {
    return std::pair(a.scope.kind, a.scope.name) < std::pair(b.scope.kind, b.scope.name);
  });

  const Principal& who = request.principal;
  std::string header = "<header><h1>sgaudit</h1><div class=who>";
  if (who.from_session) {
    const auto cookie = sessionCookieValue(request.http);
    header += "Signed in as <b id=who>" + escapeHtml(who.token_name) + "</b> (" +
              std::string(toString(who.role)) +
              ") <form class=inline method=post action=\"/signout\" id=signout><input type=hidden name=csrf "
              "value=\"" +
              escapeHtml(cookie ? csrfToken(*cookie) : std::string()) +
              "\"><button type=submit>Sign out</button></form>";
  } else if (who.token_id == 0) {
    header += "Read-only without sign-in (<code>--public-read</code>) · <a href=\"/signin\">Sign in</a>";
  } else {
    header += "Bearer token " + escapeHtml(who.token_name) + " (" + std::string(toString(who.role)) + ")";
  }
  header += "</div></header>\n";

  std::string body = header +
                     "<h2>Clusters and accounts</h2>\n<table id=scopes><thead><tr><th>kind</th>"
                     "<th>name</th><th>latest audit</th><th class=n>critical</th><th class=n>high</th>"
                     "<th class=n>medium</th><th class=n>low</th><th class=n>info</th><th>reports</th>"
                     "<th>changes</th></tr></thead><tbody>\n";
  for (const ScopeRow& row : scopes)
    body += scopeRow(row);
  if (scopes.empty())
    body +=
        "<tr><td colspan=10 class=muted>Nothing uploaded yet: <code>POST "
        "/api/v1/clusters/{cluster}/inputs</code>.</td></tr>\n";
  body += "</tbody></table>\n<h2>Schedules</h2>\n";
  if (cards.empty()) {
    body += "<p class=muted>No schedules: <code>POST /api/v1/schedules</code>.</p>\n";
  } else {
    body += "<div class=schedules>\n";
    for (const ScheduleCard& card : cards)
      body += scheduleCard(card);
    body += "</div>\n";
  }
  body +=
      "<p class=muted>The API is described at <a "
      "href=\"/api/v1/openapi.yaml\">/api/v1/openapi.yaml</a>.</p>\n";
  return pages::htmlPage(200, "sgaudit", body);
}

}  // namespace sgaudit::service::handlers
