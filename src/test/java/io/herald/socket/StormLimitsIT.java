package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.BlockingWsClient;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.NodeGroups;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection and subscription storms against a real node: the node-wide and per-address caps on connections not yet
 * authenticated ({@code /ws} upgrades refused with 503, bridge sockets closed with 4029), counted exactly across
 * socket verticle instances and freed when a connection authenticates or closes; {@code X-Forwarded-For} believed
 * only from a trusted proxy; and the per-connection budget of topic changes on {@code /ws} and on the bridge. Clients
 * bind distinct loopback source addresses (127.0.0.x) to be distinct addresses.
 */
@Timeout(60)
class StormLimitsIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final NodeGroups NODES = new NodeGroups();

  private static TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    return NODES.node(group, customise);
  }

  @AfterAll
  static void stopNodes() {
    NODES.close();
  }

  // ---------------------------------------------------------------- helpers

  /** An unauthenticated /ws connection from {@code source}; the upgrade must be accepted. */
  private static BlockingWsClient ws(TestNode node, String source) {
    return BlockingWsClient.connect(node.port(), "/ws", source);
  }

  /**
   * An unauthenticated raw bridge socket from {@code source}, asserted open and tracked: a frame of an
   * unauthenticated socket is answered with {@code err}, a refused socket is closed instead.
   */
  private static BlockingWsClient bridge(TestNode node, String source) {
    BlockingWsClient client = BlockingWsClient.connect(node.port(), "/eventbus/websocket", source);
    client.sendText(new JsonObject().put("type", "register").put("address", "herald.user.default.x").encode());
    assertEquals("err", new JsonObject(client.nextMessage(T)).getString("type"));
    return client;
  }

  private static int upgrade(TestNode node, String source) {
    return BlockingWsClient.upgradeStatus(node.port(), "/ws", source);
  }

  /** Asserts that a bridge socket from {@code source} is refused: closed with 4029 right after its creation. */
  private static void assertBridgeRefused(TestNode node, String source) {
    try (BlockingWsClient refused = BlockingWsClient.connect(node.port(), "/eventbus/websocket", source)) {
      assertEquals(4029, refused.awaitCloseCode(T), "bridge socket from " + source);
    }
  }

  /** Retries an unauthenticated /ws connection from {@code source} until it is accepted, and returns it. */
  private static BlockingWsClient awaitAccepted(TestNode node, String source, String after) {
    AtomicReference<BlockingWsClient> accepted = new AtomicReference<>();
    Await.until(() -> {
      try {
        accepted.set(ws(node, source));
        return true;
      } catch (AssertionError refused) {
        return false;
      }
    }, T, "an upgrade from " + source + " accepted " + after);
    return accepted.get();
  }

  private static void closeAll(List<BlockingWsClient> clients) {
    clients.forEach(BlockingWsClient::close);
  }

  // ---------------------------------------------------------------- unauthenticated connections

  @Test
  void theNodeWideCapCountsWsAndBridgeAcrossSocketVerticlesAndFreesSlotsOnAuthenticationOrClose() {
    TestNode node = node("node-cap", o -> o.server(server -> server.setInstances(3))
        .limits(limits -> limits.setMaxUnauthenticatedConnections(4).setMaxUnauthenticatedPerAddress(4)));
    List<BlockingWsClient> open = new ArrayList<>();
    try {
      // Authenticated at once (token in the URL): it holds no slot afterwards.
      try (BridgeWsClient authenticated = BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + node.token("ann"))) {
        assertEquals("Pong", authenticated.call("herald.client.ping", new JsonObject()).getString("type"));
        BlockingWsClient first = ws(node, "127.0.1.1");
        open.add(first);
        open.add(ws(node, "127.0.1.2"));
        open.add(bridge(node, "127.0.1.3"));
        open.add(bridge(node, "127.0.1.4"));
        // Four connections spread over three socket verticles: the fifth is refused however it lands.
        for (int i = 0; i < 3; i++) {
          assertEquals(503, upgrade(node, "127.0.1.5"), "fifth unauthenticated upgrade, attempt " + i);
        }
        assertBridgeRefused(node, "127.0.1.5");

        first.close();
        open.remove(first);
        BlockingWsClient authenticating = awaitAccepted(node, "127.0.1.5", "after one closed");
        open.add(authenticating);
        assertEquals(503, upgrade(node, "127.0.1.6"), "the cap full again");

        authenticating.sendText(new JsonObject().put("type", "Authenticate").put("token", node.token("bob"))
            .put("device", "Dashboard").encode());
        assertEquals("Authenticated", new JsonObject(authenticating.nextMessage(T)).getString("type"));
        open.add(awaitAccepted(node, "127.0.1.6", "after one authenticated"));
      }
    } finally {
      closeAll(open);
    }
  }

  @Test
  void thePerAddressCapRefusesOneAddressAndLetsOthersIn() {
    TestNode node = node("address-cap", o -> o.limits(limits -> limits.setMaxUnauthenticatedConnections(100).setMaxUnauthenticatedPerAddress(2)));
    List<BlockingWsClient> open = new ArrayList<>();
    try {
      BlockingWsClient first = ws(node, "127.0.2.1");
      open.add(first);
      open.add(bridge(node, "127.0.2.1"));
      assertEquals(503, upgrade(node, "127.0.2.1"), "third unauthenticated connection from one address");
      assertBridgeRefused(node, "127.0.2.1");
      // Other addresses are not affected.
      open.add(ws(node, "127.0.2.2"));
      open.add(bridge(node, "127.0.2.2"));
      open.add(ws(node, "127.0.2.3"));

      first.close();
      open.remove(first);
      open.add(awaitAccepted(node, "127.0.2.1", "after one of that address closed"));
    } finally {
      closeAll(open);
    }
  }

  @Test
  void xForwardedForIsBelievedOnlyFromATrustedProxy() {
    TestNode node = node("proxy", o -> o.limits(limits -> limits.setMaxUnauthenticatedPerAddress(1))
        .access(access -> access.setTrustedProxies(List.of("127.0.3.0/28"))));
    List<BlockingWsClient> open = new ArrayList<>();
    try {
      // From an untrusted peer the header is ignored: both count as 127.0.3.100.
      open.add(BlockingWsClient.connect(node.port(), "/ws", "127.0.3.100", Map.of("X-Forwarded-For", "10.1.1.1")));
      assertEquals(503, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.3.100",
          Map.of("X-Forwarded-For", "10.2.2.2")));
      // From the proxy, each client is itself; an address the client wrote left of the proxy's is not believed.
      open.add(BlockingWsClient.connect(node.port(), "/ws", "127.0.3.1", Map.of("X-Forwarded-For", "10.1.1.1")));
      open.add(BlockingWsClient.connect(node.port(), "/ws", "127.0.3.2", Map.of("X-Forwarded-For", "10.2.2.2")));
      assertEquals(503, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.3.1",
          Map.of("X-Forwarded-For", "10.9.9.9, 10.1.1.1")), "10.1.1.1 again, behind a forged entry");
      // A chain of trusted proxies: the rightmost untrusted hop is the client.
      assertEquals(503, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.3.1",
          Map.of("X-Forwarded-For", "10.2.2.2, 127.0.3.5")), "10.2.2.2 again, through two proxies");
    } finally {
      closeAll(open);
    }
  }

  // ---------------------------------------------------------------- topic changes

  private static List<String> stormTopics(int count) {
    return IntStream.range(0, count).mapToObj(i -> "storm." + i).toList();
  }

  private static WsClient stormer(TestNode node, String user) {
    return node.connectWithToken(node.token(user, Duration.ofHours(1), null, List.of("storm.*")), "Dashboard");
  }

  @Test
  void aStormOfSubscribeAndUnsubscribeWith256TopicsIsRefusedThenClosed() {
    // A message rate far above the topic budget: only the topic budget can stop this storm.
    TestNode node = node("topics", o -> o.limits(limits -> limits.setRateLimitPerSec(1000).setRateLimitBurst(10)));
    JsonArray topics = new JsonArray(stormTopics(256));
    try (WsClient client = stormer(node, "storm")) {
      assertEquals(256, TestNode.subscribe(client, new JsonObject().put("topics", topics)).getJsonArray("topics").size());
      client.send(new JsonObject().put("type", "Unsubscribe").put("topics", topics));
      JsonObject refused = client.next();
      assertEquals("rate_limited", refused.getString("code"), refused.encode());
      client.send(new JsonObject().put("type", "GetStatus"));
      assertEquals(256, client.awaitType("Status", T).getJsonArray("topics").size(), "a refused Unsubscribe changes nothing");
      // More than rate_limit_burst (10) refusals in a row close the connection: the eleventh.
      for (int i = 0; i < 12 && !client.isClosed(); i++) {
        try {
          client.send(new JsonObject().put("type", "Unsubscribe").put("topics", topics));
        } catch (AssertionError closedMeanwhile) {
          // The close came before the twelfth send: what is asserted below.
          break;
        }
      }
      CloseInfo close = client.awaitClose(T);
      List<JsonObject> refusals = client.drain();
      refusals.forEach(frame -> assertEquals("rate_limited", frame.getString("code"), frame.encode()));
      assertEquals(4029, close.codeOr1006(), close.toString());
      assertEquals(10, refusals.size(), "refusals after the first, up to the close: " + refusals);
    }
  }

  @Test
  void theTopicBudgetRefillsAtItsRate() {
    TestNode node = node("topics-refill", o -> o.access(access -> access.setTopicChangesPerSec(20).setTopicChangesBurst(20))
            .limits(limits -> limits.setRateLimitPerSec(1000).setRateLimitBurst(10)));
    try (WsClient client = stormer(node, "refill")) {
      TestNode.subscribe(client, new JsonObject().put("topics", new JsonArray(stormTopics(20))));
      // The burst is spent: 20 more would need a second of refill, so even a slow machine finds them refused.
      List<String> twentyMore = IntStream.range(0, 20).mapToObj(i -> "storm.more." + i).toList();
      client.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray(twentyMore)));
      assertEquals("rate_limited", client.next().getString("code"), "the burst is spent");
      JsonObject one = new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add("storm.extra"));
      // One change is back after 50 ms at 20 per second.
      Await.until(() -> {
        client.send(one);
        return "Subscribed".equals(client.next().getString("type"));
      }, T, "a Subscribe allowed again");
    }
  }

  @Test
  void bridgeRegistrationsOfTopicAddressesDrawFromTheBudget() {
    TestNode node = node("bridge-topics", o -> o.access(access -> access.setTopicChangesPerSec(1).setTopicChangesBurst(3))
            .limits(limits -> limits.setRateLimitPerSec(1000).setRateLimitBurst(5)));
    String token = node.token("bridger", Duration.ofHours(1), null, List.of("storm.*"));
    try (BridgeWsClient c = BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + token)) {
      assertEquals("Pong", c.call("herald.client.ping", new JsonObject()).getString("type"));
      // The user's own address is not a topic: free.
      c.register("herald.user.default.bridger");
      for (int i = 0; i < 3; i++) {
        c.register("herald.topic.default.storm." + i);
      }
      c.register("herald.topic.default.storm.3");
      c.awaitError(T);
      assertEquals(List.of(), c.drain(), "only the fourth topic registration was refused");
      // A storm of changes: the budget refills one per second, so on a slow machine a few of these still pass and
      // reset the count of refusals in a row; the storm goes on until the persistent excess closes the socket.
      for (int i = 0; i < 200 && !c.isClosed(); i++) {
        try {
          c.unregister("herald.topic.default.storm." + (i % 3));
          c.register("herald.topic.default.storm." + (i % 3));
        } catch (AssertionError closedMeanwhile) {
          break;
        }
      }
      CloseInfo close = c.awaitClose(T);
      assertEquals(4029, close.codeOr1006(), close.toString());
      assertEquals("rate_limited", close.reason(), close.toString());
    }
  }
}
