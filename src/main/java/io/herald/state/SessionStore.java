package io.herald.state;

import io.vertx.core.Future;

/**
 * Fleet-wide sessions: the set of a user's connection ids ({@code <prefix>:sessions:<u>}) and each connection's
 * metadata ({@code <prefix>:connections:<id>}, JSON, TTL {@code sessionTtlSecs} refreshed by {@link #touch}).
 * Ids whose metadata expired (their node died) are removed from the set whenever it is counted.
 */
public interface SessionStore {

  /**
   * Admits and registers the connection in one atomic step: true when the user had fewer than
   * {@code maxPerUser} live sessions fleet-wide (the session is now registered), false otherwise (nothing
   * written). Two nodes racing can never both admit the connection over the limit.
   */
  Future<Boolean> register(SessionInfo session, int maxPerUser);

  /** Rewrites the metadata (new last_ping, filters) and refreshes its TTL; recreates it if it expired. */
  Future<Void> touch(SessionInfo session);

  /** Removes the connection's metadata and its id from the user's set. */
  Future<Void> unregister(String tenant, String userId, String connectionId);

  /** Live sessions of the user fleet-wide (after removing expired ids). */
  Future<Integer> count(String tenant, String userId);
}
