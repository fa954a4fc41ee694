package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness's own accounting: a deliberate loss, duplicate, reordering and misdelivery are each detected. */
class AccountingTest {

  @Test
  void trackerTellsLossDuplicateAndReordering() {
    SequenceTracker t = new SequenceTracker();
    assertEquals(SequenceTracker.Arrival.IN_ORDER, t.record(1));
    assertEquals(SequenceTracker.Arrival.IN_ORDER, t.record(2));
    assertEquals(SequenceTracker.Arrival.IN_ORDER, t.record(4));
    assertEquals(SequenceTracker.Arrival.REORDERED, t.record(3));
    assertEquals(SequenceTracker.Arrival.DUPLICATE, t.record(3));
    assertEquals(SequenceTracker.Arrival.INVALID, t.record(0));
    // 5 sent: 5 never came.
    assertEquals(1, t.lostOf(5));
    assertEquals(4, t.distinct());
    assertEquals(1, t.duplicates());
    assertEquals(1, t.reordered());
  }

  @Test
  void aPerfectStreamSettlesClean() {
    DeliveryAccounting a = new DeliveryAccounting(List.of("u:a"));
    for (long s = 1; s <= 1000; s++) {
      a.record("u:a", s);
    }
    assertEquals(new DeliveryAccounting.Tally(1000, 1000, 0, 0, 0, 0), a.settle(Map.of("u:a", 1000L)));
  }

  @Test
  void accountingDetectsEachFaultOnItsStream() {
    DeliveryAccounting a = new DeliveryAccounting(List.of("u:a", "t:x", "b"));
    a.record("u:a", 1);
    a.record("u:a", 2);
    a.record("u:a", 2);      // duplicate
    a.record("t:x", 2);
    a.record("t:x", 1);      // reordered
    a.record("b", 1);        // broadcast 2 is lost
    a.record("u:other", 1);  // not this receiver's stream
    DeliveryAccounting.Tally t = a.settle(Map.of("u:a", 2L, "t:x", 2L, "b", 2L));
    assertEquals(6, t.expected());
    assertEquals(5, t.delivered());
    assertEquals(1, t.lost());
    assertEquals(1, t.duplicated());
    assertEquals(1, t.reordered());
    assertEquals(1, t.misdelivered());
  }

  @Test
  void aSequenceNeverSentIsAMisdeliveryAndAStreamNeverSentExpectsNothing() {
    DeliveryAccounting a = new DeliveryAccounting(List.of("u:a", "b"));
    a.record("u:a", 1);
    a.record("u:a", 7);
    DeliveryAccounting.Tally t = a.settle(Map.of("u:a", 1L));
    assertEquals(1, t.expected());
    assertEquals(0, t.lost());
    assertEquals(1, t.misdelivered());
    assertEquals(t.plus(DeliveryAccounting.Tally.ZERO), t);
  }

  @Test
  void frameScanReadsTheBenchFieldsAndFallsBackToJson() {
    String fast = "{\"type\":\"Notification\",\"id\":\"x\",\"priority\":\"Medium\",\"message\":\"bench\","
        + "\"details\":{\"bench_target\":\"u:bu3\",\"bench_seq\":17,\"bench_sent_ns\":1234567890123},\"actions\":[]}";
    FrameScan.Frame f = FrameScan.scan(fast.getBytes(StandardCharsets.UTF_8));
    assertTrue(f.isNotification());
    assertEquals("u:bu3", f.stream());
    assertEquals(17, f.seq());
    assertEquals(1234567890123L, f.sentNs());
    // Another key order: the JSON fallback reads the same.
    String other = "{\"id\":\"x\",\"details\":{\"bench_seq\":3,\"bench_sent_ns\":5,\"bench_target\":\"b\"},\"type\":\"Notification\"}";
    FrameScan.Frame g = FrameScan.scan(other.getBytes(StandardCharsets.UTF_8));
    assertEquals(new FrameScan.Frame("Notification", "b", 3, 5), g);
    // Not a notification; a notification from someone else.
    assertEquals("Authenticated", FrameScan.scan("{\"type\":\"Authenticated\",\"user_id\":\"u\"}".getBytes(StandardCharsets.UTF_8)).type());
    FrameScan.Frame foreign = FrameScan.scan("{\"type\":\"Notification\",\"details\":{}}".getBytes(StandardCharsets.UTF_8));
    assertTrue(foreign.isNotification());
    assertNull(foreign.stream());
    assertFalse(FrameScan.scan("not json".getBytes(StandardCharsets.UTF_8)).isNotification());
  }

  @Test
  void procStatParsesUtimeAndStime() {
    String stat = "1234 (java (x) y) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 50 0 0 20 0 30 0 100 0 0";
    assertEquals(3_000_000_000L, ProcStats.cpuNanosOf(stat, 100));
    assertEquals(500_000_000L, ProcStats.sysNanosOf(stat, 100));
    ProcStats.Sample self = ProcStats.self().sample();
    assertTrue(self.cpuNanos() > 0 && self.rssKib() > 0);
  }

  @Test
  void nonLoopbackTargetsAreRefused() {
    BenchConfig c = new BenchConfig();
    c.jwtSecret = "s";
    c.apiKey = "k";
    c.host = "10.1.2.3";
    assertThrows(IllegalArgumentException.class, c::validate);
    c.host = "127.0.0.1";
    c.sourceAddresses = List.of("192.168.1.1");
    assertThrows(IllegalArgumentException.class, c::validate);
    c.sourceAddresses = BenchConfig.loopbackSources(2);
    assertEquals(List.of("127.0.0.2", "127.0.0.3"), c.sourceAddresses);
    c.ingress = BenchConfig.Ingress.NATS;
    c.natsUrl = "nats://8.8.8.8:4222";
    assertThrows(IllegalArgumentException.class, c::validate);
    c.natsUrl = "nats://localhost:4222";
    c.validate();
  }
}
