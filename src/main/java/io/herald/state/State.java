package io.herald.state;

/**
 * The state stores one verticle uses: Redis-backed in a fleet, in memory on an embedded single node, behind
 * the same interfaces so the socket and ingress code have one path.
 *
 * @param release closes what was opened for this verticle (its Redis client); called from the verticle's stop
 */
public record State(SessionStore sessions, HistoryStore history, InboxStore inbox, MetricsStore metrics, Runnable release) {
}
