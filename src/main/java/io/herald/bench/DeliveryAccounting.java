package io.herald.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The delivery accounting of one receiver (one client, across all the connections it opens in turn): the streams
 * it is entitled to, a {@link SequenceTracker} per stream, and — once the publisher says how many notifications it
 * sent on each stream — lost, duplicated, reordered and misdelivered counts. A notification replayed after a
 * resume counts as delivered like a live one, and as recovered; received both live and replayed, it is a duplicate.
 * Not thread-safe: one receiver, one event loop.
 */
public final class DeliveryAccounting {

  /** The outcome for one receiver or a sum of receivers; {@code recovered}: delivered by a replay after a resume. */
  public record Tally(long expected, long delivered, long lost, long duplicated, long reordered, long misdelivered,
                      long recovered) {

    public static final Tally ZERO = new Tally(0, 0, 0, 0, 0, 0, 0);

    public Tally plus(Tally o) {
      return new Tally(expected + o.expected, delivered + o.delivered, lost + o.lost, duplicated + o.duplicated,
          reordered + o.reordered, misdelivered + o.misdelivered, recovered + o.recovered);
    }
  }

  private final List<String> entitled;
  private final Map<String, SequenceTracker> streams = new HashMap<>();
  private long misdelivered;
  private long recovered;

  /** @param entitled the stream keys this receiver must get every notification of (see {@link Streams}) */
  public DeliveryAccounting(List<String> entitled) {
    this.entitled = List.copyOf(entitled);
    for (String stream : this.entitled) {
      streams.put(stream, new SequenceTracker());
    }
  }

  /** Records one live notification of the stream; a stream the receiver is not entitled to is a misdelivery. */
  public SequenceTracker.Arrival record(String stream, long seq) {
    return record(stream, seq, false);
  }

  /** Records one notification of the stream, live or replayed (see {@link ResumeCursor#arrived}). */
  public SequenceTracker.Arrival record(String stream, long seq, boolean replayed) {
    SequenceTracker tracker = streams.get(stream);
    if (tracker == null) {
      misdelivered++;
      return SequenceTracker.Arrival.INVALID;
    }
    SequenceTracker.Arrival arrival = tracker.record(seq);
    if (replayed && (arrival == SequenceTracker.Arrival.IN_ORDER || arrival == SequenceTracker.Arrival.REORDERED)) {
      recovered++;
    }
    return arrival;
  }

  /** Notifications received more than once so far, over every stream. */
  public long duplicates() {
    long duplicates = 0;
    for (SequenceTracker t : streams.values()) {
      duplicates += t.duplicates();
    }
    return duplicates;
  }

  /**
   * The notifications lost so far by kind of stream — {@code user}, {@code topic}, {@code broadcast} — against what
   * the publisher sent: where a loss happened, when a run has one.
   */
  public Map<String, Long> lostByKind(Map<String, Long> sent) {
    Map<String, Long> lost = new HashMap<>();
    for (String stream : entitled) {
      long n = streams.get(stream).lostOf(sent.getOrDefault(stream, 0L));
      if (n > 0) {
        lost.merge(Streams.kindOf(stream), n, Long::sum);
      }
    }
    return lost;
  }

  /** The first {@code limit} notifications lost so far, as {@code <stream key>#<sequence>}: which ones, to look for. */
  public List<String> lostExamples(Map<String, Long> sent, int limit) {
    List<String> examples = new java.util.ArrayList<>();
    for (String stream : entitled) {
      for (long seq : streams.get(stream).missingOf(sent.getOrDefault(stream, 0L), limit - examples.size())) {
        examples.add(stream + "#" + seq);
      }
    }
    return examples;
  }

  public List<String> entitled() {
    return entitled;
  }

  /**
   * Settles the account against what the publisher sent.
   *
   * @param sent notifications sent per stream key (a missing key means none)
   */
  public Tally settle(Map<String, Long> sent) {
    long expected = 0;
    long delivered = 0;
    long lost = 0;
    long duplicated = 0;
    long reordered = 0;
    long invalid = 0;
    for (String stream : entitled) {
      long n = sent.getOrDefault(stream, 0L);
      SequenceTracker t = streams.get(stream);
      expected += n;
      delivered += t.distinct();
      lost += t.lostOf(n);
      duplicated += t.duplicates();
      reordered += t.reordered();
      // A sequence above what was sent was never published to this stream.
      invalid += t.invalid() + (t.distinct() - t.receivedOf(n));
    }
    return new Tally(expected, delivered, lost, duplicated, reordered, misdelivered + invalid, recovered);
  }
}
