#include "sgaudit/core/json.hpp"

namespace sgaudit::core {

void to_json(nlohmann::json& out, const IpAddress& address) {
  out = address.toString();
}
void to_json(nlohmann::json& out, const Cidr& cidr) {
  out = cidr.toString();
}

void to_json(nlohmann::json& out, const AddressSet& set) {
  out = nlohmann::json::array();
  for (const Cidr& cidr : set.toCidrs())
    out.push_back(cidr.toString());
}

void to_json(nlohmann::json& out, const Protocol& protocol) {
  out = protocol.name();
}

void to_json(nlohmann::json& out, const PortRange& range) {
  out = nlohmann::json{{"from", range.first}, {"to", range.last}};
}

void to_json(nlohmann::json& out, const PortSet& set) {
  out = nlohmann::json::array();
  for (const PortRange& range : set.ranges())
    out.push_back(range);
}

void to_json(nlohmann::json& out, RuleAction action) {
  out = toString(action);
}
void to_json(nlohmann::json& out, EvaluationModel model) {
  out = toString(model);
}
void to_json(nlohmann::json& out, Exposure exposure) {
  out = toString(exposure);
}

void to_json(nlohmann::json& out, const RuleOrigin& origin) {
  out = nlohmann::json{{"provider", origin.provider},
                       {"group_id", origin.group_id},
                       {"group_name", origin.group_name},
                       {"rule_id", origin.rule_id},
                       {"description", origin.description}};
}

void to_json(nlohmann::json& out, const UnresolvedSource& source) {
  out = nlohmann::json{
      {"layer", source.layer}, {"source", source.source}, {"action", source.action}, {"rule", source.rule}};
}

void to_json(nlohmann::json& out, const LayerDecision& decision) {
  out = nlohmann::json{{"layer", decision.layer}, {"action", decision.action}};
  if (decision.rule) {
    out["rule"] = *decision.rule;
  } else {
    out["rule"] = nullptr;
    out["reason"] = "no rule matched: default deny";
  }
  out["unless_member_of"] = decision.unless_member_of;
}

void to_json(nlohmann::json& out, const AddressPiece& piece) {
  out = nlohmann::json{{"addresses", piece.addresses},
                       {"verdict", piece.verdict},
                       {"decisions", piece.decisions},
                       {"depends_on_unresolved", piece.depends_on_unresolved}};
}

void to_json(nlohmann::json& out, const PortIntervalAnswer& answer) {
  out = nlohmann::json{{"ports", answer.ports},
                       {"admitted", answer.admitted},
                       {"undetermined", answer.undetermined},
                       {"unresolved", answer.unresolved},
                       {"pieces", answer.pieces}};
}

void to_json(nlohmann::json& out, const ReachAnswer& answer) {
  out =
      nlohmann::json{{"protocol", answer.protocol}, {"ports", answer.ports}, {"intervals", answer.intervals}};
}

void to_json(nlohmann::json& out, const RequirementCheck& check) {
  out = nlohmann::json{{"ports", check.ports},
                       {"exposure", check.exposure},
                       {"missing", check.missing},
                       {"admitted", check.admitted},
                       {"depends_on_unresolved", check.depends_on_unresolved}};
}

}  // namespace sgaudit::core
