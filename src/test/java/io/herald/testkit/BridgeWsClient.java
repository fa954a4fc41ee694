package io.herald.testkit;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A bridge client over WebSocket, on the raw endpoint ({@code /eventbus/websocket}: one bridge message per frame, the
 * server's in binary frames) or on SockJS's WebSocket transport ({@code /eventbus/<server>/<session>/websocket}: SockJS
 * frames, as sockjs-client uses it), over a real Vert.x {@link WebSocketClient}.
 */
public final class BridgeWsClient extends BridgeConnection {

  private final WebSocketClient client; // field reference: a collected client is shut down
  private final boolean sockJs;
  private WebSocket ws;

  private BridgeWsClient(WebSocketClient client, boolean sockJs) {
    this.client = client;
    this.sockJs = sockJs;
  }

  /** Connects to the raw endpoint; {@code query} is appended as is (e.g. {@code "?token=..."} or {@code ""}). */
  public static BridgeWsClient raw(Vertx vertx, int port, String query) {
    return raw(vertx, port, query, Map.of());
  }

  /** Connects to the raw endpoint with extra upgrade headers (e.g. {@code Origin}). */
  public static BridgeWsClient raw(Vertx vertx, int port, String query, Map<String, String> headers) {
    return connect(vertx, port, "/eventbus/websocket" + query, headers, false);
  }

  /** Connects with SockJS's WebSocket transport, as sockjs-client does. */
  public static BridgeWsClient sockJs(Vertx vertx, int port, String query) {
    String path = "/eventbus/" + SockJsXhrClient.serverId() + "/" + SockJsXhrClient.sessionId() + "/websocket" + query;
    return connect(vertx, port, path, Map.of(), true);
  }

  private static BridgeWsClient connect(Vertx vertx, int port, String path, Map<String, String> headers, boolean sockJs) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("localhost").setPort(port).setURI(path);
    headers.forEach(options::addHeader);
    BridgeWsClient bridge = new BridgeWsClient(vertx.createWebSocketClient(WsClient.defaultClientOptions()), sockJs);
    // Handlers are set in the event-loop task that completes the connect: no frame can be missed.
    Context context = vertx.getOrCreateContext();
    Promise<WebSocket> connected = Promise.promise();
    context.runOnContext(v -> bridge.client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        connected.fail(ar.cause());
        return;
      }
      WebSocket ws = ar.result();
      if (sockJs) {
        ws.textMessageHandler(bridge::onSockJsFrame);
      } else {
        ws.binaryMessageHandler(b -> bridge.received.add(new JsonObject(b)));
        ws.textMessageHandler(t -> bridge.received.add(new JsonObject(t)));
      }
      ws.closeHandler(x -> bridge.closed.complete(new CloseInfo(ws.closeStatusCode(), ws.closeReason())));
      connected.complete(ws);
    }));
    try {
      bridge.ws = Await.result(connected.future(), WAIT, "bridge WebSocket connect to " + path);
    } catch (AssertionError e) {
      bridge.client.close();
      throw e;
    }
    return bridge;
  }

  @Override
  public BridgeWsClient write(JsonObject message) {
    String text = sockJs ? new JsonArray().add(message.encode()).encode() : message.encode();
    Await.result(ws.writeTextMessage(text), WAIT, "sending a bridge message");
    return this;
  }

  /**
   * Sends one text frame as is: on SockJS's transport a SockJS frame (a JSON array of messages, each a JSON string),
   * on the raw endpoint one bridge message.
   */
  public BridgeWsClient writeText(String text) {
    Await.result(ws.writeTextMessage(text), WAIT, "sending a text frame");
    return this;
  }

  /** Stops reading (slow-client tests): messages pile up in the server, then TCP pushes back. */
  public void pause() {
    ws.pause();
  }

  /** Reads again after {@link #pause()}. */
  public void resume() {
    ws.resume();
  }

  @Override
  public void close() {
    try {
      if (!ws.isClosed()) {
        Await.result(ws.close(), WAIT, "closing the bridge WebSocket");
      }
    } catch (AssertionError ignored) {
      // best effort
    }
    client.close();
  }
}
