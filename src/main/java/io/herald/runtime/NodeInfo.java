package io.herald.runtime;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Facts about this node shared read-only by its verticles, and the node-local event-bus addresses they
 * use to talk to each other.
 */
public record NodeInfo(String nodeId, Instant startedAt, Metrics metrics, AtomicBoolean draining,
                       AtomicBoolean isolated) {

  /** Why a draining node refuses connections and requests. */
  public static final String DRAINING = "node draining";
  /** Why an isolated node refuses connections and requests (see {@link #isIsolated()}). */
  public static final String ISOLATED = "node isolated from its fleet";

  public NodeInfo(String nodeId, Instant startedAt, Metrics metrics) {
    this(nodeId, startedAt, metrics, new AtomicBoolean(), new AtomicBoolean());
  }

  /** Whether the node is draining: /health answers 503 and new connections are refused. */
  public boolean isDraining() {
    return draining.get();
  }

  /**
   * Whether the node sees fewer members of its fleet than {@code cluster_min_members}: it serves nothing (no NATS
   * ingress, no HTTP ingress, no connections) until it sees enough again.
   */
  public boolean isIsolated() {
    return isolated.get();
  }

  /**
   * Why the node refuses new connections and ingress requests now ({@link #DRAINING}, {@link #ISOLATED}); null when
   * it serves.
   */
  public String unavailableReason() {
    return isDraining() ? DRAINING : isIsolated() ? ISOLATED : null;
  }

  /**
   * Sets whether the node is isolated and, on a change, tells this node's verticles (a node-local publish of the new
   * value on {@link #isolationAddress()}).
   *
   * @return false when the node already was in that state
   */
  public boolean setIsolated(boolean nowIsolated, EventBus eventBus) {
    if (isolated.getAndSet(nowIsolated) == nowIsolated) {
      return false;
    }
    eventBus.publish(isolationAddress(), nowIsolated, new DeliveryOptions().setLocalOnly(true));
    return true;
  }

  /**
   * Publish (node-local), body a boolean: true when the node became isolated (socket verticles close their connections
   * with 4012, the ingress stops taking from NATS), false when it rejoined its fleet (all comes back).
   */
  public String isolationAddress() {
    return "herald.node." + nodeId + ".isolation";
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
