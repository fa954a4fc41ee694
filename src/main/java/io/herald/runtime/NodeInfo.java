package io.herald.runtime;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Facts about this node shared read-only by its verticles, and the node-local event-bus addresses they
 * use to talk to each other.
 */
public record NodeInfo(String nodeId, Instant startedAt, Metrics metrics, AtomicBoolean draining) {

  public NodeInfo(String nodeId, Instant startedAt, Metrics metrics) {
    this(nodeId, startedAt, metrics, new AtomicBoolean());
  }

  /** Whether the node is draining: /health answers 503 and new connections are refused. */
  public boolean isDraining() {
    return draining.get();
  }

  /**
   * Starts draining once: sets the flag and tells every socket verticle of this node.
   *
   * @return false when the node was already draining
   */
  public boolean startDraining(EventBus eventBus) {
    if (!draining.compareAndSet(false, true)) {
      return false;
    }
    eventBus.publish(drainAddress(), null, new DeliveryOptions().setLocalOnly(true));
    return true;
  }

  /** Publish (node-local): every socket verticle closes its connections with 1001 and refuses new ones. */
  public String drainAddress() {
    return "herald.node." + nodeId + ".drain";
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
