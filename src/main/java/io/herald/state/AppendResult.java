package io.herald.state;

/**
 * The outcome of appending a notification to a user's history.
 *
 * @param position  where it was appended
 * @param queued    true when the user had no live session anywhere in the fleet, so it was also put in the
 *                  offline queue
 * @param duplicate true when a notification of the same id was already in the stream's retained entries: nothing
 *                  was written, and {@code position} is where the first one was appended
 */
public record AppendResult(Position position, boolean queued, boolean duplicate) {
}
