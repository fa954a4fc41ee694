package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The soak's own logic where it is pure: the heap-growth verdict and its limits, the minute records' own counts,
 * and the positions a resuming client keeps per stream (highest against contiguous, and what a watermark resume
 * drops by position).
 */
class SoakAccountingTest {

  private static SoakMinute minute(int m, long published, long lost, long... heapsKib) {
    List<NodeReading> nodes = new java.util.ArrayList<>();
    for (int i = 0; i < heapsKib.length; i++) {
      nodes.add(new NodeReading(100 + i, heapsKib[i], 300, 500_000));
    }
    return new SoakMinute(m, Instant.EPOCH, published, published * 9, lost, 0, 12.5, 10L * m, 0, 2L * m, 0, nodes);
  }

  private static DeliveryAccounting.Tally clean() {
    return new DeliveryAccounting.Tally(1000, 1000, 0, 0, 0, 0, 10);
  }

  @Test
  void heapGrowthIsTheSummedHeapFromTheFirstMinuteToTheLast() {
    List<SoakMinute> minutes = List.of(minute(1, 100, 0, 30_000, 30_000, 40_000), minute(2, 200, 0, 50_000, 50_000, 50_000),
        minute(3, 300, 0, 33_000, 33_000, 44_000));
    assertEquals(10.0, SoakVerdict.heapGrowthPct(minutes));
    assertNull(SoakVerdict.heapGrowthPct(minutes.subList(0, 1)), "one reading: no growth");
    assertNull(SoakVerdict.heapGrowthPct(List.of(minute(1, 1, 0, 30_000, -1), minute(2, 2, 0, 30_000, 30_000))),
        "a node's heap unread at the first minute");
  }

  @Test
  void longRunsAreHeldToTheLimitAndShortOnesToTheLooseBound() {
    assertEquals(10, SoakVerdict.heapLimitPct(10, 10));
    assertEquals(10, SoakVerdict.heapLimitPct(30, 10));
    assertEquals(50, SoakVerdict.heapLimitPct(9, 10));
    assertEquals(60, SoakVerdict.heapLimitPct(3, 60), "a configured limit looser than the short runs' bound applies to them too");

    List<SoakMinute> tenMinutes = new java.util.ArrayList<>();
    for (int m = 1; m <= 10; m++) {
      tenMinutes.add(minute(m, 100L * m, 0, 100_000 + (m == 10 ? 11_000 : 0)));
    }
    SoakVerdict grew11 = SoakVerdict.judge(tenMinutes, clean(), 0, 10);
    assertFalse(grew11.passed());
    assertEquals(11.0, grew11.heapGrowthPct());
    assertTrue(grew11.failures().get(0).contains("heap after GC grew 11.0 %"), grew11.failures().toString());

    tenMinutes.set(9, minute(10, 1000, 0, 110_000));
    assertTrue(SoakVerdict.judge(tenMinutes, clean(), 0, 10).passed(), "exactly 10 % passes");

    List<SoakMinute> threeMinutes = List.of(minute(1, 1, 0, 100_000), minute(2, 2, 0, 120_000), minute(3, 3, 0, 130_000));
    SoakVerdict short30 = SoakVerdict.judge(threeMinutes, clean(), 0, 10);
    assertTrue(short30.passed(), "30 % in a 3-minute run is under the short runs' 50 %");
    assertEquals(50, short30.heapLimitPct());
    assertFalse(SoakVerdict.judge(List.of(minute(1, 1, 0, 100_000), minute(2, 2, 0, 151_000)), clean(), 0, 10).passed());
  }

  @Test
  void lostDuplicatedMisdeliveredAndUnreadHeapFail() {
    List<SoakMinute> ok = List.of(minute(1, 1, 0, 100_000), minute(2, 2, 0, 100_000));
    assertTrue(SoakVerdict.judge(ok, clean(), 0, 10).passed());
    assertEquals(List.of("1 notifications lost"),
        SoakVerdict.judge(ok, new DeliveryAccounting.Tally(1000, 999, 1, 0, 0, 0, 0), 0, 10).failures());
    assertEquals(List.of("3 notifications duplicated"),
        SoakVerdict.judge(ok, new DeliveryAccounting.Tally(1000, 1000, 0, 1, 0, 0, 0), 2, 10).failures(),
        "the churn connections' duplicates count too");
    assertEquals(List.of("1 notifications misdelivered"),
        SoakVerdict.judge(ok, new DeliveryAccounting.Tally(1000, 1000, 0, 0, 0, 1, 0), 0, 10).failures());
    SoakVerdict unread = SoakVerdict.judge(List.of(minute(1, 1, 0, 100_000), minute(2, 2, 0, -1)), clean(), 0, 10);
    assertFalse(unread.passed());
    assertTrue(SoakVerdict.judge(ok.subList(0, 1), clean(), 0, 10).passed(), "a one-minute run judges no growth");
  }

  @Test
  void aMinuteRecordGivesItsOwnCountsBesideTheRunningOnes() {
    SoakMinute first = minute(1, 18_000, 2, 30_000, 31_000, 32_000);
    SoakMinute second = minute(2, 36_000, 5, 30_000, 31_000, 33_000);
    JsonObject json = second.json(first);
    assertEquals(36_000, json.getLong("published"));
    assertEquals(18_000, json.getLong("published_minute"));
    assertEquals(5, json.getLong("lost"));
    assertEquals(3, json.getLong("lost_minute"));
    assertEquals(94_000, json.getLong("heap_after_gc_kib"));
    assertEquals(3, json.getJsonArray("nodes").size());
    assertEquals(300, json.getJsonArray("nodes").getJsonObject(0).getLong("fds"));
    assertEquals(18_000, first.json(null).getLong("published_minute"));
    assertTrue(second.line(first, 3).startsWith("minute 2/3: published 36000 (+18000)"), second.line(first, 3));
  }

  @Test
  void theSummaryNamesWhichNotificationsWereLostAndOfWhichKindOfStream() {
    DeliveryAccounting a = new DeliveryAccounting(List.of("u:bu1", "t:bench.t1", "b"));
    for (long s = 1; s <= 10; s++) {
      if (s != 4 && s != 7) {
        a.record("u:bu1", s);
      }
      a.record("b", s);
    }
    java.util.Map<String, Long> sent = java.util.Map.of("u:bu1", 10L, "t:bench.t1", 1L, "b", 10L);
    assertEquals(List.of("u:bu1#4", "u:bu1#7", "t:bench.t1#1"), a.lostExamples(sent, 20));
    assertEquals(List.of("u:bu1#4"), a.lostExamples(sent, 1));
    assertEquals(java.util.Map.of("user", 2L, "topic", 1L), a.lostByKind(sent));
  }

  @Test
  void aClientResumingFromItsHighestOffsetLeavesBehindWhatArrivedOutOfOrder() {
    ReceivedOffsets offsets = new ReceivedOffsets();
    offsets.started("e", 10);
    assertEquals(ReceivedOffsets.Arrival.NEW, offsets.arrived("e", 11));
    assertEquals(ReceivedOffsets.Arrival.NEW, offsets.arrived("e", 13)); // 12 still on its way
    assertTrue(offsets.hasGap());
    assertEquals(13, offsets.position(ReceivedOffsets.ResumeFrom.HIGHEST));
    assertEquals(11, offsets.position(ReceivedOffsets.ResumeFrom.CONTIGUOUS));
    // A watermark resume from 11: the node replays 12 (new) and 13 (had: dropped by position) up to 14.
    offsets.resumed("e", 14);
    assertEquals(ReceivedOffsets.Arrival.RECOVERED, offsets.arrived("e", 12));
    assertEquals(ReceivedOffsets.Arrival.RESENT, offsets.arrived("e", 13));
    assertEquals(ReceivedOffsets.Arrival.RECOVERED, offsets.arrived("e", 14));
    assertFalse(offsets.hasGap());
    assertEquals(14, offsets.position(ReceivedOffsets.ResumeFrom.CONTIGUOUS));
    assertEquals(ReceivedOffsets.Arrival.RECOVERED, offsets.arrived("e", 13),
        "a second copy of a resent offset is not dropped: the accounting counts it as a duplicate");
    assertEquals(ReceivedOffsets.Arrival.NEW, offsets.arrived("e", 15));
  }

  @Test
  void streamCursorsJoinEveryStreamFirstThenResumeEachFromItsPosition() {
    StreamCursors cursors = new StreamCursors(List.of("u:bu1", "t:bench.t3", "b"), ReceivedOffsets.ResumeFrom.HIGHEST);
    JsonObject first = cursors.request(false);
    assertEquals(new JsonObject().put("topic:bench.t3", new JsonObject()).put("broadcast", new JsonObject()), first);
    JsonObject authenticated = new JsonObject().put("epoch", "ue").put("offset", 4)
        .put("streams", new JsonObject().put("topic:bench.t3", new JsonObject().put("epoch", "te").put("offset", 7))
            .put("broadcast", new JsonObject().put("recovered", false).put("offset", 0)));
    assertEquals(0, cursors.answered(false, authenticated));
    assertEquals(ReceivedOffsets.Arrival.NEW, cursors.arrived("u:bu1", "ue", 5));
    assertEquals(ReceivedOffsets.Arrival.NEW, cursors.arrived("b", "be", 1));
    JsonObject resume = cursors.request(true);
    assertEquals(new JsonObject().put("epoch", "ue").put("offset", 5), resume.getJsonObject("user"));
    assertEquals(new JsonObject().put("epoch", "te").put("offset", 7), resume.getJsonObject("topic:bench.t3"));
    assertEquals(new JsonObject().put("epoch", "be").put("offset", 1), resume.getJsonObject("broadcast"));
    JsonObject resumed = new JsonObject().put("streams", new JsonObject()
        .put("user", new JsonObject().put("recovered", true).put("epoch", "ue").put("offset", 6))
        .put("topic:bench.t3", new JsonObject().put("recovered", false).put("error", "forbidden"))
        .put("broadcast", new JsonObject().put("recovered", false).put("epoch", "be").put("offset", 9)));
    assertEquals(2, cursors.answered(true, resumed), "a refused stream and one not recovered");
    assertEquals(ReceivedOffsets.Arrival.RECOVERED, cursors.arrived("u:bu1", "ue", 6));
    assertEquals("user", StreamCursors.wireName("u:x"));
    assertEquals("broadcast", StreamCursors.wireName(Streams.BROADCAST));
  }
}
