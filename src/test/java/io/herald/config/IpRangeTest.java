package io.herald.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class IpRangeTest {

  @Test
  void addressesAndRangesContainWhatTheySay() {
    IpRange one = IpRange.parse("10.1.2.3");
    assertTrue(one.contains(IpRange.literal("10.1.2.3")));
    assertFalse(one.contains(IpRange.literal("10.1.2.4")));
    IpRange net = IpRange.parse("10.0.0.0/8");
    assertTrue(net.contains(IpRange.literal("10.255.0.1")));
    assertFalse(net.contains(IpRange.literal("11.0.0.1")));
    IpRange odd = IpRange.parse("192.168.0.0/23");
    assertTrue(odd.contains(IpRange.literal("192.168.1.200")));
    assertFalse(odd.contains(IpRange.literal("192.168.2.1")));
    IpRange v6 = IpRange.parse("fd00::/8");
    assertTrue(v6.contains(IpRange.literal("fd12:3456::1")));
    assertFalse(v6.contains(IpRange.literal("10.0.0.1")), "an IPv4 address is never in an IPv6 range");
    assertTrue(IpRange.parse("0.0.0.0/0").contains(IpRange.literal("8.8.8.8")));
  }

  @Test
  void onlyLiteralsAreAcceptedAndNothingIsResolved() {
    assertNull(IpRange.parse("localhost"));
    assertNull(IpRange.parse("proxy.example.com"));
    assertNull(IpRange.parse("256.0.0.1"));
    assertNull(IpRange.parse("10.0.0"));
    assertNull(IpRange.parse("10.0.0.0/33"));
    assertNull(IpRange.parse("10.0.0.0/"));
    assertNull(IpRange.parse("::1/129"));
    assertNull(IpRange.parse(""));
    assertNull(IpRange.literal("1.2.3.4:80"));
    assertNotNull(IpRange.parse("::1"));
  }
}
