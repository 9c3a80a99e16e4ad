#include "sgaudit/core/rule.hpp"

#include <gtest/gtest.h>

namespace sgaudit::core {
namespace {

// Test that every kind of source reads as a user would say it.
TEST(RuleSource, DescribesEverySourceKind) {
  EXPECT_EQ(describe(RuleSource{Cidr::parse("10.0.0.1/16").value()}), "10.0.0.0/16");
  EXPECT_EQ(describe(RuleSource{SecurityGroupRef{"sg-123"}}), "members of sg-123");
  EXPECT_EQ(describe(RuleSource{AddressGroupRef{"ag-1"}}), "address group ag-1");
  EXPECT_EQ(describe(RuleSource{PrefixListRef{"pl-1"}}), "prefix list pl-1");
  EXPECT_EQ(describe(RuleSource{ProviderTag{"VirtualNetwork"}}), "service tag VirtualNetwork");
}

// Test which families an ethertype admits.
TEST(Ethertype, AdmitsItsFamilies) {
  EXPECT_TRUE(admits(Ethertype::IPv4, IpFamily::V4));
  EXPECT_FALSE(admits(Ethertype::IPv4, IpFamily::V6));
  EXPECT_FALSE(admits(Ethertype::IPv6, IpFamily::V4));
  EXPECT_TRUE(admits(Ethertype::Any, IpFamily::V4));
  EXPECT_TRUE(admits(Ethertype::Any, IpFamily::V6));
}

// Test that a default rule admits everything on every port from 0.0.0.0/0, so that a forgotten field fails
// open in tests rather than silently matching nothing.
TEST(SecurityGroupRule, DefaultsAreIngressAllowAnyProtocol) {
  SecurityGroupRule rule;
  EXPECT_EQ(rule.direction, Direction::Ingress);
  EXPECT_EQ(rule.action, RuleAction::Allow);
  EXPECT_TRUE(rule.protocol.isAny());
  EXPECT_TRUE(rule.ports.isAll());
  EXPECT_EQ(describe(rule.source), "0.0.0.0/0");
}

}  // namespace
}  // namespace sgaudit::core
