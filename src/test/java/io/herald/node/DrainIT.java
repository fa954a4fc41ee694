package io.herald.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The admin drain: admin_key only, health 503, clients closed with 1001, new upgrades refused. */
class DrainIT {

  private static final String ADMIN_KEY = "test-admin-key-0123456789abcdef";

  @Test
  void drainClosesClientsWith1001AndTurnsHealthTo503() {
    try (TestNode node = TestNode.start(TestNode.options().api(api -> api.setAdminKey(ADMIN_KEY)));
         WsClient first = node.connect("drain-a");
         WsClient second = node.connect("drain-b")) {
      assertEquals(200, node.get("/health").status());
      assertEquals(401, node.post("/admin/drain", "", "wrong-key-wrong-key").status());
      assertEquals(401, node.post("/admin/drain", "", null).status());
      // The publishers' key opens the HTTP ingress, never the operator routes.
      assertEquals(401, node.post("/admin/drain", "", TestNode.API_KEY).status());
      assertEquals(200, node.get("/health").status(), "an unauthorised drain request must not drain");

      TestNode.HttpResult drained = node.post("/admin/drain", "", ADMIN_KEY);
      assertEquals(202, drained.status());

      for (WsClient client : new WsClient[] {first, second}) {
        CloseInfo close = client.awaitClose(Duration.ofSeconds(5));
        assertEquals((short) 1001, close.code());
        assertTrue(close.reason().contains("reconnect"), close.reason());
      }
      TestNode.HttpResult health = node.get("/health");
      assertEquals(503, health.status());
      assertEquals("draining", health.json().getString("status"));
      int status = WsClient.upgradeStatus(node.vertx(),
          new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port()).setURI("/ws"));
      assertEquals(503, status);
    }
  }

  @Test
  void withoutAnAdminKeyTheOperatorRoutesAreOff() {
    try (TestNode node = TestNode.start()) {
      TestNode.HttpResult refused = node.post("/admin/drain", "", TestNode.API_KEY);
      assertEquals(403, refused.status(), refused.body());
      assertTrue(refused.body().contains("admin_key"), refused.body());
      assertEquals(403, node.post("/admin/drain", "", null).status());
      assertEquals(200, node.get("/health").status(), "not drained");
    }
  }
}
