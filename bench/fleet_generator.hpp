#pragma once

// Deterministic synthetic fleets for the firewall benchmarks: security groups shaped like the ones clouds
// create (VPC-wide allows, per-service ports, port ranges, group references, ICMP, some denies and IPv6),
// nodes that belong to a few groups each, and questions about the host ports pods use.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sgaudit/core/firewall.hpp"

namespace sgaudit::bench {

struct Question {
  std::size_t node = 0;
  core::Protocol protocol;
  std::uint16_t port = 0;
};

struct Fleet {
  std::vector<std::shared_ptr<const core::SecurityGroup>> groups;
  std::vector<core::Firewall> nodes;
  core::SourceResolver resolver;  // group members from node addresses; a few references stay unresolved
  std::vector<Question> questions;
};

struct FleetShape {
  std::size_t nodes = 5000;
  std::size_t groups = 2500;
  std::size_t rulesPerGroup = 60;
  std::size_t minGroupsPerNode = 1;
  std::size_t maxGroupsPerNode = 3;
  std::size_t questions = 100000;
  core::EvaluationModel model = core::EvaluationModel::FirstMatchByPriority;
  std::uint64_t seed = 20240601;
};

Fleet generateFleet(const FleetShape& shape);

// One node guarded by 5 groups x 200 rules, and the host ports of 110 pods on it (1-3 each) as questions.
Fleet generateBusyNode(core::EvaluationModel model, std::uint64_t seed = 7);

}  // namespace sgaudit::bench
