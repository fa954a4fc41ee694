package io.herald.socket.bridge;

import static io.herald.socket.bridge.BridgeIT.notification;
import static io.herald.socket.bridge.BridgeIT.raw;
import static io.herald.socket.bridge.BridgeIT.registerAndSync;
import static io.herald.socket.bridge.BridgeIT.user;
import static io.herald.socket.bridge.BridgeIT.userAddress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.BridgeConnection;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The known weak spots of a SockJS event-bus bridge, each shown closed on a real node: client headers never reach a
 * consumer, replies cannot reach other addresses, nothing is written before the permission decision, the bridge's
 * address regex admits no other user's address, CORS only for allowed origins and only the WebSocket, XHR and
 * EventSource transports, and the idle timeout.
 */
@Timeout(60)
class BridgeSecurityIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(500);
  private static final String GOOD_ORIGIN = "https://app.example";
  private static final String EVIL_ORIGIN = "https://evil.example";

  private static TestNode node;
  private static TestNode strictNode;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options()
        .limits(limits -> limits.setHeartbeatIntervalSecs(1).setConnectionTimeoutSecs(2)));
    strictNode = TestNode.start(TestNode.options().access(access -> access.setAllowedOrigins(List.of(GOOD_ORIGIN))));
  }

  @AfterAll
  static void stop() {
    node.close();
    strictNode.close();
  }

  // ---------------------------------------------------------------- headers

  @Test
  void clientHeadersNeverReachAConsumerWhichSeesHeraldsOwn() {
    String user = user();
    List<MultiMap> seen = new CopyOnWriteArrayList<>();
    Handler<DeliveryContext<Object>> spy = ctx -> {
      if (ctx.message().address().startsWith("herald.client.")) {
        seen.add(MultiMap.caseInsensitiveMultiMap().addAll(ctx.message().headers()));
      }
      ctx.next();
    };
    node.vertx().eventBus().addInboundInterceptor(spy);
    try (BridgeWsClient c = raw(node, node.token(user))) {
      JsonObject forged = new JsonObject().put("token", node.token("mallory")).put("x-forged", "1")
          .put(ClientApi.HEADER_USER, "mallory").put(ClientApi.HEADER_TENANT, "acme");
      assertEquals(user, c.request(BridgeAddresses.STATUS, new JsonObject(), forged).getJsonObject("body").getString("user_id"));
      Await.until(() -> !seen.isEmpty(), T, "the request seen by the consumer");
      MultiMap headers = seen.get(0);
      assertEquals(Set.of(ClientApi.HEADER_TENANT, ClientApi.HEADER_USER, ClientApi.HEADER_CONNECTION, ClientApi.HEADER_OWNER),
          Set.copyOf(headers.names()), headers.toString());
      assertEquals(user, headers.get(ClientApi.HEADER_USER));
      assertEquals("default", headers.get(ClientApi.HEADER_TENANT));
    } finally {
      node.vertx().eventBus().removeInboundInterceptor(spy);
    }
  }

  // ---------------------------------------------------------------- replies

  @Test
  void aReplyLabelCannotNameAnAddressAndRepliesOnlyEverReachTheAskingSocket() {
    String user = user();
    String victim = user();
    try (BridgeWsClient c = raw(node, node.token(user));
         BridgeWsClient v = raw(node, node.token(victim))) {
      registerAndSync(v, userAddress(victim));
      c.send(BridgeAddresses.STATUS, new JsonObject(), null, userAddress(victim));
      assertEquals("rejected", c.awaitError(T).getString("body"));
      c.send(BridgeAddresses.STATUS, new JsonObject(), null, "__vertx.reply.1");
      assertEquals("rejected", c.awaitError(T).getString("body"));
      v.assertNothing(QUIET);
    }
  }

  @Test
  void aServerMessageReachesTheClientWithoutItsReplyAddressAndThatAddressCannotBeSentTo() {
    String user = user();
    List<String> replyAddresses = new CopyOnWriteArrayList<>();
    Handler<DeliveryContext<Object>> spy = ctx -> {
      if (ctx.message().address().equals(userAddress(user)) && ctx.message().replyAddress() != null) {
        replyAddresses.add(ctx.message().replyAddress());
      }
      ctx.next();
    };
    node.vertx().eventBus().addOutboundInterceptor(spy);
    try (BridgeWsClient c = raw(node, node.token(user))) {
      registerAndSync(c, userAddress(user));
      Future<Message<Object>> request = node.vertx().eventBus().request(userAddress(user),
          new JsonObject().put("type", "Probe"), new DeliveryOptions().setSendTimeout(1500));
      JsonObject rec = c.awaitOn(userAddress(user), T);
      assertEquals("Probe", rec.getJsonObject("body").getString("type"));
      assertFalse(rec.containsKey("replyAddress"), "the server's reply address is not passed on: " + rec.encode());
      assertEquals(1, replyAddresses.size());
      c.send(replyAddresses.get(0), new JsonObject().put("type", "Forged"), null, null);
      assertEquals("rejected", c.awaitError(T).getString("body"));
      Throwable failure = Await.result(request.map(m -> (Throwable) null).recover(Future::succeededFuture), T, "the request");
      assertInstanceOf(ReplyException.class, failure, "nobody replied");
      assertEquals(ReplyFailure.TIMEOUT, ((ReplyException) failure).failureType());
    } finally {
      node.vertx().eventBus().removeOutboundInterceptor(spy);
    }
  }

  // ---------------------------------------------------------------- nothing before the decision

  @Test
  void anInvalidTokenInTheFirstFrameClosesWith4001AndNothingElseIsWritten() {
    String user = user();
    try (BridgeWsClient c = BridgeWsClient.raw(node.vertx(), node.port(), "")) {
      c.register(userAddress(user), new JsonObject().put("token", "not.a.token"));
      try {
        // A frame that would get an answer if anything were written before the decision.
        c.send(BridgeAddresses.STATUS, new JsonObject(), null, "r-1");
      } catch (AssertionError closedAlready) {
        // the malformed token was refused at once: the socket may be closed before this frame goes out
      }
      CloseInfo close = c.awaitClose(T);
      assertEquals(4001, close.codeOr1006());
      assertEquals("token_invalid", close.reason());
      assertEquals(List.of(), c.drain(), "nothing but the close");
    }
    try (SockJsXhrClient x = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null, "?token=not.a.token", Map.of())) {
      CloseInfo close = x.awaitClose(T);
      assertEquals(4001, close.codeOr1006());
      assertEquals("token_invalid", close.reason());
      assertEquals(List.of(), x.drain());
    }
  }

  @Test
  void aRefusedRegisterWritesOnlyItsErrorEvenWhileItsAddressIsBusy() throws Exception {
    String user = user();
    String other = user();
    AtomicBoolean publishing = new AtomicBoolean(true);
    Thread publisher = new Thread(() -> {
      while (publishing.get()) {
        node.publish(notification(other, "busy"));
      }
    }, "busy-publisher");
    try (WsClient otherWs = node.connect(other);
         BridgeWsClient c = BridgeWsClient.raw(node.vertx(), node.port(), "")) {
      publisher.start();
      otherWs.awaitType("Notification", T);
      c.register(userAddress(other), new JsonObject().put("token", node.token(user)));
      registerAndSync(c, userAddress(user));
      assertEquals("rejected", c.awaitError(T).getString("body"));
      c.assertNothing(QUIET);
    } finally {
      publishing.set(false);
      publisher.join(10_000);
    }
  }

  // ---------------------------------------------------------------- addresses of others

  @Test
  void registrationsOfAddressesNotTheSocketsAreRefused() {
    String user = user();
    List<String> others = List.of(userAddress(user()), userAddress(user) + ".evil", "herald.user.acme." + user,
        "herald.broadcast.acme", "herald.topic.acme.news");
    try (BridgeWsClient c = raw(node, node.token(user))) {
      for (String address : others) {
        c.register(address);
        assertEquals("rejected", c.awaitError(T).getString("body"), address);
      }
      registerAndSync(c, userAddress(user));
      node.publish(notification(user + ".evil", "not for " + user));
      node.publish(notification(user, "for " + user));
      assertEquals("for " + user, c.awaitOn(userAddress(user), T).getJsonObject("body").getString("message"));
      c.assertNothing(QUIET);
    }
  }

  // ---------------------------------------------------------------- origins, CORS, transports

  private record Answer(int status, MultiMap headers) {
  }

  /** Status and headers of a request, without waiting for a (possibly streaming) body. */
  private static Answer answer(TestNode target, HttpMethod method, String path, Map<String, String> headers) {
    HttpClient http = target.vertx().createHttpClient();
    try {
      RequestOptions request = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(target.port()).setURI(path);
      headers.forEach(request::putHeader);
      return Await.result(http.request(request).compose(r -> r.send()).map(r -> {
        Answer a = new Answer(r.statusCode(), MultiMap.caseInsensitiveMultiMap().addAll(r.headers()));
        r.request().connection().close();
        return a;
      }), T, method + " " + path);
    } finally {
      http.close();
    }
  }

  @Test
  void xhrAndEventSourceAnswerCorsOnlyForAllowedOrigins() {
    String session = "/eventbus/123/" + SockJsXhrClient.sessionId();
    try (SockJsXhrClient good = SockJsXhrClient.open(strictNode.vertx(), "127.0.0.1", strictNode.port(), null,
        "?token=" + strictNode.token(user()), Map.of("Origin", GOOD_ORIGIN))) {
      assertEquals(GOOD_ORIGIN, good.streamingResponse().getHeader("Access-Control-Allow-Origin"));
      assertEquals("true", good.streamingResponse().getHeader("Access-Control-Allow-Credentials"));
      assertEquals("Pong", good.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
    }
    Answer evil = answer(strictNode, HttpMethod.POST, session + "/xhr_streaming", Map.of("Origin", EVIL_ORIGIN));
    assertEquals(403, evil.status());
    assertNull(evil.headers().get("Access-Control-Allow-Origin"));
    assertEquals(403, answer(strictNode, HttpMethod.GET, "/eventbus/123/" + SockJsXhrClient.sessionId() + "/eventsource",
        Map.of("Origin", EVIL_ORIGIN)).status());
    assertEquals(403, answer(strictNode, HttpMethod.OPTIONS, session + "/xhr_send",
        Map.of("Origin", EVIL_ORIGIN, "Access-Control-Request-Method", "POST")).status());
    Answer preflight = answer(strictNode, HttpMethod.OPTIONS, session + "/xhr_send",
        Map.of("Origin", GOOD_ORIGIN, "Access-Control-Request-Method", "POST"));
    assertEquals(GOOD_ORIGIN, preflight.headers().get("Access-Control-Allow-Origin"));
    Answer eventSource = answer(strictNode, HttpMethod.GET, "/eventbus/123/" + SockJsXhrClient.sessionId() + "/eventsource",
        Map.of("Origin", GOOD_ORIGIN));
    assertEquals(200, eventSource.status());
    assertEquals(GOOD_ORIGIN, eventSource.headers().get("Access-Control-Allow-Origin"));
  }

  @Test
  void webSocketUpgradesNeedAnAllowedOriginAsOnWs() {
    for (String path : List.of("/eventbus/websocket", "/eventbus/123/" + SockJsXhrClient.sessionId() + "/websocket")) {
      for (Map<String, String> headers : List.of(Map.of("Origin", EVIL_ORIGIN), Map.<String, String>of())) {
        WebSocketConnectOptions upgrade = new WebSocketConnectOptions().setHost("localhost").setPort(strictNode.port()).setURI(path);
        headers.forEach(upgrade::addHeader);
        assertEquals(403, WsClient.upgradeStatus(strictNode.vertx(), upgrade), path + " " + headers);
      }
    }
    try (BridgeWsClient c = BridgeWsClient.raw(strictNode.vertx(), strictNode.port(), "?token=" + strictNode.token(user()),
        Map.of("Origin", GOOD_ORIGIN))) {
      assertEquals("Pong", c.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
    }
  }

  @Test
  void onlyTheWebSocketXhrAndEventSourceTransportsAreServed() {
    String session = "/eventbus/123/" + SockJsXhrClient.sessionId();
    assertEquals(404, answer(node, HttpMethod.GET, session + "/jsonp?c=callback", Map.of()).status());
    assertEquals(404, answer(node, HttpMethod.POST, session + "/jsonp_send", Map.of()).status());
    assertEquals(404, answer(node, HttpMethod.GET, session + "/htmlfile?c=callback", Map.of()).status());
    assertEquals(404, answer(node, HttpMethod.GET, "/eventbus/iframe.html", Map.of()).status());
    assertEquals(404, answer(node, HttpMethod.GET, "/eventbus/iframe-1.6.1.html", Map.of()).status());
    assertEquals(200, answer(node, HttpMethod.GET, "/eventbus/info", Map.of()).status());
  }

  // ---------------------------------------------------------------- idle timeout

  @Test
  void silentSocketsAreClosedWith4011WhileActiveOnesStay() {
    String user = user();
    try (BridgeWsClient active = raw(node, node.token(user));
         BridgeWsClient silent = raw(node, node.token(user()));
         SockJsXhrClient silentXhr = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
             "?token=" + node.token(user()), Map.of())) {
      List<BridgeConnection> silentOnes = new ArrayList<>(List.of(silent, silentXhr));
      // Pings every 0.5 s for 4 s: twice connection_timeout_secs.
      for (int i = 0; i < 8; i++) {
        active.ping();
        active.assertNothing(Duration.ofMillis(500));
      }
      for (BridgeConnection c : silentOnes) {
        CloseInfo close = c.awaitClose(T);
        assertEquals(4011, close.codeOr1006(), close.toString());
        assertEquals("connection_timeout", close.reason());
      }
      assertFalse(active.isClosed());
      assertEquals("Pong", active.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
      assertEquals(4011, active.awaitClose(T).codeOr1006(), "closed once it stops sending");
    }
  }
}
