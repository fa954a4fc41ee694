package io.herald.node;

import java.time.Instant;

/**
 * Facts about this node shared read-only by its verticles, and the node-local event-bus addresses they
 * use to talk to each other.
 */
public record NodeInfo(String nodeId, Instant startedAt, Metrics metrics) {

  /** Request: {@code {tenant, user_id}}; reply: empty object, or failure 4029 naming the limit. */
  public String admitAddress() {
    return "herald.node." + nodeId + ".admit";
  }

  /** Send: {@code {tenant, user_id}}: one admitted connection has gone. */
  public String releaseAddress() {
    return "herald.node." + nodeId + ".release";
  }

  /** Request: nothing; reply: {@code {connections, users}}. */
  public String connectionStatsAddress() {
    return "herald.node." + nodeId + ".connections";
  }

  /** Request: the raw body of {@code POST /api/v1/notifications}; reply {@code {ids:[...]}} or failure 400. */
  public String httpIngressAddress() {
    return "herald.node." + nodeId + ".ingress.http";
  }

  /** Request: nothing; reply: {@code {redis: {...}, nats: {...}}} dependency states. */
  public String ingressStatusAddress() {
    return "herald.node." + nodeId + ".ingress.status";
  }
}
