package io.herald.session;

import io.herald.state.HistoryStore;
import io.herald.state.Replay;
import io.herald.state.StreamKey;
import io.vertx.core.Future;
import java.util.List;

/** Reads the part of a user stream a client missed, the same for {@code /ws} and the event-bus bridge. */
public final class ReplayReader {

  private ReplayReader() {
  }

  /**
   * Everything after {@code resume} (oldest first) when a position is given, or only the stream's current position
   * when {@code resume} is null. An offset of 0 means "seen nothing": any epoch matches.
   */
  public static Future<Replay> read(HistoryStore history, StreamKey stream, ResumePosition resume) {
    if (resume == null) {
      return history.current(stream).map(current -> new Replay(true, current, List.of()));
    }
    if (resume.lastOffset() <= 0) {
      // Nothing seen and nothing written yet (no stream, or an empty one): nothing was missed.
      return history.current(stream).compose(current -> current.offset() == 0
          ? Future.succeededFuture(new Replay(true, current, List.of()))
          : history.since(stream, current.epoch(), 0));
    }
    return history.since(stream, resume.epoch(), resume.lastOffset());
  }
}
