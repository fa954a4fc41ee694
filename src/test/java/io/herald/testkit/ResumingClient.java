package io.herald.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A load-test client as an application would write it: one {@code /ws} connection of one user through a front door,
 * authenticated by its first frame, that follows the user stream's epoch and highest offset from every Notification
 * and, whenever the connection closes or cannot be opened, reconnects (backoff 100 ms doubling to 2 s) and resumes
 * from that position in its Authenticate. Every Notification frame goes to the {@link DeliveryLedger}. Callbacks run
 * on the Vert.x event loop; the counters are safe to read from the test's thread.
 */
public final class ResumingClient {

  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 2000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final int port;
  private final String user;
  private final String token;
  private final DeliveryLedger ledger;
  private final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
  private final AtomicInteger authentications = new AtomicInteger();
  private final AtomicInteger refusedConnects = new AtomicInteger();
  private final List<String> resumedFrom = new CopyOnWriteArrayList<>();
  private volatile WebSocket socket;
  private volatile boolean stopped;
  private volatile boolean readsPaused;
  private volatile long firstAuthenticatedAt;
  // Touched on the event loop only.
  private String epoch;
  private long offset;
  private long backoffMs = FIRST_BACKOFF_MS;

  /**
   * @param client a WebSocketClient the caller keeps referenced (a collected client shuts its connections)
   */
  public ResumingClient(Vertx vertx, WebSocketClient client, int port, String user, String token,
                        DeliveryLedger ledger) {
    this.vertx = vertx;
    this.client = client;
    this.port = port;
    this.user = user;
    this.token = token;
    this.ledger = ledger;
  }

  public String user() {
    return user;
  }

  /** Opens the first connection (asynchronously; see {@link #authentications()}). */
  public ResumingClient start() {
    vertx.runOnContext(v -> connect());
    return this;
  }

  /** Connections authenticated so far (the first and every reconnect). */
  public int authentications() {
    return authentications.get();
  }

  /** Close codes of every connection that ended (1006 for a drop without a close frame). */
  public List<Integer> closeCodes() {
    return List.copyOf(closeCodes);
  }

  /** Upgrades refused or failed (HTTP 429/503 from a node, a refused TCP connect, HAProxy's 503). */
  public int refusedConnects() {
    return refusedConnects.get();
  }

  /** The positions ({@code epoch:offset}) the client resumed from, in order. */
  public List<String> resumedFrom() {
    return List.copyOf(resumedFrom);
  }

  /** {@link System#nanoTime()} of the first Authenticated, 0 before it. */
  public long firstAuthenticatedAt() {
    return firstAuthenticatedAt;
  }

  /** Stops reading the socket (the TCP window closes once Vert.x's buffer fills), as a stalled device would. */
  public void pauseReads() {
    readsPaused = true;
    WebSocket ws = socket;
    if (ws != null) {
      ws.pause();
    }
  }

  /** Reads again. */
  public void resumeReads() {
    readsPaused = false;
    WebSocket ws = socket;
    if (ws != null) {
      ws.resume();
    }
  }

  /** No more reconnects; closes the connection. */
  public void stop() {
    stopped = true;
    WebSocket ws = socket;
    if (ws != null) {
      ws.close();
    }
  }

  private void connect() {
    if (stopped) {
      return;
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws")
        .setTimeout(10_000);
    client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        refusedConnects.incrementAndGet();
        retryLater();
        return;
      }
      WebSocket ws = ar.result();
      socket = ws;
      ws.textMessageHandler(this::onText);
      ws.closeHandler(v -> onClose(ws));
      ws.exceptionHandler(e -> { });
      if (readsPaused) {
        ws.pause();
      }
      JsonObject auth = new JsonObject().put("type", "Authenticate").put("token", token);
      if (epoch != null) {
        auth.put("epoch", epoch).put("last_offset", offset);
        resumedFrom.add(epoch + ":" + offset);
      }
      ws.writeTextMessage(auth.encode());
    });
  }

  private void onText(String text) {
    long now = System.nanoTime();
    JsonObject frame = new JsonObject(text);
    String type = frame.getString("type");
    if ("Notification".equals(type)) {
      ledger.received(frame.getString("id"), now);
      if ("user".equals(frame.getString("stream")) && frame.getString("epoch") != null) {
        long o = frame.getLong("offset", 0L);
        if (!frame.getString("epoch").equals(epoch)) {
          epoch = frame.getString("epoch");
          offset = o;
        } else if (o > offset) {
          offset = o;
        }
      }
    } else if ("Authenticated".equals(type)) {
      backoffMs = FIRST_BACKOFF_MS;
      if (epoch == null && frame.getString("epoch") != null) {
        // Nothing received yet: the stream's position at authentication is where the next connection resumes from,
        // as herald-client.js keeps it; without it, what is published while this connection drops would be missed.
        epoch = frame.getString("epoch");
        offset = frame.getLong("offset", 0L);
      }
      if (authentications.getAndIncrement() == 0) {
        firstAuthenticatedAt = now;
      }
    }
  }

  private void onClose(WebSocket ws) {
    Short code = ws.closeStatusCode();
    closeCodes.add(code == null ? 1006 : code.intValue());
    if (socket == ws) {
      socket = null;
    }
    retryLater();
  }

  private void retryLater() {
    if (stopped) {
      return;
    }
    long delay = backoffMs;
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    vertx.setTimer(delay, t -> connect());
  }
}
