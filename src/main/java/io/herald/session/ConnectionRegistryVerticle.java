package io.herald.session;

import io.herald.runtime.NodeInfo;
import io.herald.config.LimitsOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/**
 * Admission of authenticated connections on this node: enforces {@code max_connections} across every socket
 * verticle instance, and counts connections and users for {@code /health}. It also admits connections not yet
 * authenticated ({@code /ws} and bridge), against {@code max_unauthenticated_connections} and
 * {@code max_unauthenticated_per_address}, from their upgrade until they authenticate or close. The counts live on
 * this verticle's event loop only; socket verticles ask over the (node-local) event bus, so the check and the
 * registration are one step and no state is shared between threads. The per-user limit is fleet-wide and
 * lives in the session store.
 */
public final class ConnectionRegistryVerticle extends VerticleBase {

  /** Failure code of a refused admission (the close code the socket verticle then sends). */
  public static final int REFUSED = 4029;

  private final LimitsOptions limits;
  private final NodeInfo node;
  private final Map<String, Integer> perUser = new HashMap<>();
  private int total;
  /** Connections not yet authenticated, per client address, and their total. */
  private final Map<String, Integer> unauthenticatedPerAddress = new HashMap<>();
  private int unauthenticated;

  public ConnectionRegistryVerticle(LimitsOptions limits, NodeInfo node) {
    this.limits = limits;
    this.node = node;
  }

  @Override
  public Future<?> start() {
    io.micrometer.core.instrument.Gauge.builder("herald_connections", () -> total)
        .description("Authenticated connections open on this node").register(node.metrics().registry());
    io.micrometer.core.instrument.Gauge.builder("herald_connected_users", perUser::size)
        .description("Distinct users with a connection on this node").register(node.metrics().registry());
    io.micrometer.core.instrument.Gauge.builder("herald_unauthenticated_connections", () -> unauthenticated)
        .description("Connections on this node not yet authenticated (/ws and bridge)").register(node.metrics().registry());
    return Future.all(
        vertx.eventBus().<JsonObject>localConsumer(node.admitAddress(), this::admit).completion(),
        vertx.eventBus().<JsonObject>localConsumer(node.releaseAddress(), this::release).completion(),
        vertx.eventBus().<JsonObject>localConsumer(node.unauthenticatedAdmitAddress(), this::admitUnauthenticated).completion(),
        vertx.eventBus().<JsonObject>localConsumer(node.unauthenticatedReleaseAddress(), this::releaseUnauthenticated).completion(),
        vertx.eventBus().<JsonObject>localConsumer(node.connectionStatsAddress(),
            m -> m.reply(new JsonObject().put("connections", total).put("users", perUser.size()))).completion());
  }

  private void admit(Message<JsonObject> message) {
    String key = key(message.body());
    if (total >= limits.getMaxConnections()) {
      message.fail(REFUSED, "node connection limit reached (" + limits.getMaxConnections() + ")");
      return;
    }
    perUser.merge(key, 1, Integer::sum);
    total++;
    message.reply(new JsonObject());
  }

  private void release(Message<JsonObject> message) {
    if (decrement(perUser, key(message.body()))) {
      total--;
    }
  }

  private void admitUnauthenticated(Message<JsonObject> message) {
    String address = String.valueOf(message.body().getString("address"));
    if (unauthenticated >= limits.getMaxUnauthenticatedConnections()) {
      message.fail(REFUSED, "too many unauthenticated connections on this node ("
          + limits.getMaxUnauthenticatedConnections() + ")");
      return;
    }
    int fromAddress = unauthenticatedPerAddress.getOrDefault(address, 0);
    if (fromAddress >= limits.getMaxUnauthenticatedPerAddress()) {
      message.fail(REFUSED, "too many unauthenticated connections from one address ("
          + limits.getMaxUnauthenticatedPerAddress() + ")");
      return;
    }
    unauthenticatedPerAddress.put(address, fromAddress + 1);
    unauthenticated++;
    message.reply(new JsonObject());
  }

  private void releaseUnauthenticated(Message<JsonObject> message) {
    if (decrement(unauthenticatedPerAddress, String.valueOf(message.body().getString("address")))) {
      unauthenticated--;
    }
  }

  /** Takes one from the key's count (removing it at zero); false when the key held nothing. */
  private static boolean decrement(Map<String, Integer> counts, String key) {
    Integer current = counts.get(key);
    if (current == null) {
      return false;
    }
    if (current <= 1) {
      counts.remove(key);
    } else {
      counts.put(key, current - 1);
    }
    return true;
  }

  private static String key(JsonObject body) {
    return body.getString("tenant") + "\u0000" + body.getString("user_id");
  }
}
