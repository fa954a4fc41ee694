package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.herald.testkit.Await;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link UpgradedConnection} against the Vert.x in use: the parts reached by reflection apply (a Vert.x upgrade that
 * drops a member it reaches fails here), the socket keeps no request header, the upgrade request can then be collected
 * while the WebSocket lives, and the socket still carries frames both ways, pings and a close code.
 */
@Timeout(30)
class UpgradedConnectionIT {

  private static final Duration T = Duration.ofSeconds(10);

  private Vertx vertx;
  private WebSocketClient client; // a field: a collected client is shut down
  private final CompletableFuture<UpgradedConnection.Released> released = new CompletableFuture<>();
  private final CompletableFuture<Integer> headersLeft = new CompletableFuture<>();
  private volatile WeakReference<HttpServerRequest> upgradeRequest;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    client = vertx.createWebSocketClient();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A server that upgrades like the socket verticle (paused, upgraded later) and echoes text frames. */
  private int echoServer() throws Exception {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setStrictThreadMode(true))
        .requestHandler(this::upgrade);
    return server.listen(0).await(10, TimeUnit.SECONDS).actualPort();
  }

  private void upgrade(HttpServerRequest request) {
    upgradeRequest = new WeakReference<>(request);
    request.pause();
    vertx.setTimer(1, id -> request.toWebSocket().onSuccess(ws -> {
      ChannelHandlerContext channel = FrameWriter.webSocketContext(request);
      released.complete(UpgradedConnection.release(ws, channel));
      headersLeft.complete(ws.headers().size());
      ws.textMessageHandler(text -> {
        if (text.equals("close")) {
          ws.close((short) 4001, "asked");
        } else {
          ws.writeTextMessage("echo " + text);
        }
      });
    }));
  }

  @Test
  void theUpgradeRequestIsLetGoAndTheSocketStillWorks() throws Exception {
    int port = echoServer();
    WebSocket ws = client.connect(port, "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);
    assertEquals(new UpgradedConnection.Released(true, true), released.get(10, TimeUnit.SECONDS),
        "both parts apply to this Vert.x");
    assertEquals(0, headersLeft.get(10, TimeUnit.SECONDS), "the socket keeps no request header");

    Await.until(() -> {
      System.gc();
      return upgradeRequest.get() == null;
    }, T, "the upgrade request collected while the WebSocket is open");

    Promise<String> echoed = Promise.promise();
    Promise<Buffer> pong = Promise.promise();
    Promise<Short> closed = Promise.promise();
    ws.textMessageHandler(echoed::tryComplete);
    ws.pongHandler(pong::tryComplete);
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
    ws.writeTextMessage("hello");
    assertEquals("echo hello", Await.result(echoed.future(), T, "the echo"));
    ws.writePing(Buffer.buffer("p"));
    assertEquals("p", Await.result(pong.future(), T, "the pong").toString());
    ws.writeTextMessage("close");
    assertEquals((short) 4001, Await.result(closed.future(), T, "the server's close"));
  }

  @Test
  void withoutTheReleaseVertxKeepsTheUpgradeRequest() throws Exception {
    // The same upgrade without UpgradedConnection: what the test above would see if the release stopped working
    // (and, should a later Vert.x let go of the request itself, the sign that the release is no longer needed).
    AtomicReference<WeakReference<HttpServerRequest>> kept = new AtomicReference<>();
    Promise<Void> upgraded = Promise.promise();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1"))
        .requestHandler(request -> {
          kept.set(new WeakReference<>(request));
          request.toWebSocket().onSuccess(ws -> upgraded.complete());
        });
    int port = server.listen(0).await(10, TimeUnit.SECONDS).actualPort();
    WebSocket ws = client.connect(port, "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);
    Await.result(upgraded.future(), T, "the upgrade");
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    assertNotNull(kept.get().get(), "Vert.x keeps the upgrade request for the WebSocket's life");
    Future<Void> close = ws.close();
    Await.result(close, T, "close");
  }
}
