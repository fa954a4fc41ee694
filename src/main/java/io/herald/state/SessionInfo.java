package io.herald.state;

import io.herald.model.Filters;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One connection as operators see it in Redis ({@code <prefix>:connections:<connection id>}).
 */
public record SessionInfo(String tenant, String userId, String connectionId, String device, Instant connectedAt,
                          Instant lastPing, String ipAddress, String userAgent, Filters filters, String nodeId) {

  /** The JSON stored at {@code <prefix>:connections:<id>}, in the shape existing tools read. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("user_id", userId)
        .put("tenant_id", tenant)
        .put("connection_id", connectionId)
        .put("device", device)
        .put("connected_at", connectedAt.toString())
        .put("last_ping", lastPing.toString())
        .put("ip_address", ipAddress)
        .put("user_agent", userAgent)
        .put("filters", filters.toJson())
        .put("node_id", nodeId);
  }
}
