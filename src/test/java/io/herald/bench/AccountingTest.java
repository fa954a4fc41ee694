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

/**
 * The harness's own accounting: a deliberate loss, duplicate, reordering and misdelivery are each detected, also
 * across a drop and resume; and the figures around it (frame scan, /proc of one or several processes, limits).
 */
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
    assertEquals(new DeliveryAccounting.Tally(1000, 1000, 0, 0, 0, 0, 0), a.settle(Map.of("u:a", 1000L)));
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
  void aResumeAcrossAReconnectCountsReplaysAndStillCatchesDuplicatesAndGaps() {
    DeliveryAccounting a = new DeliveryAccounting(List.of("u:a"));
    ResumeCursor cursor = new ResumeCursor();
    cursor.started("E", 40);                  // Authenticated: the stream is at offset 40
    // Live: seq 1..3 at offsets 41..43.
    for (int seq = 1; seq <= 3; seq++) {
      assertFalse(cursor.arrived("E", 40 + seq));
      assertEquals(SequenceTracker.Arrival.IN_ORDER, a.record("u:a", seq, false));
    }
    // Dropped: resumes from (E, 43); the node answers Authenticated at offset 46, so 44..46 are replays.
    assertEquals("E", cursor.epoch());
    assertEquals(43, cursor.lastOffset());
    cursor.resumed("E", 46);
    assertTrue(cursor.arrived("E", 44));
    assertEquals(SequenceTracker.Arrival.IN_ORDER, a.record("u:a", 4, true));   // replayed: counts
    assertTrue(cursor.arrived("E", 45));
    assertEquals(SequenceTracker.Arrival.DUPLICATE, a.record("u:a", 3, true));  // already had live: a duplicate
    // seq 5 (offset 45) never comes: a gap. Offset 46 replayed, then 47 live.
    assertTrue(cursor.arrived("E", 46));
    assertEquals(SequenceTracker.Arrival.IN_ORDER, a.record("u:a", 6, true));
    assertFalse(cursor.arrived("E", 47));
    assertEquals(SequenceTracker.Arrival.IN_ORDER, a.record("u:a", 7, false));
    assertEquals(47, cursor.lastOffset());
    DeliveryAccounting.Tally t = a.settle(Map.of("u:a", 7L));
    assertEquals(new DeliveryAccounting.Tally(7, 6, 1, 1, 0, 0, 2), t);
  }

  @Test
  void aResumeIntoANewEpochFollowsTheNewStream() {
    ResumeCursor cursor = new ResumeCursor();
    cursor.started("empty-stream", 0);        // a user nobody published to yet: a throwaway epoch, offset 0
    assertFalse(cursor.arrived("E", 1));
    assertEquals("E", cursor.epoch());
    assertEquals(1, cursor.lastOffset());
    cursor.resumed("F", 3);                   // the stream restarted: its retained entries are replayed
    assertTrue(cursor.arrived("F", 2));
    assertEquals("F", cursor.epoch());
    assertFalse(cursor.arrived("F", 4));
    assertEquals(4, cursor.lastOffset());
  }

  @Test
  void frameScanReadsThePositionOfAUserNotification() {
    String frame = "{\"type\":\"Notification\",\"id\":\"x\",\"notification_type\":\"bench\",\"priority\":\"Medium\","
        + "\"message\":\"bench\",\"details\":{\"bench_target\":\"u:bu3\",\"bench_seq\":17,\"bench_sent_ns\":99},"
        + "\"timestamp\":\"2024-01-01T00:00:00Z\",\"actions\":[],\"stream\":\"user\",\"epoch\":\"a1b2\",\"offset\":1234}";
    FrameScan.Frame fast = FrameScan.scan(frame.getBytes(StandardCharsets.UTF_8));
    assertEquals(new FrameScan.Frame("Notification", "u:bu3", 17, 99, "user", "a1b2", 1234), fast);
    assertTrue(fast.hasUserPosition());
    assertEquals(fast, FrameScan.parse(frame.getBytes(StandardCharsets.UTF_8)));
    String topic = frame.replace("\"stream\":\"user\"", "\"stream\":\"topic\"");
    assertFalse(FrameScan.scan(topic.getBytes(StandardCharsets.UTF_8)).hasUserPosition());
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
    assertEquals(new FrameScan.Frame("Notification", "b", 3, 5, null, null, 0), g);
    // Not a notification; a notification from someone else.
    assertEquals("Authenticated", FrameScan.scan("{\"type\":\"Authenticated\",\"user_id\":\"u\"}".getBytes(StandardCharsets.UTF_8)).type());
    FrameScan.Frame foreign = FrameScan.scan("{\"type\":\"Notification\",\"details\":{}}".getBytes(StandardCharsets.UTF_8));
    assertTrue(foreign.isNotification());
    assertNull(foreign.stream());
    assertFalse(FrameScan.scan("not json".getBytes(StandardCharsets.UTF_8)).isNotification());
  }

  @Test
  void frameScanReadsTheRawForwardersUnchangedPayloadAsANotificationWithoutPosition() {
    // The NATS payload as PublishLoop writes it, which the forwarder baseline passes on as it is: no type.
    String raw = "{\"user_id\":\"bu3\",\"tenant_id\":\"bench\",\"priority\":\"Medium\",\"notification_type\":\"bench\","
        + "\"message\":\"bench\",\"details\":{\"bench_target\":\"u:bu3\",\"bench_seq\":17,\"bench_sent_ns\":99}}";
    FrameScan.Frame fast = FrameScan.scan(raw.getBytes(StandardCharsets.UTF_8));
    assertEquals(new FrameScan.Frame("Notification", "u:bu3", 17, 99, null, null, 0), fast);
    assertFalse(fast.hasUserPosition());
    assertEquals(fast, FrameScan.parse(raw.getBytes(StandardCharsets.UTF_8)));
    String broadcast = "{\"broadcast\":true,\"details\":{\"bench_seq\":4,\"bench_sent_ns\":5,\"bench_target\":\"b\"}}";
    assertEquals(new FrameScan.Frame("Notification", "b", 4, 5, null, null, 0),
        FrameScan.scan(broadcast.getBytes(StandardCharsets.UTF_8)));
    // A typed frame that does not start with its type is still read by its type, not as a raw payload.
    assertEquals("Pong", FrameScan.scan("{\"id\":1,\"type\":\"Pong\"}".getBytes(StandardCharsets.UTF_8)).type());
    // Without the benchmark's fields it is someone else's: no stream.
    assertNull(FrameScan.scan("{\"user_id\":\"bu3\"}".getBytes(StandardCharsets.UTF_8)).stream());
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
  void theJitCompilerThreadsAreCountedByThreadAcrossStartsAndStops() {
    assertTrue(ProcStats.isJitThread("C2 CompilerThre"));
    assertTrue(ProcStats.isJitThread("C1 CompilerThre"));
    assertFalse(ProcStats.isJitThread("vert.x-eventloo"));
    ProcStats.Sample start = new ProcStats.Sample(0, 0, 0, 0, Map.of(10L, 100L, 11L, 50L, 12L, 7L));
    // 10 ran 30 more, 11 ended (missed), 13 started and ran 20
    ProcStats.Sample end = new ProcStats.Sample(0, 0, 0, 0, Map.of(10L, 130L, 12L, 7L, 13L, 20L));
    assertEquals(50, ProcStats.jitNanosBetween(start, end));
    // This JVM compiles too: its compiler threads are found.
    assertFalse(ProcStats.self().sample().jitNanosByThread().isEmpty());
  }

  @Test
  void theLiveHeapIsTheTotalOfTheClassHistogram() {
    String histogram = String.join("\n",
        "12345:",
        " num     #instances         #bytes  class name (module)",
        "-------------------------------------------------------",
        "   1:        137731      159567320  [Ljava.lang.Object; (java.base@17.0.15)",
        "   2:         38010       21893760  io.netty.util.internal.shaded.org.jctools.queues.MpscUnboundedArrayQueue",
        "Total       2734567      412345678");
    assertEquals(412_345_678L, ServerProcesses.histogramTotal(histogram));
    assertThrows(IllegalStateException.class, () -> ServerProcesses.histogramTotal("12345:\nno histogram"));
  }

  @Test
  void severalServerProcessesSumTheirCpuAndMemory() {
    long self = ProcessHandle.current().pid();
    ServerProcesses one = new ServerProcesses(List.of(self));
    ServerProcesses twice = new ServerProcesses(List.of(self, self));
    assertEquals(List.of(self, self), twice.pids());
    ProcStats.Sample before = one.sample().each().get(0);
    ServerProcesses.Sample both = twice.sample();
    ProcStats.Sample after = one.sample().each().get(0);
    // The same process counted twice: twice its CPU and its memory, read between the two single readings.
    assertEquals(2, both.each().size());
    assertTrue(both.cpuNanos() >= 2 * before.cpuNanos() && both.cpuNanos() <= 2 * after.cpuNanos(), both.toString());
    assertEquals(both.each().get(0).rssKib() + both.each().get(1).rssKib(), both.rssKib());
    assertTrue(both.rssKib() > before.rssKib(), both.toString());
    assertThrows(IllegalArgumentException.class, () -> new ServerProcesses(List.of(self, Long.MAX_VALUE)));
  }

  @Test
  void nonLoopbackTargetsAreRefused() {
    BenchConfig c = BenchConfig.defaults();
    c.jwtSecret = "s";
    c.apiKey = "k";
    c.host = "10.1.2.3";
    assertThrows(IllegalArgumentException.class, c::validate);
    c.host = "127.0.0.1";
    c.sourceAddresses = "192.168.1.1";
    assertThrows(IllegalArgumentException.class, c::validate);
    c.sourceAddresses = "2";
    assertEquals(List.of("127.0.0.2", "127.0.0.3"), c.sources());
    c.ingress = BenchConfig.Ingress.NATS;
    c.natsUrl = "nats://8.8.8.8:4222";
    assertThrows(IllegalArgumentException.class, c::validate);
    c.natsUrl = ""; // NATS_URL set to nothing
    assertThrows(IllegalArgumentException.class, c::validate);
    c.natsUrl = "nats://localhost:4222";
    c.validate();
  }
}
