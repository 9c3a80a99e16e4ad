#include "sgaudit/schedule/schedule.hpp"

#include <algorithm>
#include <set>

#include "sgaudit/schedule/cron.hpp"

namespace sgaudit::schedule {
namespace {

using nlohmann::json;

constexpr std::string_view kSeverities = "info, low, medium, high or critical";

bool hasControl(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void checkName(std::vector<FieldError>& errors, const std::string& pointer, const std::string& value,
               std::string_view what) {
  if (value.empty() || value.size() > 128) {
    errors.push_back(
        {FieldError::Kind::Invalid, pointer, std::string(what) + " must be 1 to 128 characters"});
  } else if (hasControl(value)) {
    errors.push_back(
        {FieldError::Kind::Invalid, pointer, std::string(what) + " contains control characters"});
  }
}

std::string typeName(const json& value) {
  return value.type_name();
}

}  // namespace

std::vector<FieldError> validateScheduleSpec(const ScheduleSpec& spec, const SpecRules& rules) {
  std::vector<FieldError> errors;
  checkName(errors, "/name", spec.name, "name");
  auto cron = parseCron(spec.cron);
  if (!cron) {
    errors.push_back({FieldError::Kind::Invalid, "/cron", cron.error().message});
  } else if (!nextRun(cron.value(), TimePoint{std::chrono::sys_days{std::chrono::year{2000} / 1 / 1}},
                      TimeZone::utc())) {
    errors.push_back({FieldError::Kind::Invalid, "/cron", "\"" + spec.cron + "\" never matches a date"});
  }
  auto zone = TimeZone::load(spec.time_zone, rules.zoneinfo_dir);
  if (!zone) errors.push_back({FieldError::Kind::Invalid, "/time_zone", zone.error().message});
  checkName(errors, "/cluster", spec.cluster, "cluster");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < spec.accounts.size(); ++i) {
    const std::string pointer = "/accounts/" + std::to_string(i);
    checkName(errors, pointer, spec.accounts[i], "account");
    if (!seen.insert(spec.accounts[i]).second) {
      errors.push_back(
          {FieldError::Kind::Invalid, pointer, "account \"" + spec.accounts[i] + "\" is listed twice"});
    }
  }
  if (spec.policy_name) checkName(errors, "/policy_name", *spec.policy_name, "policy name");
  if (spec.targets.size() > rules.max_targets) {
    errors.push_back({FieldError::Kind::Invalid, "/targets",
                      "at most " + std::to_string(rules.max_targets) + " targets per schedule"});
  }
  for (std::size_t i = 0; i < spec.targets.size(); ++i) {
    const std::string pointer = "/targets/" + std::to_string(i);
    auto url = parseTargetUrl(spec.targets[i].url, rules.targets);
    if (!url) errors.push_back({FieldError::Kind::Invalid, pointer + "/url", url.error().message});
    const auto& secret = spec.targets[i].secret;
    if (secret.size() < rules.min_secret_length || secret.size() > 512) {
      errors.push_back({FieldError::Kind::Invalid, pointer + "/secret",
                        "secret must be " + std::to_string(rules.min_secret_length) + " to 512 bytes"});
    }
  }
  return errors;
}

Validated<ScheduleSpec> parseScheduleSpec(const json& body, const SpecRules& rules) {
  Validated<ScheduleSpec> result;
  auto& errors = result.errors;
  if (!body.is_object()) {
    errors.push_back({FieldError::Kind::Invalid, "", "expected a JSON object, got " + typeName(body)});
    return result;
  }
  ScheduleSpec spec;
  auto invalid = [&](const std::string& pointer, const std::string& message) {
    errors.push_back({FieldError::Kind::Invalid, pointer, message});
  };
  auto readString = [&](const json& object, const std::string& key, const std::string& pointer,
                        std::string& out, bool required) {
    auto it = object.find(key);
    if (it == object.end() || (it->is_null() && !required)) {
      if (required) invalid(pointer, "is required");
      return false;
    }
    if (!it->is_string()) {
      invalid(pointer, "expected a string, got " + typeName(*it));
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  auto readBool = [&](const std::string& key, bool& out) {
    auto it = body.find(key);
    if (it == body.end()) return;
    if (!it->is_boolean()) {
      invalid("/" + key, "expected true or false, got " + typeName(*it));
      return;
    }
    out = it->get<bool>();
  };
  static const std::set<std::string> kKnown = {"name",     "cron",     "time_zone",   "cluster",
                                               "accounts", "policy",   "policy_name", "targets",
                                               "enabled",  "catch_up", "collect"};
  static const std::set<std::string> kReadOnly = {"id", "next_run_at", "last_run_at", "created_at",
                                                  "updated_at"};
  for (const auto& [key, value] : body.items()) {
    if (!kKnown.contains(key) && !kReadOnly.contains(key)) invalid("/" + key, "unknown field");
  }
  readString(body, "name", "/name", spec.name, true);
  readString(body, "cron", "/cron", spec.cron, true);
  readString(body, "time_zone", "/time_zone", spec.time_zone, false);
  readString(body, "cluster", "/cluster", spec.cluster, true);
  // "policy" names a stored policy, as in POST /api/v1/audits; "policy_name" is its earlier name.
  std::string policy;
  if (body.contains("policy") && body.contains("policy_name") && !body["policy"].is_null() &&
      !body["policy_name"].is_null()) {
    invalid("/policy_name", "give the policy once, as \"policy\"");
  } else if (auto it = body.find("policy"); it != body.end() && it->is_object()) {
    invalid(
        "/policy",
        "a schedule names a stored policy (PUT /api/v1/policies/{name}); an inline policy is for one audit");
  } else if (readString(body, "policy", "/policy", policy, false) ||
             readString(body, "policy_name", "/policy_name", policy, false)) {
    spec.policy_name = policy;
  }
  readBool("enabled", spec.enabled);
  readBool("catch_up", spec.catch_up);
  readBool("collect", spec.collect);
  if (auto it = body.find("accounts"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) {
      invalid("/accounts", "expected an array of account names, got " + typeName(*it));
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& item = (*it)[i];
        if (!item.is_string()) {
          invalid("/accounts/" + std::to_string(i), "expected a string, got " + typeName(item));
        } else {
          spec.accounts.push_back(item.get<std::string>());
        }
      }
    }
  }
  if (auto it = body.find("targets"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) {
      invalid("/targets", "expected an array of targets, got " + typeName(*it));
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) {
        const auto& item = (*it)[i];
        const std::string pointer = "/targets/" + std::to_string(i);
        if (!item.is_object()) {
          invalid(pointer, "expected an object with url, secret and min_severity, got " + typeName(item));
          spec.targets.emplace_back();  // keeps the indices of later targets
          continue;
        }
        for (const auto& [key, value] : item.items()) {
          if (key != "url" && key != "secret" && key != "min_severity" && key != "secret_set") {
            invalid(pointer + "/" + key, "unknown field");
          }
        }
        NotificationTarget target;
        readString(item, "url", pointer + "/url", target.url, true);
        readString(item, "secret", pointer + "/secret", target.secret, true);
        std::string severity;
        if (readString(item, "min_severity", pointer + "/min_severity", severity, false)) {
          if (auto parsed = core::parseSeverity(severity)) {
            target.min_severity = *parsed;
          } else {
            invalid(pointer + "/min_severity",
                    "\"" + severity + "\" is not a severity (" + std::string(kSeverities) + ")");
          }
        }
        spec.targets.push_back(std::move(target));
      }
    }
  }
  // Field checks on what was read; a field already reported as missing or mistyped is not reported twice.
  for (auto& error : validateScheduleSpec(spec, rules)) {
    const bool already = std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) {
      return error.pointer == e.pointer || error.pointer.starts_with(e.pointer + "/");
    });
    if (!already) errors.push_back(std::move(error));
  }
  std::stable_sort(errors.begin(), errors.end(),
                   [](const FieldError& a, const FieldError& b) { return a.pointer < b.pointer; });
  if (errors.empty()) result.value = std::move(spec);
  return result;
}

void to_json(json& out, const NotificationTarget& target) {
  out = json{{"url", target.url},
             {"min_severity", std::string(core::toString(target.min_severity))},
             {"secret_set", !target.secret.empty()}};
}

void to_json(json& out, const ScheduleSpec& spec) {
  out =
      json{{"name", spec.name},
           {"cron", spec.cron},
           {"time_zone", spec.time_zone},
           {"cluster", spec.cluster},
           {"accounts", spec.accounts},
           {"policy", spec.policy_name ? json(*spec.policy_name) : json(nullptr)},
           {"policy_name", spec.policy_name ? json(*spec.policy_name) : json(nullptr)},  // as before "policy"
           {"targets", spec.targets},
           {"enabled", spec.enabled},
           {"catch_up", spec.catch_up},
           {"collect", spec.collect}};
}

void to_json(json& out, const Schedule& schedule) {
  json spec = schedule.spec;
  out = json{{"id", schedule.id}};
  out.update(spec);
  out["next_run_at"] = schedule.next_run_at ? json(formatUtc(*schedule.next_run_at)) : json(nullptr);
  out["last_run_at"] = schedule.last_run_at ? json(formatUtc(*schedule.last_run_at)) : json(nullptr);
  out["created_at"] = formatUtc(schedule.created_at);
  out["updated_at"] = formatUtc(schedule.updated_at);
}

void to_json(json& out, const FieldError& error) {
  out = json{{"pointer", error.pointer}, {"detail", error.message}};
}

}  // namespace sgaudit::schedule
