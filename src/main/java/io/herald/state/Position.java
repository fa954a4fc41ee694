package io.herald.state;

/**
 * Where a notification sits in its stream. The offset grows by one per notification appended to the stream;
 * the epoch is a random token that changes whenever the stream's past may have been lost (the key expired,
 * Redis was flushed or replaced), so a position from a lost history is recognisably stale.
 */
public record Position(String epoch, long offset) {
}
