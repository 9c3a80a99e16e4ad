#include "sgaudit/core/address.hpp"

#include <gtest/gtest.h>

#include <bitset>
#include <random>

namespace sgaudit::core {
namespace {

Cidr cidr(std::string_view text) {
  auto parsed = Cidr::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? parsed.value() : Cidr{};
}

IpAddress address(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? parsed.value() : IpAddress{};
}

std::string parseError(std::string_view text) {
  auto parsed = Cidr::parse(text);
  return parsed.ok() ? "(accepted)" : parsed.error().message;
}

// Test that a dotted quad with a prefix parses into network and length.
TEST(Cidr, ParsesIpv4) {
  Cidr parsed = cidr("10.1.0.0/16");
  EXPECT_EQ(parsed.family(), IpFamily::V4);
  EXPECT_EQ(parsed.network().value, Uint128{0x0a010000u});
  EXPECT_EQ(parsed.prefixLength(), 16);
  EXPECT_EQ(parsed.toString(), "10.1.0.0/16");
  EXPECT_FALSE(parsed.hadHostBits());
}

// Test that host bits are cleared while the text as written is kept for messages.
TEST(Cidr, NormalisesHostBitsAndKeepsOriginal) {
  Cidr parsed = cidr("10.1.2.3/16");
  EXPECT_EQ(parsed.toString(), "10.1.0.0/16");
  EXPECT_EQ(parsed.originalText(), "10.1.2.3/16");
  EXPECT_TRUE(parsed.hadHostBits());
  EXPECT_EQ(parsed, cidr("10.1.0.0/16"));
}

// Test that bare addresses are host prefixes of their family.
TEST(Cidr, BareAddressIsHostPrefix) {
  EXPECT_EQ(cidr("192.168.0.1").prefixLength(), 32);
  EXPECT_EQ(cidr("2001:db8::1").prefixLength(), 128);
}

// Test that malformed IPv4 text is rejected with a message that says what is wrong.
TEST(Cidr, RejectsMalformedIpv4) {
  EXPECT_EQ(parseError("10.0.0.256/8"), "\"10.0.0.256/8\": octet 4 out of range");
  EXPECT_NE(parseError("10.0.0/8").find("4 octets"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0.0/8").find("only 4 octets"), std::string::npos);
  EXPECT_NE(parseError("010.0.0.0/8").find("leading zero"), std::string::npos);
  EXPECT_NE(parseError("10..0.0/8").find("octet 2 is empty"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.a/8").find("not a decimal"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0/33").find("exceeds 32"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0/").find("missing prefix"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0/08").find("prefix length"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0/-1").find("prefix length"), std::string::npos);
  EXPECT_EQ(parseError(""), "empty CIDR");
  EXPECT_NE(parseError(" 10.0.0.0/8").find("whitespace"), std::string::npos);
  EXPECT_NE(parseError("10.0.0.0/8 ").find("whitespace"), std::string::npos);
}

// Test that IPv6 parses with `::` compression anywhere and with an embedded dotted quad.
TEST(Cidr, ParsesIpv6) {
  EXPECT_EQ(cidr("::/0").range().last, ~Uint128{0});
  EXPECT_EQ(address("::").value, Uint128{0});
  EXPECT_EQ(address("::1").value, Uint128{1});
  EXPECT_EQ(address("1::").value, Uint128{1} << 112);
  EXPECT_EQ(address("2001:DB8::8:800:200C:417A").toString(), "2001:db8::8:800:200c:417a");
  EXPECT_EQ(address("::ffff:1.2.3.4").value, (Uint128{0xffff} << 32) | 0x01020304u);
  EXPECT_EQ(address("64:ff9b::10.0.0.1").toString(), "64:ff9b::a00:1");
  EXPECT_EQ(address("1:2:3:4:5:6:7:8").toString(), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(cidr("fd00::1/64").toString(), "fd00::/64");
}

// Test that an IPv4-mapped IPv6 address stays IPv6.
TEST(Cidr, MappedIpv4StaysIpv6) {
  EXPECT_EQ(address("::ffff:10.0.0.1").family, IpFamily::V6);
  EXPECT_EQ(address("::ffff:10.0.0.1").toString(), "::ffff:10.0.0.1");
}

// Test that malformed IPv6 text is rejected.
TEST(Cidr, RejectsMalformedIpv6) {
  for (const char* bad : {"1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "1:::2",
                          ":1::", "1::2:", "12345::", "g::", "fe80::1%eth0", "::/129", "1.2.3.4::", "::1.2.3",
                          "::ffff:1.2.3.256"}) {
    EXPECT_FALSE(Cidr::parse(bad).ok()) << bad;
  }
}

// Test that IPv6 text is canonical per RFC 5952: longest zero run compressed, a single zero group not.
TEST(IpAddress, FormatsIpv6Canonically) {
  EXPECT_EQ(address("2001:0db8:0000:0000:0001:0000:0000:0001").toString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(address("2001:db8:0:1:1:1:1:1").toString(), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(address("0:0:1:0:0:0:1:0").toString(), "0:0:1::1:0");
  EXPECT_EQ(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").toString(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

// Test that union merges overlapping and adjacent intervals.
TEST(AddressSet, UniteMergesOverlappingAndAdjacent) {
  AddressSet set = AddressSet::of(cidr("10.0.0.0/25")).unite(AddressSet::of(cidr("10.0.0.128/25")));
  EXPECT_EQ(set.toString(), "10.0.0.0/24");
  set = set.unite(AddressSet::of(cidr("10.0.0.0/8")));
  EXPECT_EQ(set.toString(), "10.0.0.0/8");
}

// Test intersection, difference and containment across both families.
TEST(AddressSet, IntersectSubtractContain) {
  AddressSet a = AddressSet::parse({"10.0.0.0/8", "fd00::/8"}).value();
  AddressSet b = AddressSet::parse({"10.1.0.0/16", "::/0"}).value();
  EXPECT_EQ(a.intersect(b).toString(), "10.1.0.0/16, fd00::/8");
  EXPECT_EQ(a.subtract(b).toCidrs().size(), 8u);  // 10/8 minus 10.1/16
  EXPECT_TRUE(a.contains(address("10.200.0.1")));
  EXPECT_FALSE(a.contains(address("11.0.0.0")));
  EXPECT_TRUE(a.contains(AddressSet::of(cidr("10.1.2.0/24"))));
  EXPECT_FALSE(a.contains(b));
  EXPECT_TRUE(a.intersects(b));
  EXPECT_TRUE(AddressSet().empty());
  EXPECT_TRUE(AddressSet::all().contains(a));
}

// Test that subtraction and union are exact at the very ends of the address spaces.
TEST(AddressSet, EdgesOfTheAddressSpace) {
  AddressSet all6 = AddressSet::allV6();
  AddressSet withoutEnds = all6.subtract(AddressSet::of(address("::")))
                               .subtract(AddressSet::of(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(withoutEnds.contains(address("::")));
  EXPECT_TRUE(withoutEnds.contains(address("::1")));
  EXPECT_EQ(withoutEnds.unite(AddressSet::of(address("::")))
                .unite(AddressSet::of(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))),
            all6);
  EXPECT_EQ(all6.toString(), "::/0");
  EXPECT_EQ(AddressSet::allV4().toString(), "0.0.0.0/0");
  EXPECT_TRUE(all6.subtract(all6).empty());
  EXPECT_EQ(AddressSet::allV4().subtract(AddressSet::of(cidr("0.0.0.0/1"))).toString(), "128.0.0.0/1");
}

// Test that the CIDR decomposition of a range uses the fewest prefixes.
TEST(AddressSet, ToCidrsIsMinimal) {
  AddressSet set = AddressSet::of(IpFamily::V4, {0x0a000001u, 0x0a000006u});
  std::vector<std::string> texts;
  for (const Cidr& c : set.toCidrs())
    texts.push_back(c.toString());
  EXPECT_EQ(texts, (std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}));
  EXPECT_EQ(AddressSet::all().toString(), "0.0.0.0/0, ::/0");
  EXPECT_EQ(AddressSet::allV4().subtract(AddressSet::of(cidr("10.0.0.0/8"))).toCidrs().size(), 8u);
}

// Test that a malformed CIDR in a list is reported.
TEST(AddressSet, ParseReportsTheBadCidr) {
  auto parsed = AddressSet::parse({"10.0.0.0/8", "300.0.0.0/8"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "\"300.0.0.0/8\": octet 1 out of range");
}

// Test the set algebra against bitsets over a small universe, on random sets.
TEST(AddressSet, AlgebraMatchesBitsets) {
  constexpr int kSize = 64;
  std::mt19937_64 random(7);
  auto randomSet = [&](std::bitset<kSize>& bits) {
    AddressSet set;
    int count = static_cast<int>(random() % 5);
    for (int i = 0; i < count; ++i) {
      Uint128 a = random() % kSize;
      Uint128 b = random() % kSize;
      if (a > b) std::swap(a, b);
      set.add(IpFamily::V4, {a, b});
      for (auto v = a; v <= b; ++v)
        bits.set(static_cast<std::size_t>(v));
    }
    return set;
  };
  auto toBits = [&](const AddressSet& set) {
    std::bitset<kSize> bits;
    for (const AddressRange& range : set.ranges(IpFamily::V4)) {
      for (auto v = range.first; v <= range.last; ++v)
        bits.set(static_cast<std::size_t>(v));
    }
    return bits;
  };
  for (int round = 0; round < 2000; ++round) {
    std::bitset<kSize> aBits;
    std::bitset<kSize> bBits;
    AddressSet a = randomSet(aBits);
    AddressSet b = randomSet(bBits);
    ASSERT_EQ(toBits(a.unite(b)), aBits | bBits);
    ASSERT_EQ(toBits(a.intersect(b)), aBits & bBits);
    ASSERT_EQ(toBits(a.subtract(b)), aBits & ~bBits);
    ASSERT_EQ(a.contains(b), (bBits & ~aBits).none());
    ASSERT_EQ(a.intersects(b), (aBits & bBits).any());
    // One interval, tested without building a set of it.
    Uint128 first = random() % kSize;
    Uint128 last = random() % kSize;
    if (first > last) std::swap(first, last);
    std::bitset<kSize> rangeBits;
    for (auto v = first; v <= last; ++v)
      rangeBits.set(static_cast<std::size_t>(v));
    ASSERT_EQ(a.intersects(IpFamily::V4, {first, last}), (aBits & rangeBits).any());
    ASSERT_FALSE(a.intersects(IpFamily::V6, {first, last}));
    AddressSet rebuilt;
    for (const Cidr& c : a.toCidrs())
      rebuilt.add(c);
    ASSERT_EQ(rebuilt, a);
    // Canonical form: sorted, disjoint, not adjacent.
    const AddressSet united = a.unite(b);
    const auto& ranges = united.ranges(IpFamily::V4);
    for (std::size_t i = 1; i < ranges.size(); ++i)
      ASSERT_GT(ranges[i].first, ranges[i - 1].last + 1);
  }
}

}  // namespace
// Test the one list of what is not public, read by the audit (exposure) and the report (public requirements):
// RFC 1918, CGNAT, loopback, link-local and IPv6 unique-local are in it; the addresses next to them are not.
TEST(AddressTest, NonPublicSpaceIsTheReservedRangesOnly) {
  const AddressSet& space = nonPublicSpace();
  for (const char* inside : {"10.1.2.3", "172.31.255.255", "192.168.0.1", "100.64.0.1", "127.0.0.1",
                             "169.254.169.254", "0.1.2.3", "fd12::1", "fe80::1", "::1"})
    EXPECT_TRUE(space.contains(AddressSet::of(*Cidr::parse(
        std::string(inside) + (std::string(inside).find(':') != std::string::npos ? "/128" : "/32")))))
        << inside;
  for (const char* outside :
       {"11.0.0.0", "172.32.0.0", "192.169.0.0", "100.128.0.0", "8.8.8.8", "2001:db8::1", "::2"})
    EXPECT_FALSE(space.intersects(AddressSet::of(*Cidr::parse(
        std::string(outside) + (std::string(outside).find(':') != std::string::npos ? "/128" : "/32")))))
        << outside;
}

}  // namespace sgaudit::core
