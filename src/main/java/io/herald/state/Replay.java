package io.herald.state;

import java.util.List;

/**
 * The answer to a recovery request.
 *
 * @param recovered true when {@code missed} is exactly everything after the requested position; false when the
 *                  epoch is not the stream's current one or the position is older than what history keeps (the
 *                  client must reload from its API); {@code missed} is then the whole retained history
 * @param current   the stream's current position (epoch and last offset; offset 0 for an empty stream)
 * @param missed    the notifications after the requested position, oldest first
 */
public record Replay(boolean recovered, Position current, List<StoredNotification> missed) {
}
