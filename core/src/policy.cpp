#include "sgaudit/core/policy.hpp"

#include <nlohmann/json.hpp>

#include "sgaudit/core/address.hpp"

namespace sgaudit::core {
namespace {

using json = nlohmann::json;

struct PolicyError {
  std::string pointer;
  std::string message;
};

[[noreturn]] void fail(const std::string& pointer, const std::string& message) {
  throw PolicyError{pointer, message};
}

const json* child(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string readString(const json& value, const std::string& pointer) {
  if (!value.is_string()) fail(pointer, "expected a string, got " + value.dump());
  return value.get<std::string>();
}

std::vector<std::string> readStrings(const json& value, const std::string& pointer) {
  if (!value.is_array()) fail(pointer, "expected an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i)
    out.push_back(readString(value[i], pointer + "/" + std::to_string(i)));
  return out;
}

bool isSourceClass(const std::string& text) {
  return text == "internet" || text == "vpc" || text == "nodes" || text == "pods";
}

// A source is a class name, a named list of the policy, or a CIDR.
void checkSource(const Policy& policy, const std::string& text, const std::string& pointer) {
  if (isSourceClass(text) || policy.named_sources.count(text) > 0) return;
  auto cidr = Cidr::parse(text);
  if (!cidr) {
    fail(pointer, "\"" + text + "\": expected internet, vpc, nodes, pods, a name from /sources, or a CIDR (" +
                      cidr.error().message + ")");
  }
}

PortSet readPorts(const json& value, const std::string& pointer) {
  if (!value.is_array()) fail(pointer, "expected an array of ports or \"FIRST-LAST\" ranges");
  PortSet ports;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string at = pointer + "/" + std::to_string(i);
    if (value[i].is_number_integer()) {
      const auto port = value[i].get<long long>();
      if (port < 0 || port > 65535) fail(at, "port " + std::to_string(port) + " is not within 0-65535");
      ports.add(PortRange::single(static_cast<std::uint16_t>(port)));
    } else if (value[i].is_string()) {
      auto parsed = PortSet::parse(value[i].get<std::string>());
      if (!parsed) fail(at, parsed.error().message);
      for (const auto& range : parsed->ranges())
        ports.add(range);
    } else {
      fail(at, "expected a port number or a \"FIRST-LAST\" range");
    }
  }
  return ports;
}

bool validDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Policy read(const json& doc) {
  if (!doc.is_object()) fail("", "expected a policy object");
  static const std::vector<std::string> kKnown = {"sources",         "defaults",        "workloads",
                                                  "sensitive_ports", "node_port_range", "suppressions",
                                                  "$schema",         "description"};
  for (const auto& [key, value] : doc.items()) {
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      fail("/" + key,
           "unknown policy key (expected one of sources, defaults, workloads, sensitive_ports, "
           "node_port_range, suppressions)");
    }
  }
  Policy policy;
  if (const json* sources = child(doc, "sources")) {
    if (!sources->is_object()) fail("/sources", "expected an object of name -> list of CIDRs");
    for (const auto& [name, list] : sources->items()) {
      const std::string pointer = "/sources/" + name;
      if (isSourceClass(name))
        fail(pointer, "\"" + name + "\" is a built-in source class and cannot be redefined");
      auto cidrs = readStrings(list, pointer);
      for (std::size_t i = 0; i < cidrs.size(); ++i) {
        auto cidr = Cidr::parse(cidrs[i]);
        if (!cidr) fail(pointer + "/" + std::to_string(i), cidr.error().message);
      }
      policy.named_sources[name] = std::move(cidrs);
    }
  }
  if (const json* defaults = child(doc, "defaults")) {
    if (!defaults->is_object()) fail("/defaults", "expected an object");
    if (const json* required = child(*defaults, "required_sources")) {
      policy.default_required_sources = readStrings(*required, "/defaults/required_sources");
      for (std::size_t i = 0; i < policy.default_required_sources.size(); ++i) {
        checkSource(policy, policy.default_required_sources[i],
                    "/defaults/required_sources/" + std::to_string(i));
      }
    }
  }
  if (const json* workloads = child(doc, "workloads")) {
    if (!workloads->is_array()) fail("/workloads", "expected an array");
    for (std::size_t i = 0; i < workloads->size(); ++i) {
      const std::string pointer = "/workloads/" + std::to_string(i);
      const json& entry = (*workloads)[i];
      if (!entry.is_object()) fail(pointer, "expected an object");
      WorkloadRequirement requirement;
      if (const json* v = child(entry, "namespace"))
        requirement.selector.namespace_name = readString(*v, pointer + "/namespace");
      if (const json* v = child(entry, "kind")) requirement.selector.kind = readString(*v, pointer + "/kind");
      if (const json* v = child(entry, "name")) requirement.selector.name = readString(*v, pointer + "/name");
      if (const json* v = child(entry, "why")) requirement.why = readString(*v, pointer + "/why");
      if (const json* v = child(entry, "selector")) {
        if (!v->is_object()) fail(pointer + "/selector", "expected an object of label -> value");
        for (const auto& [key, value] : v->items()) {
          requirement.selector.labels[key] = readString(value, pointer + "/selector/" + key);
        }
      }
      const json* required = child(entry, "required_sources");
      if (required == nullptr)
        fail(pointer + "/required_sources", "expected the sources this workload needs");
      requirement.required_sources = readStrings(*required, pointer + "/required_sources");
      for (std::size_t j = 0; j < requirement.required_sources.size(); ++j) {
        checkSource(policy, requirement.required_sources[j],
                    pointer + "/required_sources/" + std::to_string(j));
      }
      policy.workloads.push_back(std::move(requirement));
    }
  }
  if (const json* ports = child(doc, "sensitive_ports"))
    policy.sensitive_ports = readPorts(*ports, "/sensitive_ports");
  if (const json* range = child(doc, "node_port_range")) {
    auto parsed = PortSet::parse(readString(*range, "/node_port_range"));
    if (!parsed) fail("/node_port_range", parsed.error().message);
    if (parsed->ranges().size() != 1) fail("/node_port_range", "expected one range FIRST-LAST");
    policy.node_port_min = parsed->ranges().front().first;
    policy.node_port_max = parsed->ranges().front().last;
  }
  if (const json* suppressions = child(doc, "suppressions")) {
    if (!suppressions->is_array()) fail("/suppressions", "expected an array");
    for (std::size_t i = 0; i < suppressions->size(); ++i) {
      const std::string pointer = "/suppressions/" + std::to_string(i);
      const json& entry = (*suppressions)[i];
      if (!entry.is_object()) fail(pointer, "expected an object");
      Suppression suppression;
      if (const json* v = child(entry, "check")) suppression.check = readString(*v, pointer + "/check");
      if (const json* v = child(entry, "subject")) suppression.subject = readString(*v, pointer + "/subject");
      if (const json* v = child(entry, "expires")) suppression.expires = readString(*v, pointer + "/expires");
      const json* reason = child(entry, "reason");
      if (reason == nullptr) fail(pointer + "/reason", "a suppression needs a reason");
      suppression.reason = readString(*reason, pointer + "/reason");
      if (suppression.check.empty() && suppression.subject.empty()) {
        fail(pointer, "a suppression needs a check, a subject, or both");
      }
      if (!suppression.expires.empty() && !validDate(suppression.expires)) {
        fail(pointer + "/expires", "\"" + suppression.expires + "\": expected a date YYYY-MM-DD");
      }
      policy.suppressions.push_back(std::move(suppression));
    }
  }
  return policy;
}

bool selects(const WorkloadSelector& selector, const std::string& kind, const std::string& ns,
             const std::string& name, const Labels& labels) {
  if (!selector.namespace_name.empty() && selector.namespace_name != ns) return false;
  if (!selector.kind.empty() && selector.kind != kind) return false;
  if (!selector.name.empty() && selector.name != name) return false;
  for (const auto& [key, value] : selector.labels) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace

PortSet Policy::defaultSensitivePorts() {
  PortSet ports;
  for (int port :
       {22, 3389, 6443, 10250, 10255, 10257, 10259, 1433, 1521, 3306, 5432, 6379, 9200, 11211, 27017}) {
    ports.add(PortRange::single(static_cast<std::uint16_t>(port)));
  }
  ports.add(PortRange{2379, 2380});
  return ports;
}

Result<Policy> parsePolicy(const json& document) {
  try {
    return read(document);
  } catch (const PolicyError& error) {
    return Error{(error.pointer.empty() ? "/" : error.pointer) + ": " + error.message};
  }
}

std::vector<std::string> requiredSourcesFor(const Policy& policy, const std::string& kind,
                                            const std::string& ns, const std::string& name,
                                            const Labels& labels,
                                            const std::map<std::string, std::string>& annotations,
                                            std::string* why) {
  for (const auto& requirement : policy.workloads) {
    if (selects(requirement.selector, kind, ns, name, labels)) {
      if (why != nullptr) *why = requirement.why.empty() ? "the policy" : "the policy: " + requirement.why;
      return requirement.required_sources;
    }
  }
  if (const auto it = annotations.find(kRequiredSourcesAnnotation); it != annotations.end()) {
    std::vector<std::string> sources;
    std::string current;
    for (char c : it->second + ",") {
      if (c == ',' || c == ' ') {
        if (!current.empty()) sources.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    if (!sources.empty()) {
      if (why != nullptr) *why = std::string("the annotation ") + kRequiredSourcesAnnotation;
      return sources;
    }
  }
  if (why != nullptr) *why = "the policy's default";
  return policy.default_required_sources;
}

}  // namespace sgaudit::core
