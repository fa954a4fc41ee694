package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.BlockingWsClient;
import io.herald.testkit.NodeGroups;
import io.herald.testkit.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection attempts and bridge sessions against a real node, from distinct loopback addresses (127.0.0.x): the
 * per-address rate of attempts ({@code upgrade_rate_per_sec}, {@code upgrade_rate_burst}) shared by {@code /ws}
 * upgrades, raw bridge upgrades and requests creating a SockJS session, refused with 429 and {@code Retry-After} and
 * refilled with time, while another address and an existing session's polls pass; the node's cap on vertx-web's SockJS
 * sessions ({@code max_sockjs_sessions}, 503 before the session exists); and the per-address cap on bridge sockets,
 * authenticated or not ({@code max_sockjs_sessions_per_address}, 4029), freed when one closes.
 */
@Timeout(60)
class AttemptLimitsIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final NodeGroups NODES = new NodeGroups();

  private static TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    return NODES.node(group, customise);
  }

  /** A node whose addresses may make 3 attempts at once, then one a second. */
  private static TestNode rateNode() {
    return node("rate", o -> o.limits(limits -> limits.setUpgradeRatePerSec(1).setUpgradeRateBurst(3)));
  }

  @AfterAll
  static void stopNodes() {
    NODES.close();
  }

  /** An HTTP response head (status line and headers) as text. */
  private static String request(TestNode node, String source, String request) {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
      socket.connect(new InetSocketAddress("127.0.0.1", node.port()), 5000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b == -1) {
          throw new AssertionError("closed before the response head: " + head);
        }
        head.append((char) b);
      }
      return head.toString();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The response head to an XHR-polling request of the SockJS session {@code session} (creating it when new). */
  private static String xhr(TestNode node, String source, String session) {
    return request(node, source, "POST /eventbus/000/" + session + "/xhr HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: 0\r\n\r\n");
  }

  /**
   * Makes the session {@code session} have something to poll (an {@code err} answer to a registration without a
   * token), so that its next XHR poll is answered at once instead of held open.
   */
  private static void giveSomethingToPoll(TestNode node, String source, String session) {
    String body = "[\"{\\\"type\\\":\\\"register\\\",\\\"address\\\":\\\"herald.user.default.x\\\"}\"]";
    String head = request(node, source, "POST /eventbus/000/" + session + "/xhr_send HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
    assertEquals(204, status(head), head);
  }

  private static int status(String head) {
    return Integer.parseInt(head.substring(9, 12));
  }

  private static void assertTooManyAttempts(String head) {
    assertEquals(429, status(head), head);
    assertTrue(head.toLowerCase().contains("retry-after: 1\r\n"), head);
  }

  // ---------------------------------------------------------------- rate of attempts

  @Test
  void wsUpgradesOverTheAddressRateAreRefusedWith429WhileAnotherAddressPassesAndTimeRefills() {
    TestNode node = rateNode();
    for (int i = 0; i < 3; i++) {
      assertEquals(101, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.0.2"), "attempt " + i);
    }
    assertTooManyAttempts(request(node, "127.0.0.2", "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    assertEquals(101, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.0.3"), "another address");
    Await.until(() -> BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.0.2") == 101, T,
        "an upgrade from 127.0.0.2 accepted once its bucket has refilled");
  }

  @Test
  void bridgeUpgradesAndNewSockJsSessionsDrawFromTheSameRateButPollsOfASessionDoNot() {
    TestNode node = rateNode();
    String session = UUID.randomUUID().toString();
    assertEquals(200, status(xhr(node, "127.0.0.4", session)), "a new SockJS session");
    assertEquals(101, BlockingWsClient.upgradeStatus(node.port(), "/eventbus/websocket", "127.0.0.4"));
    assertEquals(101, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.0.4"));
    // The address's three attempts are spent, on all three kinds.
    assertTooManyAttempts(xhr(node, "127.0.0.4", UUID.randomUUID().toString()));
    assertEquals(429, BlockingWsClient.upgradeStatus(node.port(), "/eventbus/websocket", "127.0.0.4"));
    assertEquals(429, BlockingWsClient.upgradeStatus(node.port(), "/ws", "127.0.0.4"));
    // A poll of the session it has is no attempt: it is answered.
    giveSomethingToPoll(node, "127.0.0.4", session);
    assertEquals(200, status(xhr(node, "127.0.0.4", session)), "a poll of an existing session");
  }

  // ---------------------------------------------------------------- SockJS sessions

  @Test
  void aRequestCreatingOneSockJsSessionOverTheNodeCapIsRefusedWith503BeforeItExists() {
    TestNode node = node("sessions", o -> o.limits(limits -> limits.setMaxSockjsSessions(2)
        .setMaxSockjsSessionsPerAddress(2)));
    String first = UUID.randomUUID().toString();
    assertEquals(200, status(xhr(node, "127.0.0.6", first)));
    assertEquals(200, status(xhr(node, "127.0.0.7", UUID.randomUUID().toString())));
    String refused = xhr(node, "127.0.0.8", UUID.randomUUID().toString());
    assertEquals(503, status(refused), refused);
    assertTrue(refused.toLowerCase().contains("retry-after: 1\r\n"), refused);
    // The sessions that exist are still served.
    giveSomethingToPoll(node, "127.0.0.6", first);
    assertEquals(200, status(xhr(node, "127.0.0.6", first)));
  }

  @Test
  void bridgeSocketsOverTheAddressCapAreClosedWith4029AuthenticatedOrNotAndAClosedOneFreesItsSlot() {
    TestNode node = node("per-address", o -> o.limits(limits -> limits.setMaxSockjsSessionsPerAddress(2)));
    List<BlockingWsClient> open = new ArrayList<>();
    try {
      BlockingWsClient authenticated = BlockingWsClient.connect(node.port(),
          "/eventbus/websocket?token=" + node.token("per-address-user"), "127.0.0.9");
      open.add(authenticated);
      // Authenticated: its status answers.
      authenticated.sendText(new JsonObject().put("type", "send").put("address", "herald.client.ping")
          .put("replyAddress", "r1").put("body", new JsonObject()).encode());
      assertEquals("r1", new JsonObject(authenticated.nextMessage(T)).getString("address"));
      BlockingWsClient unauthenticated = BlockingWsClient.connect(node.port(), "/eventbus/websocket", "127.0.0.9");
      open.add(unauthenticated);
      try (BlockingWsClient third = BlockingWsClient.connect(node.port(), "/eventbus/websocket", "127.0.0.9")) {
        assertEquals(4029, third.awaitCloseCode(T), "a third bridge socket from 127.0.0.9");
      }
      open.add(BlockingWsClient.connect(node.port(), "/eventbus/websocket", "127.0.0.10"));
      unauthenticated.close();
      Await.until(() -> {
        BlockingWsClient again = BlockingWsClient.connect(node.port(), "/eventbus/websocket", "127.0.0.9");
        again.sendText(new JsonObject().put("type", "ping").encode());
        boolean kept;
        try {
          again.sendText(new JsonObject().put("type", "register").put("address", "herald.user.default.x").encode());
          kept = "err".equals(new JsonObject(again.nextMessage(T)).getString("type"));
        } catch (AssertionError closed) {
          kept = false;
        }
        if (kept) {
          open.add(again);
        } else {
          again.close();
        }
        return kept;
      }, T, "a bridge socket from 127.0.0.9 accepted once one of its two closed");
    } finally {
      open.forEach(BlockingWsClient::close);
    }
  }
}
