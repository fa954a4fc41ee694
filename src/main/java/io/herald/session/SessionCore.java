package io.herald.session;

import io.herald.auth.Authenticator;
import io.herald.config.HeraldOptions;
import io.herald.protocol.CloseCode;
import io.herald.runtime.NodeInfo;
import io.herald.state.State;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;

/**
 * The session core of one socket verticle: everything its transports ({@code /ws}, the SockJS bridge) share, each
 * concern in its own class — {@link SessionLifecycle} (authenticate, admit, expire, re-check, sweep, close, release),
 * {@link AddressRegistry} (one consumer per address for all sessions), {@link ReplayCoordinator} (user stream start,
 * replay, offline queue, InitialState), {@link Delivery} (hold, dedupe, sequence, filter, count) and
 * {@link BoundedWriter} (the slow-client rule). Everything runs on the verticle's event loop.
 */
public final class SessionCore {

  private final State state;
  private final NodeInfo node;
  private final HourlyCounters hourly = new HourlyCounters();
  private final BoundedWriter writer;
  private final Delivery delivery;
  private final AddressRegistry registry;
  private final SessionLifecycle lifecycle;
  private final ReplayCoordinator replay;

  public SessionCore(Vertx vertx, HeraldOptions options, NodeInfo node, State state, Authenticator authenticator,
                     Admission admission) {
    this.state = state;
    this.node = node;
    // The writer and the delivery close slow clients through the lifecycle, which is built last.
    BoundedWriter.Closer closer = this::closeSlow;
    this.writer = new BoundedWriter(vertx, node, options.limits().getSlowClientMaxPending(), options.limits().getSlowClientGraceSecs(), closer);
    this.delivery = new Delivery(vertx, node, hourly, writer, options.limits().getSlowClientMaxPending(), closer,
        new StreamGapFill(state.history()));
    this.registry = new AddressRegistry(vertx, delivery);
    this.lifecycle = new SessionLifecycle(vertx, options.limits(), options.auth(), options.access(), node, state, authenticator, admission, hourly, registry, writer,
        options.state().isPositionCheck() ? delivery::checkPositions : slice -> { });
    this.replay = new ReplayCoordinator(vertx, options.state(), node, state, registry, delivery, writer);
  }

  private void closeSlow(Session s, CloseCode code, String detail) {
    lifecycle.close(s, code, null, detail);
  }

  public SessionLifecycle lifecycle() {
    return lifecycle;
  }

  public AddressRegistry addresses() {
    return registry;
  }

  public ReplayCoordinator replay() {
    return replay;
  }

  public BoundedWriter writer() {
    return writer;
  }

  /** Adds this verticle's hourly counters to the metrics store and starts them again from zero. */
  public Future<Void> flushMetrics() {
    return hourly.flushTo(state.metrics(), Instant.now()).onFailure(e -> node.metrics().stateFailure("metrics"));
  }
}
