package io.herald.state;

/**
 * The outcome of appending a notification to a user's history.
 *
 * @param position where it was appended
 * @param queued   true when the user had no live session anywhere in the fleet, so it was also put in the
 *                 offline queue
 */
public record AppendResult(Position position, boolean queued) {
}
