package io.herald.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** One benchmark connection: authenticates, joins its topics, and accounts for every notification it receives. */
final class BenchClient {

  final int index;
  final String userId;
  final List<String> topics;
  final Context context;
  private final WebSocketClient wsClient;
  private final BenchStats stats;
  private final DeliveryAccounting accounting;
  private WebSocket ws;
  private Promise<Void> authenticated;
  private Promise<Void> subscribed;
  private boolean closing;

  BenchClient(int index, String userId, List<String> topics, Context context, WebSocketClient wsClient, BenchStats stats,
              List<String> entitled) {
    this.index = index;
    this.userId = userId;
    this.topics = topics;
    this.context = context;
    this.wsClient = wsClient;
    this.stats = stats;
    this.accounting = new DeliveryAccounting(entitled);
  }

  /** Connects, authenticates and subscribes; call from any thread: the work runs on the client's context. */
  Future<Void> open(WebSocketConnectOptions options, String token) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      authenticated = Promise.promise();
      long started = System.nanoTime();
      wsClient.connect(options).compose(socket -> {
        ws = socket;
        socket.handler(this::onFrame);
        socket.closeHandler(x -> {
          if (!closing) {
            stats.unexpectedCloses.increment();
            stats.noteClose(socket.closeStatusCode());
          }
        });
        socket.exceptionHandler(e -> stats.socketErrors.increment());
        return socket.writeTextMessage(new JsonObject().put("type", "Authenticate").put("token", token)
            .put("device", "Dashboard").encode());
      }).compose(v2 -> authenticated.future()).compose(v3 -> {
        stats.recordConnect(System.nanoTime() - started);
        if (topics.isEmpty()) {
          return Future.succeededFuture();
        }
        subscribed = Promise.promise();
        return ws.writeTextMessage(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray(topics)).encode())
            .compose(v4 -> subscribed.future());
      }).onComplete(done);
    });
    return done.future();
  }

  private void onFrame(Buffer buffer) {
    long now = BenchClock.nanos();
    FrameScan.Frame frame = FrameScan.scan(buffer.getBytes());
    if (frame.isNotification()) {
      if (frame.stream() == null) {
        stats.foreignFrames.increment();
        return;
      }
      SequenceTracker.Arrival arrival = accounting.record(frame.stream(), frame.seq());
      if (arrival == SequenceTracker.Arrival.IN_ORDER || arrival == SequenceTracker.Arrival.REORDERED) {
        stats.recordDelivery(now - frame.sentNs());
      } else if (arrival == SequenceTracker.Arrival.DUPLICATE) {
        stats.duplicates.increment();
      }
      return;
    }
    switch (frame.type()) {
      case "Authenticated":
        if (authenticated != null) {
          authenticated.tryComplete();
        }
        break;
      case "Subscribed":
        if (subscribed != null) {
          subscribed.tryComplete();
        }
        break;
      case "Error":
        stats.serverErrors.increment();
        if (authenticated != null && !authenticated.future().isComplete()) {
          authenticated.tryFail("server error before Authenticated: " + buffer);
        } else if (subscribed != null && !subscribed.future().isComplete()) {
          subscribed.tryFail("server error before Subscribed: " + buffer);
        }
        break;
      default:
        // InitialState, Pong, ...: not counted
    }
  }

  /** Settles the account on the client's context (where it was written). */
  Future<DeliveryAccounting.Tally> settle(java.util.Map<String, Long> sent) {
    Promise<DeliveryAccounting.Tally> p = Promise.promise();
    context.runOnContext(v -> p.complete(accounting.settle(sent)));
    return p.future();
  }

  Future<Void> close() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      closing = true;
      if (ws == null || ws.isClosed()) {
        p.complete();
      } else {
        ws.close((short) 1000, "bench done").onComplete(ar -> p.complete());
      }
    });
    return p.future();
  }
}
