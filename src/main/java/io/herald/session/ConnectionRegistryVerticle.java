package io.herald.session;

import io.herald.runtime.NodeInfo;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * The event loop of the node's {@link ConnectionRegistry}: admission of authenticated connections against
 * {@code max_connections} across every socket verticle instance, and of connections not yet authenticated ({@code /ws}
 * and bridge) against {@code max_unauthenticated_connections} and {@code max_unauthenticated_per_address}, of bridge
 * sockets per client address, of connection attempts per client address and of HTTP API requests per key. It also
 * answers the counts of connections and users for {@code /health}, and shows them as gauges. The per-user limit is
 * fleet-wide and lives in the session store.
 */
public final class ConnectionRegistryVerticle extends VerticleBase {

  private final ConnectionRegistry registry;
  private final NodeInfo node;

  public ConnectionRegistryVerticle(ConnectionRegistry registry, NodeInfo node) {
    this.registry = registry;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    registry.bind(context);
    Gauge.builder("herald_connections", registry::connections)
        .description("Authenticated connections open on this node").register(node.metrics().registry());
    Gauge.builder("herald_connected_users", registry::users)
        .description("Distinct users with a connection on this node").register(node.metrics().registry());
    Gauge.builder("herald_unauthenticated_connections", registry::unauthenticated)
        .description("Connections on this node not yet authenticated (/ws and bridge)").register(node.metrics().registry());
    return vertx.eventBus().<JsonObject>localConsumer(node.connectionStatsAddress(),
        m -> m.reply(new JsonObject().put("connections", registry.connections()).put("users", registry.users()))).completion();
  }
}
