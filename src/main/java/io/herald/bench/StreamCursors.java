package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A receiver's positions in every stream it reads — its user's, its topics', the broadcast — for a client that
 * resumes them all, as the protocol's {@code streams} field allows (README, Recovery protocol and guarantee): its
 * first {@code Authenticate} names each topic and the broadcast with {@code {}} (joining the topics, learning where
 * each stream stands), and each later one gives every stream's last position, so that the node replays what the
 * receiver missed of each, from the position {@code resumeFrom} chooses. One {@link ReceivedOffsets} per stream,
 * keyed by the benchmark's stream key ({@link Streams}). Not thread-safe: one receiver, one event loop.
 */
final class StreamCursors {

  private final Map<String, ReceivedOffsets> cursors = new LinkedHashMap<>();
  private final ReceivedOffsets.ResumeFrom resumeFrom;

  /** @param entitled the receiver's stream keys (see {@link BenchAudience#entitled}) */
  StreamCursors(List<String> entitled, ReceivedOffsets.ResumeFrom resumeFrom) {
    this.resumeFrom = resumeFrom;
    for (String stream : entitled) {
      cursors.put(stream, new ReceivedOffsets());
    }
  }

  /** The protocol's name of a benchmark stream key: {@code user}, {@code topic:<name>} or {@code broadcast}. */
  static String wireName(String stream) {
    if (stream.startsWith("u:")) {
      return "user";
    }
    if (stream.startsWith("t:")) {
      return "topic:" + stream.substring(2);
    }
    if (stream.equals(Streams.BROADCAST)) {
      return "broadcast";
    }
    throw new IllegalArgumentException("not a benchmark stream key: " + stream);
  }

  /**
   * The {@code streams} field of an {@code Authenticate}: on the first connection, {@code {}} for every stream but
   * the user's (the answer's top-level position is the user stream's); on a resume, every stream's position under
   * the policy — {@code {"offset":0}} for a stream that has delivered nothing yet, which replays everything it holds.
   */
  JsonObject request(boolean resume) {
    JsonObject streams = new JsonObject();
    for (Map.Entry<String, ReceivedOffsets> entry : cursors.entrySet()) {
      String name = wireName(entry.getKey());
      ReceivedOffsets cursor = entry.getValue();
      long position = cursor.position(resumeFrom);
      if (!resume) {
        if (!name.equals("user")) {
          streams.put(name, new JsonObject());
        }
      } else if (position == 0 || cursor.epoch() == null) {
        streams.put(name, new JsonObject().put("offset", 0));
      } else {
        streams.put(name, new JsonObject().put("epoch", cursor.epoch()).put("offset", position));
      }
    }
    return streams;
  }

  /** The streams where an offset below the highest received is missing now (arrivals out of order). */
  int streamsWithGap() {
    int gaps = 0;
    for (ReceivedOffsets cursor : cursors.values()) {
      if (cursor.hasGap()) {
        gaps++;
      }
    }
    return gaps;
  }

  /**
   * Reads the {@code Authenticated} answering {@link #request}: each stream's current position becomes its start
   * (first connection) or the end of its replay (resume).
   *
   * @return how many streams the node did not recover entirely (resume), or refused (either): what they missed
   *     will show as lost
   */
  int answered(boolean resume, JsonObject authenticated) {
    JsonObject streams = authenticated.getValue("streams") instanceof JsonObject s ? s : new JsonObject();
    int notRecovered = 0;
    for (Map.Entry<String, ReceivedOffsets> entry : cursors.entrySet()) {
      String name = wireName(entry.getKey());
      ReceivedOffsets cursor = entry.getValue();
      JsonObject answer = !resume && name.equals("user") ? authenticated
          : streams.getValue(name) instanceof JsonObject a ? a : null;
      if (answer == null || answer.containsKey("error")) {
        notRecovered++;
        continue;
      }
      String epoch = answer.getValue("epoch") instanceof String e ? e : null;
      long offset = answer.getValue("offset") instanceof Number n ? n.longValue() : 0;
      if (!resume) {
        cursor.started(epoch, offset);
        continue;
      }
      // From offset 0 into a stream still empty there was nothing to miss, whatever "recovered" says.
      boolean nothingToMiss = cursor.position(resumeFrom) == 0 && offset == 0;
      if (!Boolean.TRUE.equals(answer.getValue("recovered")) && !nothingToMiss) {
        notRecovered++;
      }
      if (epoch != null) {
        cursor.resumed(epoch, offset);
      }
    }
    return notRecovered;
  }

  /** A notification of the stream at this position (null epoch: none) arrived: what it was for the receiver. */
  ReceivedOffsets.Arrival arrived(String stream, String epoch, long offset) {
    ReceivedOffsets cursor = cursors.get(stream);
    return cursor == null || epoch == null ? ReceivedOffsets.Arrival.NEW : cursor.arrived(epoch, offset);
  }
}
