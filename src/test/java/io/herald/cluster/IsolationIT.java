package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.ClusterFleet;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A clustered node below its quorum ({@code cluster_min_members} 2, alone in its cluster) serves nothing: {@code /health},
 * the HTTP ingress and upgrades answer 503 and it stays out of the core NATS queue group (another member of the group
 * gets every message); once a second node joins, it serves and takes from the queue group again.
 */
@Timeout(120)
class IsolationIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aNodeBelowItsQuorumServesNothingAndServesOnceTheQuorumJoins() throws Exception {
    HeraldOptions options = TestNode.options()
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .cluster(cluster -> cluster.setCluster(true).setClusterMinMembers(2));
    String name = "herald-isolation-" + UUID.randomUUID();
    int port = ClusterFleet.freePortRange(2);
    String members = "127.0.0.1:" + port + ",127.0.0.1:" + (port + 1);
    HeraldOptions optionsOfA = new HeraldOptions(options);
    optionsOfA.server().setNodeId("A");
    TestNode a = TestNode.start(optionsOfA, new ClusterSettings(name, members, "127.0.0.1", port, null)
        .startVertx(new VertxOptions()).await(60, TimeUnit.SECONDS));
    TestNode b = null;
    try (Connection nats = Nats.connect(TestNode.NATS_URL)) {
      Await.until(a.node().info()::isIsolated, WAIT, "A alone is isolated");
      TestNode.HttpResult health = a.get("/health");
      assertEquals(503, health.status(), health.body());
      JsonObject body = health.json();
      assertEquals("isolated", body.getString("status"), health.body());
      assertEquals("node isolated from its fleet", body.getString("reason"), health.body());
      assertEquals(new JsonObject().put("members", 1).put("min_members", 2).put("isolated", true),
          body.getJsonObject("cluster"), health.body());
      TestNode.HttpResult ingress = a.post("/api/v1/notifications",
          new JsonObject().put("user_id", "iso-user").put("message", "refused").encode(), TestNode.API_KEY);
      assertEquals(503, ingress.status(), ingress.body());
      assertEquals(503, WsClient.upgradeStatus(a.vertx(),
          new WebSocketConnectOptions().setHost("127.0.0.1").setPort(a.port()).setURI("/ws")));

      // Out of the queue group: another member of it gets every message.
      String subject = options.ingress().getNatsSubject();
      Subscription other = nats.subscribe(subject, options.ingress().getNatsQueueGroup());
      nats.flush(Duration.ofSeconds(5));
      for (int i = 0; i < 20; i++) {
        nats.publish(subject, new JsonObject().put("user_id", "iso-user").put("message", "m" + i).encode()
            .getBytes(StandardCharsets.UTF_8));
      }
      for (int i = 0; i < 20; i++) {
        assertTrue(other.nextMessage(Duration.ofSeconds(5)) != null, "message " + i + " to the other group member");
      }
      assertEquals(0, accepted(a), "nothing taken from NATS while isolated");
      other.unsubscribe();

      // A second member: the quorum is reached, A serves and takes from the queue group again.
      HeraldOptions optionsOfB = new HeraldOptions(options);
      optionsOfB.server().setNodeId("B");
      b = TestNode.start(optionsOfB, new ClusterSettings(name, members, "127.0.0.1", port + 1, null)
          .startVertx(new VertxOptions()).await(60, TimeUnit.SECONDS));
      Await.until(() -> !a.node().info().isIsolated(), WAIT, "A back in service with B");
      assertEquals(200, a.get("/health").status(), "A serves");
      Await.until(() -> {
        nats.publish(subject, new JsonObject().put("user_id", "iso-user").put("message", "again").encode()
            .getBytes(StandardCharsets.UTF_8));
        return accepted(a) > 0;
      }, WAIT, "A takes from the queue group again");
      a.connect("iso-user").close(); // connect() asserts the upgrade and the Authenticated answer
    } finally {
      if (b != null) {
        b.close();
      }
      a.close();
    }
  }

  /** herald_ingress_accepted_total{source="nats"} of the node, 0 when not yet counted. */
  private static long accepted(TestNode node) {
    Matcher m = Pattern.compile("(?m)^herald_ingress_accepted_total\\{[^}]*source=\"nats\"[^}]*\\}\\s+([0-9.eE+-]+)$")
        .matcher(node.get("/metrics").body());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}
