package io.herald.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One benchmark client (one device of a user): authenticates, joins its topics, and accounts for every notification
 * it receives. In the recover scenario it drops its connection on demand and resumes on a new one from the position
 * it had reached; its account spans all its connections. Everything but the constructor runs on its context.
 */
final class BenchClient {

  final int index;
  final String userId;
  final List<String> topics;
  final Context context;
  private final WebSocketClient wsClient;
  /** The nodes it may connect to; it starts on {@code target} and each resume moves to the next one. */
  private final List<WebSocketConnectOptions> targets;
  private int target;
  private final String token;
  private final BenchStats stats;
  private final DeliveryAccounting accounting;
  private final ResumeCursor cursor = new ResumeCursor();
  /** Every stream's position, when the client resumes them all ({@link #resumeEveryStream}); else null. */
  private StreamCursors streamCursors;
  /** The current connection; frames of any earlier one are not read (the client closed it). Null while reconnecting. */
  private WebSocket ws;
  private Promise<Void> authenticated;
  private boolean resuming;
  private Promise<Void> subscribed;
  private volatile boolean reconnecting;
  private boolean closing;
  /** The timer of the protocol pings ({@link #startPings}); -1 when none. */
  private long pingTimer = -1;

  BenchClient(int index, String userId, List<String> topics, Context context, WebSocketClient wsClient,
              List<WebSocketConnectOptions> targets, String token, BenchStats stats, List<String> entitled) {
    this.index = index;
    this.userId = userId;
    this.topics = topics;
    this.context = context;
    this.wsClient = wsClient;
    this.targets = targets;
    this.target = index % targets.size();
    this.token = token;
    this.stats = stats;
    this.accounting = new DeliveryAccounting(entitled);
  }

  /**
   * Makes the client read and resume every stream it is entitled to through the protocol's {@code streams} field
   * (see {@link StreamCursors}): its topics are joined in {@code Authenticate} instead of a {@code Subscribe}, and a
   * {@link #dropAndResume} resumes the topics and the broadcast as well as the user stream. Call before {@link #open}.
   */
  void resumeEveryStream(ReceivedOffsets.ResumeFrom resumeFrom) {
    streamCursors = new StreamCursors(accounting.entitled(), resumeFrom);
  }

  /** Connects, authenticates and subscribes; call from any thread. */
  Future<Void> open() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      long started = System.nanoTime();
      connect(false).compose(v3 -> {
        stats.recordConnect(System.nanoTime() - started);
        if (topics.isEmpty() || streamCursors != null) {
          return Future.succeededFuture();
        }
        subscribed = Promise.promise();
        return ws.writeTextMessage(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray(topics)).encode())
            .compose(v4 -> subscribed.future());
      }).onComplete(done);
    });
    return done.future();
  }

  /** The port of the node it connects to now. */
  int port() {
    return targets.get(target).getPort();
  }

  /**
   * Sends a protocol {@code Ping} every period from now on, as the browser client does, the first after a random
   * share of the period so that the connections' pings are spread over it; the {@code Pong} answers are counted.
   */
  void startPings(Duration period) {
    context.runOnContext(v -> {
      long periodMs = Math.max(1, period.toMillis());
      pingTimer = context.owner().setTimer(1 + ThreadLocalRandom.current().nextLong(periodMs), first -> {
        sendPing();
        pingTimer = context.owner().setPeriodic(periodMs, id -> sendPing());
      });
    });
  }

  private void sendPing() {
    if (closing || ws == null || ws.isClosed()) {
      return;
    }
    stats.clientPings.increment();
    ws.writeTextMessage("{\"type\":\"Ping\"}");
  }

  /** Whether a drop-and-resume is under way (read from the thread that chooses whom to drop). */
  boolean reconnecting() {
    return reconnecting;
  }

  /**
   * Closes the connection with a plain close (1000) and, as soon as the close handshake is over (as a browser's
   * {@code onclose} handler would), opens a new one to the next target, resuming from the last position received:
   * {@code Authenticate} with {@code epoch} and {@code last_offset}. Frames still arriving on the closing connection
   * are not read, as a client that closed would not read them: what they carried must come again by replay. Does
   * nothing while a resume is under way or once the run is closing. A client of the recover scenario joins no topics
   * and resumes its user stream; one that {@link #resumeEveryStream resumes every stream} joins its topics again
   * in the same {@code Authenticate}.
   */
  void dropAndResume() {
    context.runOnContext(v -> {
      if (closing || reconnecting || ws == null || ws.isClosed()) {
        return;
      }
      reconnecting = true;
      long closedAt = System.nanoTime();
      WebSocket old = ws;
      ws = null;
      target = (target + 1) % targets.size();
      old.close((short) 1000, "bench recover").transform(closed -> connect(true)).onComplete(ar -> {
        reconnecting = false;
        if (ar.succeeded()) {
          stats.recordReconnect(System.nanoTime() - closedAt);
        } else {
          stats.reconnectFailures.increment();
          stats.firstReconnectFailure.compareAndSet(null, String.valueOf(ar.cause().getMessage()));
        }
      });
    });
  }

  /** A new connection to the current target, authenticated (resuming when asked and a position is known). */
  private Future<Void> connect(boolean resume) {
    Promise<Void> auth = Promise.promise();
    authenticated = auth;
    JsonObject authenticate = new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard");
    if (streamCursors != null) {
      resuming = resume;
      if (resume) {
        stats.resumesAcrossGap.add(streamCursors.streamsWithGap());
      }
      authenticate.put("streams", streamCursors.request(resume));
    } else {
      // Without an epoch (the node's history was unreachable) there is no position to resume from.
      resuming = resume && cursor.epoch() != null;
    }
    if (resuming && streamCursors == null) {
      authenticate.put("epoch", cursor.epoch()).put("last_offset", cursor.lastOffset());
    }
    return wsClient.connect(targets.get(target)).compose(socket -> {
      if (closing) {
        socket.close((short) 1000, "bench done");
        return Future.failedFuture("the run is over");
      }
      ws = socket;
      socket.handler(buffer -> {
        if (socket == ws) {
          onFrame(buffer);
        }
      });
      socket.closeHandler(x -> {
        auth.tryFail("closed before Authenticated: " + socket.closeStatusCode() + " " + socket.closeReason());
        if (!closing && socket == ws) {
          stats.unexpectedCloses.increment();
          stats.noteClose(socket.closeStatusCode());
        }
      });
      socket.exceptionHandler(e -> stats.socketErrors.increment());
      // Vert.x answers every ping with a pong by itself; the frame handler sees the ping after that.
      socket.frameHandler(frame -> {
        if (frame.type() == WebSocketFrameType.PING) {
          stats.serverPings.increment();
        }
      });
      return socket.writeTextMessage(authenticate.encode());
    }).compose(v -> auth.future());
  }

  private void onFrame(Buffer buffer) {
    long now = BenchClock.nanos();
    FrameScan.Frame frame = FrameScan.scan(buffer.getBytes());
    if (frame.isNotification()) {
      if (frame.stream() == null) {
        stats.foreignFrames.increment();
        return;
      }
      boolean replayed;
      if (streamCursors != null) {
        ReceivedOffsets.Arrival position = streamCursors.arrived(frame.stream(), frame.epoch(), frame.offset());
        if (position == ReceivedOffsets.Arrival.RESENT) {
          stats.resent.increment();
          return;
        }
        replayed = position == ReceivedOffsets.Arrival.RECOVERED;
      } else {
        replayed = frame.hasUserPosition() && cursor.arrived(frame.epoch(), frame.offset());
      }
      SequenceTracker.Arrival arrival = accounting.record(frame.stream(), frame.seq(), replayed);
      if ((arrival == SequenceTracker.Arrival.IN_ORDER || arrival == SequenceTracker.Arrival.REORDERED)
          && replayed && streamCursors != null) {
        // A replay's wait includes the client's own absence: counted, not a live delivery's latency.
        stats.delivered.increment();
      } else if (arrival == SequenceTracker.Arrival.IN_ORDER || arrival == SequenceTracker.Arrival.REORDERED) {
        stats.recordDelivery(now - frame.sentNs());
      } else if (arrival == SequenceTracker.Arrival.DUPLICATE) {
        stats.duplicates.increment();
      }
      return;
    }
    switch (frame.type()) {
      case "Authenticated":
        onAuthenticated(new JsonObject(buffer));
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
      case "Pong":
        stats.pongs.increment();
        break;
      default:
        // InitialState, ...: not counted
    }
  }

  private void onAuthenticated(JsonObject message) {
    if (streamCursors != null) {
      int notRecovered = streamCursors.answered(resuming, message);
      if (resuming) {
        stats.resumesNotRecovered.add(notRecovered);
      }
      authenticated.tryComplete();
      return;
    }
    String epoch = message.getValue("epoch") instanceof String e ? e : null;
    long offset = message.getValue("offset") instanceof Number n ? n.longValue() : 0;
    if (resuming) {
      // From offset 0 into a stream still empty there was nothing to miss, whatever "recovered" says (the node
      // answers false when the stream does not exist yet).
      boolean nothingToMiss = cursor.lastOffset() == 0 && offset == 0;
      if (!Boolean.TRUE.equals(message.getValue("recovered")) && !nothingToMiss) {
        stats.resumesNotRecovered.increment();
      }
      if (epoch != null) {
        cursor.resumed(epoch, offset);
      }
    } else {
      if (reconnecting) {
        // A reconnect with no position to resume from: whatever it missed will show as lost.
        stats.resumesNotRecovered.increment();
      }
      if (epoch != null) {
        cursor.started(epoch, offset);
      }
    }
    authenticated.tryComplete();
  }

  /** Settles the account (where it was written). */
  Future<DeliveryAccounting.Tally> settle(Map<String, Long> sent) {
    Promise<DeliveryAccounting.Tally> p = Promise.promise();
    context.runOnContext(v -> p.complete(accounting.settle(sent)));
    return p.future();
  }

  /** The notifications lost so far by kind of stream (see {@link DeliveryAccounting#lostByKind}). */
  Future<Map<String, Long>> lostByKind(Map<String, Long> sent) {
    Promise<Map<String, Long>> p = Promise.promise();
    context.runOnContext(v -> p.complete(accounting.lostByKind(sent)));
    return p.future();
  }

  /** The first notifications this client lost (see {@link DeliveryAccounting#lostExamples}). */
  Future<List<String>> lostExamples(Map<String, Long> sent, int limit) {
    Promise<List<String>> p = Promise.promise();
    context.runOnContext(v -> p.complete(accounting.lostExamples(sent, limit)));
    return p.future();
  }

  /** The notifications received more than once so far, on every stream (where the account is written). */
  Future<Long> duplicates() {
    Promise<Long> p = Promise.promise();
    context.runOnContext(v -> p.complete(accounting.duplicates()));
    return p.future();
  }

  Future<Void> close() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      closing = true;
      context.owner().cancelTimer(pingTimer);
      if (ws == null || ws.isClosed()) {
        p.complete();
      } else {
        ws.close((short) 1000, "bench done").onComplete(ar -> p.complete());
      }
    });
    return p.future();
  }
}
