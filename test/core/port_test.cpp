#include "sgaudit/core/port.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <random>

namespace sgaudit::core {
namespace {

// Test that protocols parse from the names and numbers providers use.
TEST(Protocol, ParsesNamesAndNumbers) {
  EXPECT_EQ(Protocol::parse("tcp").value(), Protocol::tcp());
  EXPECT_EQ(Protocol::parse("TCP").value(), Protocol::tcp());
  EXPECT_EQ(Protocol::parse("6").value(), Protocol::tcp());
  EXPECT_EQ(Protocol::parse("17").value(), Protocol::udp());
  EXPECT_EQ(Protocol::parse("icmpv6").value(), Protocol::icmpv6());
  EXPECT_EQ(Protocol::parse("58").value(), Protocol::icmpv6());
  EXPECT_EQ(Protocol::parse("-1").value(), Protocol::any());
  EXPECT_EQ(Protocol::parse("all").value(), Protocol::any());
  EXPECT_EQ(Protocol::parse("*").value(), Protocol::any());
  EXPECT_EQ(Protocol::parse("47").value().name(), "47");
  EXPECT_FALSE(Protocol::parse("256").ok());
  EXPECT_FALSE(Protocol::parse("gre").ok());
  EXPECT_FALSE(Protocol::parse("").ok());
}

// Test which protocols have a key dimension.
TEST(Protocol, KnowsWhichProtocolsHaveKeys) {
  EXPECT_TRUE(Protocol::tcp().hasPorts());
  EXPECT_TRUE(Protocol::sctp().hasPorts());
  EXPECT_FALSE(Protocol::icmp().hasPorts());
  EXPECT_TRUE(Protocol::icmp().hasKey());
  EXPECT_FALSE(Protocol::fromNumber(47).value().hasKey());
  EXPECT_FALSE(Protocol::any().hasKey());
}

// Test that ICMP type and code share the 16-bit key: a type alone covers all its codes.
TEST(PortRange, EncodesIcmpTypeAndCode) {
  EXPECT_EQ(PortRange::icmpType(8), (PortRange{2048, 2303}));
  EXPECT_EQ(PortRange::icmpTypeCode(3, 4), PortRange::single(772));
  EXPECT_TRUE(PortRange::icmpType(3).contains(PortRange::icmpTypeCode(3, 4).first));
  EXPECT_EQ(describeKeys(Protocol::icmp(), PortRange::icmpType(8)), "ICMP type 8");
  EXPECT_EQ(describeKeys(Protocol::icmp(), PortRange::icmpTypeCode(3, 4)), "ICMP type 3 code 4");
  EXPECT_EQ(describeKeys(Protocol::tcp(), PortRange::single(80)), "port 80");
  EXPECT_EQ(describeKeys(Protocol::udp(), PortRange::all()), "all ports");
}

// Test that port ranges are checked at the 0 and 65535 edges.
TEST(PortRange, ChecksBounds) {
  EXPECT_TRUE(PortRange::make(0, 65535).ok());
  EXPECT_FALSE(PortRange::make(-1, 10).ok());
  EXPECT_FALSE(PortRange::make(10, 65536).ok());
  EXPECT_FALSE(PortRange::make(20, 10).ok());
}

// Test that multiport text parses into merged ranges and bad items are named.
TEST(PortSet, ParsesMultiport) {
  PortSet set = PortSet::parse("80,443,8000-8080,8081").value();
  EXPECT_EQ(set.toString(), "80,443,8000-8081");
  EXPECT_TRUE(set.contains(8081));
  EXPECT_FALSE(set.contains(81));
  EXPECT_TRUE(PortSet::parse("").value().isAll());
  EXPECT_TRUE(PortSet::parse("0-65535").value().isAll());
  EXPECT_TRUE(PortSet::parse("65535").value().contains(65535));
  auto bad = PortSet::parse("80,http");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("\"http\""), std::string::npos);
  EXPECT_FALSE(PortSet::parse("1-70000").ok());
  EXPECT_FALSE(PortSet::parse("80,").ok());
}

// Test that a set answers whether it meets a range.
TEST(PortSet, IntersectsRanges) {
  PortSet set = PortSet::of({0, 0});
  set.add({65535, 65535});
  EXPECT_TRUE(set.intersects({0, 10}));
  EXPECT_TRUE(set.intersects({65000, 65535}));
  EXPECT_FALSE(set.intersects({1, 65534}));
}

// Test that a range is contained only when every key of it is (22 and 3389 do not hold 22-3389), and that the
// intersection with a range keeps the set's pieces within it.
TEST(PortSet, ContainsAndIntersectsWithARange) {
  PortSet set = PortSet::of({22, 22});
  set.add({3389, 3389});
  set.add({8000, 8100});
  EXPECT_TRUE(set.contains(PortRange{8000, 8100}));
  EXPECT_TRUE(set.contains(PortRange{8050, 8060}));
  EXPECT_FALSE(set.contains(PortRange{22, 3389}));
  EXPECT_FALSE(set.contains(PortRange{7999, 8000}));
  EXPECT_EQ(set.intersect({20, 8010}).toString(), "22,3389,8000-8010");
  EXPECT_EQ(set.intersect({23, 3388}).toString(), "");
  EXPECT_TRUE(PortSet().intersect(PortRange::all()).empty());
  EXPECT_EQ(PortSet::all().intersect({80, 80}), PortSet::of({80, 80}));
}

// Test that adding ranges, in order or not, overlapping, touching or apart (near the ends of the key space
// too), gives the keys a brute-force set of every key holds, as sorted, disjoint, non-adjacent ranges.
TEST(PortSet, AddIsWhatEveryKeyAddedGives) {
  std::mt19937 rng(20261204);
  for (int round = 0; round < 2000; ++round) {
    std::vector<PortRange> added;
    const int count = std::uniform_int_distribution<int>(1, 12)(rng);
    const int span = round % 2 == 0 ? 64 : 65536;  // small: many overlaps and neighbours
    for (int i = 0; i < count; ++i) {
      int first = std::uniform_int_distribution<int>(0, span - 1)(rng);
      if (span == 64 && round % 4 == 0) first += 65536 - 64;  // at the top of the key space
      const int last = std::min(65535, first + std::uniform_int_distribution<int>(0, 8)(rng));
      added.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
    }
    if (round % 3 == 0) {
      std::sort(added.begin(), added.end(),
                [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
    }
    PortSet set;
    std::bitset<65536> keys;
    for (const auto& range : added) {
      set.add(range);
      for (int key = range.first; key <= range.last; ++key)
        keys.set(static_cast<std::size_t>(key));
    }
    std::bitset<65536> got;
    const auto& ranges = set.ranges();
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      ASSERT_LE(ranges[i].first, ranges[i].last);
      if (i > 0) {
        ASSERT_GT(static_cast<int>(ranges[i].first), ranges[i - 1].last + 1) << set.toString();
      }
      for (int key = ranges[i].first; key <= ranges[i].last; ++key)
        got.set(static_cast<std::size_t>(key));
    }
    ASSERT_EQ(got, keys) << "round " << round << ": " << set.toString();
  }
}

}  // namespace
}  // namespace sgaudit::core
