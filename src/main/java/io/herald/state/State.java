package io.herald.state;

/**
 * The state stores one verticle uses: Redis-backed in a fleet, in memory on an embedded single node, behind
 * the same interfaces so the socket and ingress code have one path.
 *
 * @param recorder the ingress's writes, over the same keys as {@code history} and {@code inbox}
 * @param release  closes what was opened for this verticle (its Redis client); called from the verticle's stop
 */
public record State(SessionStore sessions, HistoryStore history, InboxStore inbox, MetricsStore metrics,
    NotificationRecorder recorder, Runnable release) {

  /**
   * Stores whose calls complete at once (in memory), with the recorder made of their history and inbox stores
   * ({@link ComposedNotificationRecorder}).
   */
  public State(SessionStore sessions, HistoryStore history, InboxStore inbox, MetricsStore metrics, Runnable release) {
    this(sessions, history, inbox, metrics, new ComposedNotificationRecorder(history, inbox), release);
  }
}
