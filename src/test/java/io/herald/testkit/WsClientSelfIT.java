package io.herald.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests the test kit itself against a throwaway echo server. */
@Timeout(30)
class WsClientSelfIT {

  static final int BIG = 70_000;
  static final Duration T = Duration.ofSeconds(5);

  static Vertx vertx;
  static HttpServer echo;
  static HttpServer refusing;
  static int echoPort;
  static int refusingPort;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    echo = vertx.createHttpServer(new HttpServerOptions()
        .setPerMessageWebSocketCompressionSupported(true)
        .setMaxWebSocketFrameSize(1 << 20)
        .setMaxWebSocketMessageSize(1 << 22))
      .webSocketHandler(WsClientSelfIT::echo)
      .listen(0).await();
    echoPort = echo.actualPort();
    refusing = vertx.createHttpServer()
      .webSocketHandshakeHandler(hs -> hs.reject(403))
      .webSocketHandler(ws -> ws.close((short) 1011, "should not be accepted"))
      .listen(0).await();
    refusingPort = refusing.actualPort();
  }

  @AfterAll
  static void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  /**
   * Echo server: echoes text; "close:NNNN" closes with NNNN/"bye"; "ping" sends a ping; "big" answers one
   * 70,000-byte text frame; "pongs" answers {"type":"pongs","count":n} with the pongs this connection received.
   */
  static void echo(ServerWebSocket ws) {
    AtomicInteger pongs = new AtomicInteger();
    ws.pongHandler(b -> pongs.incrementAndGet());
    ws.binaryMessageHandler(ws::writeBinaryMessage);
    ws.textMessageHandler(text -> {
      if (text.startsWith("close:")) {
        ws.close(Short.parseShort(text.substring(6)), "bye");
      } else if (text.equals("ping")) {
        ws.writePing(Buffer.buffer("hb"));
      } else if (text.equals("big")) {
        ws.writeFrame(WebSocketFrame.textFrame(bigJson(), true));
      } else if (text.equals("pongs")) {
        ws.writeTextMessage(new JsonObject().put("type", "pongs").put("count", pongs.get()).encode());
      } else {
        ws.writeTextMessage(text);
      }
    });
  }

  /** A JSON object of exactly {@link #BIG} bytes. */
  static String bigJson() {
    String prefix = "{\"type\":\"big\",\"data\":\"";
    String suffix = "\"}";
    return prefix + "x".repeat(BIG - prefix.length() - suffix.length()) + suffix;
  }

  // ---------------------------------------------------------------- WsClient

  @Test
  void wsClientEchoRoundTrip() {
    try (WsClient ws = WsClient.connect(vertx, echoPort, "/ws?token=abc")) {
      JsonObject hello = new JsonObject().put("type", "hello").put("n", 1);
      assertEquals(hello, ws.send(hello).next());
      assertEquals(new JsonObject().put("_raw", "not json"), ws.sendText("not json").next());
      assertEquals(new JsonObject().put("_raw", "{broken"), ws.sendText("{broken").next());

      ws.send(new JsonObject().put("type", "a")).send(new JsonObject().put("type", "b"))
        .send(new JsonObject().put("type", "c"));
      assertEquals("b", ws.awaitType("b", T).getString("type"));
      assertEquals("c", ws.next().getString("type"));          // "a" was dropped, "c" kept
      ws.assertNoFrame(Duration.ofMillis(200));

      ws.send(new JsonObject().put("type", "d")).send(new JsonObject().put("type", "e"));
      List<JsonObject> got = new ArrayList<>();
      Await.until(() -> {
        got.addAll(ws.drain());
        return got.size() >= 2;
      }, T, "frames d and e drained");
      assertEquals(2, got.size());
      assertEquals("d", got.get(0).getString("type"));
      assertEquals("e", got.get(1).getString("type"));
      assertTrue(ws.drain().isEmpty());

      assertEquals(Buffer.buffer(new byte[] {1, 2, 3}), ws.sendBinary(Buffer.buffer(new byte[] {1, 2, 3})).nextBinary(T));

      AssertionError noFrame = assertThrows(AssertionError.class, () -> ws.next(Duration.ofMillis(100)));
      assertTrue(noFrame.getMessage().contains("no frame within"), noFrame.getMessage());
      ws.send(new JsonObject().put("type", "late"));
      AssertionError unexpected = assertThrows(AssertionError.class, () -> ws.assertNoFrame(Duration.ofSeconds(2)));
      assertTrue(unexpected.getMessage().contains("late"), unexpected.getMessage());
      assertFalse(ws.isClosed());
    }
  }

  @Test
  void wsClientReceivesBigFrame() {
    try (WsClient ws = WsClient.connect(vertx, echoPort, "/ws")) {
      JsonObject big = ws.sendText("big").next();
      assertEquals("big", big.getString("type"));
      assertEquals(bigJson(), big.encode());
    }
  }

  @Test
  void wsClientSeesCloseCodeAndReason() {
    WsClient ws = WsClient.connect(vertx, echoPort, "/ws");
    try (ws) {
      ws.sendText("close:4008");
      assertEquals(new CloseInfo((short) 4008, "bye"), ws.awaitClose(T));
      assertTrue(ws.isClosed());
    }
  }

  @Test
  void wsClientAnswersPingsAutomatically() {
    try (WsClient ws = WsClient.connect(vertx, echoPort, "/ws")) {
      ws.sendText("ping");
      Await.until(() -> ws.sendText("pongs").next().getInteger("count") == 1, T, "server sees the pong");
    }
  }

  @Test
  void wsClientPauseStopsDelivery() {
    try (WsClient ws = WsClient.connect(vertx, echoPort, "/ws")) {
      ws.pause();
      ws.send(new JsonObject().put("type", "held"));
      ws.assertNoFrame(Duration.ofMillis(300));
      ws.resume();
      assertEquals("held", ws.next().getString("type"));
    }
  }

  @Test
  void wsClientNegotiatesPerMessageDeflate() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("localhost").setPort(echoPort).setURI("/ws");
    WebSocketClientOptions deflate = WsClient.defaultClientOptions().setTryUsePerMessageCompression(true);
    try (WsClient ws = WsClient.connect(vertx, options, deflate)) {
      String ext = ws.handshakeHeaders().get("sec-websocket-extensions");
      assertNotNull(ext, "no sec-websocket-extensions in " + ws.handshakeHeaders());
      assertTrue(ext.contains("permessage-deflate"), ext);
      JsonObject msg = new JsonObject().put("type", "z").put("data", "y".repeat(10_000));
      assertEquals(msg, ws.send(msg).next());
      assertEquals(BIG, ws.sendText("big").next().encode().length());
    }
    try (WsClient plain = WsClient.connect(vertx, options, null)) {
      assertNull(plain.handshakeHeaders().get("sec-websocket-extensions"));
    }
  }

  @Test
  void upgradeStatusReportsRefusal() {
    WebSocketConnectOptions refused = new WebSocketConnectOptions()
      .setHost("localhost").setPort(refusingPort).setURI("/ws").addHeader("Origin", "http://evil.example");
    assertEquals(403, WsClient.upgradeStatus(vertx, refused));

    WebSocketConnectOptions accepted = new WebSocketConnectOptions().setHost("localhost").setPort(echoPort).setURI("/ws");
    AssertionError e = assertThrows(AssertionError.class, () -> WsClient.upgradeStatus(vertx, accepted));
    assertTrue(e.getMessage().contains("accepted"), e.getMessage());

    AssertionError connectFailure = assertThrows(AssertionError.class, () -> WsClient.connect(vertx, refusingPort, "/ws"));
    assertNotNull(connectFailure.getCause());
  }

  // ---------------------------------------------------------------- RawWsClient

  @Test
  void rawClientEchoRoundTrip() {
    try (RawWsClient raw = RawWsClient.connect(vertx, echoPort, "/ws?token=abc", Map.of("Origin", "http://localhost"))) {
      JsonObject hello = new JsonObject().put("type", "hello").put("n", 2);
      assertEquals(hello, raw.sendText(hello.encode()).nextText(T));
      assertEquals(new JsonObject().put("_raw", "plain"), raw.sendText("plain").nextText(T));

      // fragmented client message, reassembled by the server
      raw.sendFrame(RawWsClient.OP_TEXT, "{\"type\":\"fr".getBytes(StandardCharsets.UTF_8), false);
      raw.sendFrame(RawWsClient.OP_CONTINUATION, "ag\"}".getBytes(StandardCharsets.UTF_8), true);
      assertEquals("frag", raw.nextText(T).getString("type"));

      // 16-bit length in both directions
      JsonObject mid = new JsonObject().put("type", "mid").put("data", "m".repeat(1_000));
      assertEquals(mid, raw.sendText(mid.encode()).nextText(T));

      byte[] bin = {9, 8, 7};
      raw.sendFrame(RawWsClient.OP_BINARY, bin, true);
      assertEquals(Buffer.buffer(bin), Buffer.buffer(raw.nextBinary(T)));
      assertTrue(raw.protocolErrors().isEmpty(), raw.protocolErrors().toString());
      assertFalse(raw.tcpClosed());
    }
  }

  @Test
  void rawClientParsesSixtyFourBitLengthFrame() {
    try (RawWsClient raw = RawWsClient.connect(vertx, echoPort, "/ws", Map.of())) {
      int before = raw.framesReceived();
      raw.sendText("big").sendText("{\"type\":\"after\"}");
      JsonObject big = raw.nextText(T);
      assertEquals(bigJson(), big.encode());
      assertEquals("after", raw.nextText(T).getString("type"));
      assertEquals(before + 2, raw.framesReceived(), "the big message came as one frame");
      assertTrue(raw.protocolErrors().isEmpty(), raw.protocolErrors().toString());
    }
  }

  @Test
  void rawClientSeesCloseCodeAndReason() {
    try (RawWsClient raw = RawWsClient.connect(vertx, echoPort, "/ws", null)) {
      raw.sendText("close:4008");
      assertEquals(new CloseInfo((short) 4008, "bye"), raw.awaitClose(T));
      Await.until(raw::tcpClosed, T, "server closes TCP after the close handshake");
    }
  }

  @Test
  void rawClientCountsPingsAndNeverPongs() {
    try (RawWsClient raw = RawWsClient.connect(vertx, echoPort, "/ws", Map.of())) {
      raw.sendText("ping").sendText("ping");
      Await.until(() -> raw.pingsReceived() == 2, T, "two pings");
      assertEquals("hb", new String(raw.nextPing(T), StandardCharsets.UTF_8));
      // A pong the client sent on its own would precede this request on the connection: its answer says none came.
      assertEquals(0, raw.sendText("pongs").nextText(T).getInteger("count"), "server's pongHandler fired");

      raw.sendPong("manual".getBytes(StandardCharsets.UTF_8));  // the server does see pongs when they are sent
      assertEquals(1, raw.sendText("pongs").nextText(T).getInteger("count"));

      raw.autoPong(true).sendText("ping");
      Await.until(() -> raw.pingsReceived() == 3, T, "third ping");
      assertEquals(2, raw.sendText("pongs").nextText(T).getInteger("count"));
    }
  }

  @Test
  void rawClientReportsRefusedUpgrade() {
    RawWsClient.UpgradeFailed e = assertThrows(RawWsClient.UpgradeFailed.class,
      () -> RawWsClient.connect(vertx, refusingPort, "/ws", Map.of()));
    assertEquals(403, e.status());
  }

  @Test
  void rawClientSeesTcpCloseWithoutCloseFrame() {
    try (RawWsClient raw = RawWsClient.connect(vertx, echoPort, "/ws", Map.of())) {
      // an unmasked client frame is a protocol error: Vert.x 5.0.10 drops TCP without a close frame
      raw.sendRawBytes(new byte[] {(byte) 0x81, 0x02, 'h', 'i'});
      assertEquals(new CloseInfo(null, null), raw.awaitClose(T));
      Await.until(raw::tcpClosed, T, "TCP closed");
    }
  }

  // ---------------------------------------------------------------- Await

  @Test
  void awaitUntilNamesWhatOnTimeout() {
    AssertionError e = assertThrows(AssertionError.class,
      () -> Await.until(() -> false, Duration.ofMillis(50), "the moon"));
    assertTrue(e.getMessage().contains("the moon"), e.getMessage());
    long start = System.nanoTime();
    Await.until(() -> System.nanoTime() - start > 30_000_000L, T, "30 ms");
  }

}
