#pragma once

// JSON for the answer types, for the service and the reports. Address sets are written as their fewest CIDRs.

#include <nlohmann/json.hpp>

#include "sgaudit/core/address.hpp"
#include "sgaudit/core/firewall.hpp"
#include "sgaudit/core/port.hpp"
#include "sgaudit/core/rule.hpp"

namespace sgaudit::core {

void to_json(nlohmann::json& out, const IpAddress& address);
void to_json(nlohmann::json& out, const Cidr& cidr);
void to_json(nlohmann::json& out, const AddressSet& set);
void to_json(nlohmann::json& out, const Protocol& protocol);
void to_json(nlohmann::json& out, const PortRange& range);
void to_json(nlohmann::json& out, const PortSet& set);
void to_json(nlohmann::json& out, RuleAction action);
void to_json(nlohmann::json& out, EvaluationModel model);
void to_json(nlohmann::json& out, Exposure exposure);
void to_json(nlohmann::json& out, const RuleOrigin& origin);
void to_json(nlohmann::json& out, const UnresolvedSource& source);
void to_json(nlohmann::json& out, const LayerDecision& decision);
void to_json(nlohmann::json& out, const AddressPiece& piece);
void to_json(nlohmann::json& out, const PortIntervalAnswer& answer);
void to_json(nlohmann::json& out, const ReachAnswer& answer);
void to_json(nlohmann::json& out, const RequirementCheck& check);

}  // namespace sgaudit::core
