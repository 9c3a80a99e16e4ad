// Scheduled audits: CRUD over the scheduler's store (service/schedule), and each schedule's runs.
#include <nlohmann/json.hpp>

#include "handlers.hpp"
#include "sgaudit/schedule/schedule_store.hpp"

namespace sgaudit::service::handlers {
namespace {

using json = nlohmann::json;

schedule::SpecRules specRules(const Config& config) {
  schedule::SpecRules rules;
  if (!config.zoneinfo_dir.empty()) rules.zoneinfo_dir = config.zoneinfo_dir;
  rules.targets.allow_private_targets = config.allow_private_targets;
  return rules;
}

schedule::TimePoint nowOf(const ApiRequest& request) {
  return std::chrono::time_point_cast<std::chrono::seconds>(request.context.now());
}

// Every validation error, with the status of the first kind: 404, 409, then 422.
HttpResponse fieldProblems(const ApiRequest& request, const std::vector<schedule::FieldError>& errors) {
  int status = 422;
  for (const auto& error : errors) {
    if (error.kind == schedule::FieldError::Kind::NotFound) status = 404;
    if (error.kind == schedule::FieldError::Kind::Conflict && status != 404) status = 409;
  }
  std::string detail;
  json list = json::array();
  for (const auto& error : errors) {
    detail += (detail.empty() ? "" : "; ") + error.text();
    list.push_back({{"detail", error.message}, {"pointer", error.pointer}});
  }
  HttpResponse response = HttpResponse::problem(status, detail, request.http.path);
  json body = json::parse(response.body);
  body["errors"] = list;
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

std::variant<json, HttpResponse> jsonObjectBody(const ApiRequest& request) {
  auto body = readJsonBody(request.http);
  if (const auto* parsed = std::get_if<json>(&body); parsed && !parsed->is_object()) {
    return problemAt(422, "a schedule is a JSON object", "", request.http.path);
  }
  return body;
}

void changed(const ApiRequest& request) {
  if (request.context.onSchedulesChanged) request.context.onSchedulesChanged();
}

HttpResponse noSchedule(const ApiRequest& request) {
  return HttpResponse::problem(404, "there is no schedule " + request.param("id"), request.http.path);
}

}  // namespace

HttpResponse postSchedule(const ApiRequest& request) {
  auto body = jsonObjectBody(request);
  if (auto* problem = std::get_if<HttpResponse>(&body)) return std::move(*problem);
  const auto rules = specRules(request.context.config());
  auto spec = schedule::parseScheduleSpec(std::get<json>(body), rules);
  if (!spec.ok()) return fieldProblems(request, spec.errors);
  // The store runs its own transaction.
  auto created = request.context.withDatabase([&](db::Database& db) {
    return schedule::ScheduleStore(db, rules).create(*spec.value, nowOf(request));
  });
  if (!created.ok()) return fieldProblems(request, created.errors);
  changed(request);
  HttpResponse response = jsonResponse(201, json(*created.value));
  response.headers["Location"] = "/api/v1/schedules/" + std::to_string(created.value->id);
  return response;
}

HttpResponse listSchedules(const ApiRequest& request) {
  const auto rules = specRules(request.context.config());
  auto all = request.context.withDatabase(
      [&](db::Database& db) { return schedule::ScheduleStore(db, rules).list(); });
  return jsonResponse(200, json{{"items", json(all)}});
}

HttpResponse getSchedule(const ApiRequest& request) {
  const auto id = parseId(request.param("id"));
  if (!id) return noSchedule(request);
  const auto rules = specRules(request.context.config());
  auto found = request.context.withDatabase(
      [&](db::Database& db) { return schedule::ScheduleStore(db, rules).get(*id); });
  if (!found) return noSchedule(request);
  return jsonResponse(200, json(*found));
}

HttpResponse putSchedule(const ApiRequest& request) {
  const auto id = parseId(request.param("id"));
  if (!id) return noSchedule(request);
  auto body = jsonObjectBody(request);
  if (auto* problem = std::get_if<HttpResponse>(&body)) return std::move(*problem);
  const auto rules = specRules(request.context.config());
  auto spec = schedule::parseScheduleSpec(std::get<json>(body), rules);
  if (!spec.ok()) return fieldProblems(request, spec.errors);
  auto updated = request.context.withDatabase([&](db::Database& db) {
    return schedule::ScheduleStore(db, rules).update(*id, *spec.value, nowOf(request));
  });
  if (!updated.ok()) return fieldProblems(request, updated.errors);
  changed(request);
  return jsonResponse(200, json(*updated.value));
}

HttpResponse deleteSchedule(const ApiRequest& request) {
  const auto id = parseId(request.param("id"));
  if (!id) return noSchedule(request);
  const auto rules = specRules(request.context.config());
  const bool removed = request.context.withDatabase(
      [&](db::Database& db) { return schedule::ScheduleStore(db, rules).remove(*id); });
  if (!removed) return noSchedule(request);
  changed(request);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse listScheduleRuns(const ApiRequest& request) {
  const auto id = parseId(request.param("id"));
  if (!id) return noSchedule(request);
  const auto rules = specRules(request.context.config());
  std::optional<json> out;
  request.context.withDatabase([&](db::Database& db) {
    schedule::ScheduleStore store(db, rules);
    if (!store.get(*id)) return;
    json items = json::array();
    for (const auto& run : store.runs(*id)) {
      json item = run;
      item["deliveries"] = store.deliveries(run.id);
      items.push_back(std::move(item));
    }
    out = json{{"items", items}};
  });
  if (!out) return noSchedule(request);
  return jsonResponse(200, *out);
}

}  // namespace sgaudit::service::handlers
