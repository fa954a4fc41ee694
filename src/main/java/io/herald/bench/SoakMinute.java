package io.herald.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What a soak knew at the end of one of its minutes, counted from the start of publishing. The delivery counts are
 * so far (the minute's own are the difference with the previous minute's): {@code lost} counts the notifications
 * published up to {@link SoakRunner#ACCOUNTING_LAG} before the minute's end that a persistent client still had
 * not received — a provisional figure (one may still arrive); the run's verdict settles them all at its end.
 *
 * @param minute             1, 2, ...
 * @param at                 when it was read
 * @param published          notifications published so far
 * @param delivered          distinct notifications the persistent clients received so far (replays included)
 * @param lost               see above
 * @param duplicated         notifications a client received twice so far (persistent clients and churn connections)
 * @param p99Ms              latency p99 of the minute's live deliveries, in ms; -1 when none
 * @param reconnects         drop-and-resume reconnections done so far
 * @param reconnectFailures  those that failed
 * @param churnOpened        churn connections opened so far
 * @param churnFailed        churn connections that could not open so far
 * @param nodes              each node's figures
 */
record SoakMinute(int minute, Instant at, long published, long delivered, long lost, long duplicated, double p99Ms,
                  long reconnects, long reconnectFailures, long churnOpened, long churnFailed, List<NodeReading> nodes) {

  /** The live heap of all the nodes after a full collection, in KiB; -1 when a node's could not be read. */
  long heapAfterGcKib() {
    long total = 0;
    for (NodeReading node : nodes) {
      if (node.heapAfterGcKib() < 0) {
        return -1;
      }
      total += node.heapAfterGcKib();
    }
    return total;
  }

  /** The minute's JSONL record; {@code previous} (null for the first minute) gives the minute's own counts. */
  JsonObject json(SoakMinute previous) {
    JsonArray each = new JsonArray();
    nodes.forEach(n -> each.add(n.json()));
    return new JsonObject().put("minute", minute).put("at", at.toString())
        .put("published", published).put("published_minute", published - (previous == null ? 0 : previous.published))
        .put("delivered", delivered).put("delivered_minute", delivered - (previous == null ? 0 : previous.delivered))
        .put("lost", lost).put("lost_minute", lost - (previous == null ? 0 : previous.lost))
        .put("duplicated", duplicated).put("duplicated_minute", duplicated - (previous == null ? 0 : previous.duplicated))
        .put("p99_ms", p99Ms)
        .put("reconnects", reconnects).put("reconnect_failures", reconnectFailures)
        .put("churn_opened", churnOpened).put("churn_failed", churnFailed)
        .put("heap_after_gc_kib", heapAfterGcKib())
        .put("nodes", each);
  }

  /** The minute's report line. */
  String line(SoakMinute previous, int minutes) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
        "minute %d/%d: published %d (+%d) delivered %d (+%d) lost %d (+%d) duplicated %d (+%d) p99 %s"
            + " reconnects %d (failed %d) churn %d (failed %d) heap after GC %s",
        minute, minutes, published, published - (previous == null ? 0 : previous.published),
        delivered, delivered - (previous == null ? 0 : previous.delivered),
        lost, lost - (previous == null ? 0 : previous.lost),
        duplicated, duplicated - (previous == null ? 0 : previous.duplicated),
        p99Ms < 0 ? "-" : String.format(Locale.ROOT, "%.1f ms", p99Ms), reconnects, reconnectFailures,
        churnOpened, churnFailed, NodeReading.mib(heapAfterGcKib())));
    for (NodeReading node : nodes) {
      b.append("\n    ").append(node.line());
    }
    return b.toString();
  }
}
