package io.herald.session;

import io.herald.state.StreamKey;

/**
 * What a session keeps of one history stream it receives — its user stream, a topic, the broadcast: the positions
 * it has written (a second copy is dropped), the sequencer that writes the stream in offset order, and the pending
 * read of a gap ({@link StreamGapFill}). The user stream's lives as long as the session; a topic's or the
 * broadcast's is made at the stream's first positioned notification or replay and goes, its timer cancelled, when
 * the session leaves the stream's address ({@link AddressRegistry#leave}). Owned by the session's event loop.
 */
final class OrderedStream {

  /** The history stream, null for the user stream (its key is the session's user's, known once authenticated). */
  final StreamKey key;
  final StreamSequencer sequencer = new StreamSequencer();
  /** Reads the sequencer's gap from history when it did not fill in time. */
  long reorderTimer = Session.NO_TIMER;
  /** A read of the gap is in flight: no other is started meanwhile. */
  boolean gapFillInFlight;
  /** The positions written; null until the first (an idle connection keeps none). */
  private WrittenOffsets written;

  OrderedStream(StreamKey key) {
    this.key = key;
  }

  /** Records the position as written; false when it already was, so the caller drops this copy. */
  boolean markFirst(String epoch, long offset) {
    if (written == null) {
      written = new WrittenOffsets();
    }
    return written.markFirst(epoch, offset);
  }
}
