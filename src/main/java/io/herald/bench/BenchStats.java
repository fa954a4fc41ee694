package io.herald.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/** Counters and latency recorders shared by every connection of a run (written from several event loops). */
final class BenchStats {

  /** Latencies above a minute are recorded as a minute. */
  static final long HIGHEST_NS = 60_000_000_000L;

  final Recorder latency = new Recorder(HIGHEST_NS, 3);
  final Recorder connectLatency = new Recorder(HIGHEST_NS, 3);
  /** recover scenario: from the client's close to {@code Authenticated} on the new connection. */
  final Recorder reconnectLatency = new Recorder(HIGHEST_NS, 3);
  final LongAdder reconnects = new LongAdder();
  final LongAdder reconnectFailures = new LongAdder();
  final AtomicReference<String> firstReconnectFailure = new AtomicReference<>();
  /** Resumes answered with {@code recovered} false (or no position): the client cannot have everything. */
  final LongAdder resumesNotRecovered = new LongAdder();
  /** Streams resumed while an offset below their highest was missing (arrivals out of order); see {@link ReceivedOffsets}. */
  final LongAdder resumesAcrossGap = new LongAdder();
  /** Replayed notifications a client had before its resume, dropped by position (a watermark resume asks for them). */
  final LongAdder resent = new LongAdder();
  final LongAdder delivered = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder foreignFrames = new LongAdder();
  final LongAdder serverErrors = new LongAdder();
  final LongAdder socketErrors = new LongAdder();
  final LongAdder unexpectedCloses = new LongAdder();
  /** WebSocket pings of the server (its heartbeats), each answered with a pong by the client. */
  final LongAdder serverPings = new LongAdder();
  /** Protocol {@code Ping} messages sent ({@code --ping-every}) and the {@code Pong} answers received. */
  final LongAdder clientPings = new LongAdder();
  final LongAdder pongs = new LongAdder();
  final Map<Integer, LongAdder> closeCodes = new ConcurrentHashMap<>();

  void recordDelivery(long latencyNs) {
    delivered.increment();
    latency.recordValue(Math.max(0, Math.min(latencyNs, HIGHEST_NS)));
  }

  void recordConnect(long ns) {
    connectLatency.recordValue(Math.max(0, Math.min(ns, HIGHEST_NS)));
  }

  void recordReconnect(long ns) {
    reconnects.increment();
    reconnectLatency.recordValue(Math.max(0, Math.min(ns, HIGHEST_NS)));
  }

  void noteClose(Short code) {
    closeCodes.computeIfAbsent(code == null ? 1006 : (int) code, c -> new LongAdder()).increment();
  }
}
