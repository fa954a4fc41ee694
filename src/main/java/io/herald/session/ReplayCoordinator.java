package io.herald.session;

import io.herald.config.StateOptions;
import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.runtime.NodeInfo;
import io.herald.state.HistoryStore;
import io.herald.state.Position;
import io.herald.state.Replay;
import io.herald.state.State;
import io.herald.state.StoredNotification;
import io.herald.state.StreamKey;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a session's user stream and replays what it missed, the same for every transport: live notifications are
 * held from the first registration until the replay is written; then come the transport's first message
 * ({@code /ws}: Authenticated), InitialState, what another connection's offline-queue take left for this one, the
 * replay, and the held notifications (minus the copies of what was just written); then the user's offline queue is
 * taken (by the first session of the user, on either transport) and published to every session of the user.
 */
public final class ReplayCoordinator {

  private static final Logger log = LoggerFactory.getLogger(ReplayCoordinator.class);

  private final Vertx vertx;
  private final StateOptions stateOptions;
  private final NodeInfo node;
  private final State state;
  private final AddressRegistry registry;
  private final Delivery delivery;
  private final BoundedWriter writer;

  ReplayCoordinator(Vertx vertx, StateOptions stateOptions, NodeInfo node, State state, AddressRegistry registry,
                    Delivery delivery, BoundedWriter writer) {
    this.vertx = vertx;
    this.stateOptions = stateOptions;
    this.node = node;
    this.state = state;
    this.registry = registry;
    this.delivery = delivery;
    this.writer = writer;
  }

  /**
   * Joins the addresses (the user's among them) and starts the user stream at {@code from}: the session's position
   * when the client gave one ({@code positionGiven}), else its baseline (the stream's position before the session
   * existed). The session's reading is paused meanwhile. {@code firstMessage} builds the transport's first message from
   * the replay's outcome (null: none). Completes once everything is written.
   */
  public Future<Void> start(Session s, List<String> addresses, ResumePosition from, boolean positionGiven,
                            Function<AsyncResult<Replay>, byte[]> firstMessage) {
    return start(s, addresses, from, positionGiven, List.of(),
        firstMessage == null ? null : outcome -> firstMessage.apply(outcome.user()));
  }

  /**
   * As {@link #start(Session, List, ResumePosition, boolean, Function)}, and also replays the broadcast and topic
   * {@code streams} the client gave positions of (their addresses among {@code addresses}; the caller has checked that
   * the session may read them, {@link StreamAccess}): each after the user stream, in the order given, in offset order,
   * through the session's filters, live copies of what was replayed dropped. {@code firstMessage} gets every outcome.
   */
  public Future<Void> start(Session s, List<String> addresses, ResumePosition from, boolean positionGiven,
                            List<StreamAccess.StreamRequest> streams, Function<Outcome, byte[]> firstMessage) {
    // From the first registration until the first message (and any replay) is written, live notifications wait: the
    // first message is always first, and a replay is never overtaken by what follows it.
    s.heldDuringReplay = new ArrayList<>();
    List<Future<Void>> registrations = new ArrayList<>();
    for (String address : addresses) {
      registrations.add(registry.join(s, address));
    }
    // Delivery starts only once the consumers are registered, cluster-wide when clustered, and the replay is read.
    s.transport.pause();
    return Future.join(registrations)
        .onFailure(e -> log.warn("connection {}: consumer registration failed: {}", s.id, e.getMessage()))
        .transform(ignored -> readReplays(s, from, streams, true))
        .transform(read -> {
          Outcome outcome = read.result();
          Future<List<StoredNotification>> taken = queueTakenWhileOpen(s, positionGiven);
          Future<byte[]> initial = readInitialState(s);
          return Future.join(taken, initial).transform(ignored -> {
            if (s.closing) {
              return Future.<Void>succeededFuture();
            }
            byte[] first = firstMessage == null ? null : firstMessage.apply(outcome);
            if (first != null) {
              writer.write(s, null, first);
            }
            if (initial.succeeded() && initial.result() != null) {
              writer.write(s, userAddress(s), initial.result());
            }
            finishReplay(s, outcome, positionGiven, taken.succeeded() ? taken.result() : List.of(), streams);
            s.transport.resume();
            deliverOfflineQueue(s);
            return Future.<Void>succeededFuture();
          });
        });
  }

  /**
   * Replays, while connected ({@code /ws} Resume), the user stream from {@code position} (null: not replayed) and the
   * broadcast and topic {@code streams} the session may read ({@link StreamAccess}), as {@link #start} does: live
   * notifications wait meanwhile and copies of what was replayed are dropped; {@code header} builds the message that
   * precedes the replay from every outcome. False, and nothing done, while another replay of the session is in
   * progress: its live notifications are already held, and two replays would interleave.
   */
  public boolean resume(Session s, ResumePosition position, List<StreamAccess.StreamRequest> streams,
                        Function<Outcome, byte[]> header) {
    if (s.heldDuringReplay != null) {
      return false;
    }
    s.heldDuringReplay = new ArrayList<>();
    s.transport.pause();
    readReplays(s, position, streams, position != null).onComplete(read -> {
      if (s.closing) {
        return;
      }
      writer.write(s, null, header.apply(read.result()));
      finishReplay(s, read.result(), true, List.of(), streams);
      s.transport.resume();
    });
    return true;
  }

  /**
   * What a replay read: the user stream's replay (null when it was not asked for) and each other stream's, by name
   * in the order asked; a failed read is a failed result (the history store could not answer).
   */
  public record Outcome(AsyncResult<Replay> user, Map<String, AsyncResult<Replay>> streams) {
  }

  /**
   * Reads the user stream's replay when {@code userWanted} (after {@code from}, or only its current position when null)
   * and each other stream's, all at once.
   */
  private Future<Outcome> readReplays(Session s, ResumePosition from, List<StreamAccess.StreamRequest> streams,
                                      boolean userWanted) {
    Future<Replay> user = userWanted ? readReplay(s, from) : null;
    List<Future<Replay>> reads = new ArrayList<>();
    for (StreamAccess.StreamRequest stream : streams) {
      reads.add(ReplayReader.read(state.history(), stream.key(), stream.position()));
    }
    List<Future<?>> all = new ArrayList<>(reads);
    if (user != null) {
      all.add(user);
    }
    return Future.join(all).transform(ignored -> {
      Map<String, AsyncResult<Replay>> byName = new LinkedHashMap<>();
      for (int i = 0; i < streams.size(); i++) {
        byName.put(streams.get(i).name(), reads.get(i));
      }
      return Future.succeededFuture(new Outcome(user, byName));
    });
  }

  /**
   * The part of the user's history the client missed: everything after its position when it gave one (or only the
   * stream's current position otherwise). An offset of 0 means "seen nothing": any epoch matches.
   */
  private Future<Replay> readReplay(Session s, ResumePosition from) {
    return ReplayReader.read(state.history(), StreamKey.user(s.user.tenant(), s.user.userId()), from);
  }

  /**
   * The notifications of the user's last offline-queue take (read once this session's consumers are registered) when
   * this session was already open at that moment: it must get them, but the taker's publish may have come before its
   * consumer registration completed. Empty for a session that gave a position (its replay covers them), or that was
   * opened after the take (the queue was delivered before it existed).
   */
  private Future<List<StoredNotification>> queueTakenWhileOpen(Session s, boolean positionGiven) {
    if (positionGiven) {
      return Future.succeededFuture(List.of());
    }
    return state.history().lastQueueTake(s.user.tenant(), s.user.userId())
        .map(take -> {
          if (take.isEmpty()) {
            return List.<StoredNotification>of();
          }
          // Both durations end now (the take's age as the store measured it a moment ago): no clocks are compared.
          long openForMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.openedNanos) + 1;
          return openForMs >= take.get().ageMillis() ? take.get().notifications() : List.<StoredNotification>of();
        })
        .onFailure(e -> node.metrics().stateFailure("queue"));
  }

  /** The InitialState message (unread count and latest unread), or null when {@code initial_state} is off. */
  private Future<byte[]> readInitialState(Session s) {
    if (!stateOptions.isInitialState()) {
      return Future.succeededFuture(null);
    }
    return state.inbox().unread(s.user.tenant(), s.user.userId(), Math.max(1, stateOptions.getInitialStateSize()))
        .map(inbox -> {
          JsonArray latest = new JsonArray();
          if (stateOptions.getInitialStateSize() > 0) {
            inbox.latest().forEach(n -> latest.add(n.notification().toFrame()));
          }
          return new JsonObject().put("type", "InitialState").put("unread_count", inbox.unreadCount())
              .put("notifications", latest).encode().getBytes(StandardCharsets.UTF_8);
        })
        .onFailure(e -> node.metrics().stateFailure("inbox"));
  }

  /**
   * Writes the notifications of an offline-queue take this session was open for ({@link #queueTakenWhileOpen}), the
   * replayed notifications, then the live ones held meanwhile, dropping the live copies of what was already written:
   * no gap and no duplicate across the switch to live delivery.
   */
  private void finishReplay(Session s, Outcome outcome, boolean positionGiven, List<StoredNotification> takenWhileOpen,
                            List<StreamAccess.StreamRequest> streams) {
    if (outcome.user() != null) {
      finishUserReplay(s, outcome.user().succeeded() ? outcome.user().result() : null, positionGiven, takenWhileOpen);
    }
    for (StreamAccess.StreamRequest stream : streams) {
      AsyncResult<Replay> read = outcome.streams().get(stream.name());
      if (read.failed()) {
        node.metrics().stateFailure("history");
        continue;
      }
      Replay replay = read.result();
      for (StoredNotification missed : replay.missed()) {
        delivery.writeFiltered(s, stream.address(), positioned(missed));
      }
      // Live delivery goes on in offset order from the position the client now has.
      Delivery.sharedStream(s, stream.address(), stream.key()).sequencer.start(replay.current().epoch(), replay.current().offset());
      if (stream.position() == null) {
        // Only the stream's position was asked for: nothing was replayed, so every live notification is still due.
        continue;
      }
      // The client has now been written everything of this stream up to its current offset: live copies are dropped.
      Position current = replay.current();
      if (s.replayedStreams == null) {
        s.replayedStreams = new HashMap<>();
      }
      Position before = s.replayedStreams.get(stream.address());
      if (before == null || !before.epoch().equals(current.epoch()) || before.offset() < current.offset()) {
        s.replayedStreams.put(stream.address(), current);
      }
    }
    List<Delivery.Held> held = s.heldDuringReplay;
    s.heldDuringReplay = null;
    if (held != null) {
      delivery.deliverHeld(s, held);
    }
  }

  /** The user stream's part of {@link #finishReplay}; {@code replay} null when the history store could not answer. */
  private void finishUserReplay(Session s, Replay replay, boolean positionGiven, List<StoredNotification> takenWhileOpen) {
    String address = userAddress(s);
    if (!takenWhileOpen.isEmpty()) {
      // Older than the replay: written first, except what the replay itself writes; their live copies (the taker's
      // publish) are dropped by position.
      Set<Position> replayed = new HashSet<>();
      if (replay != null) {
        replay.missed().forEach(missed -> replayed.add(missed.position()));
      }
      for (StoredNotification queued : takenWhileOpen) {
        Position position = queued.position();
        if (replayed.contains(position)) {
          continue;
        }
        if (Delivery.firstWrite(s, position)) {
          delivery.writeFiltered(s, address, positioned(queued));
        }
      }
    }
    if (replay != null) {
      for (StoredNotification missed : replay.missed()) {
        delivery.writeFiltered(s, address, positioned(missed));
      }
      // Live copies of what was just replayed are dropped. A client that gave a position has seen everything up to
      // the current offset; one that did not was replayed only what followed its baseline, and must still get its
      // offline queue (offsets up to the baseline) and everything live after the current offset.
      s.userStreamEpoch = replay.current().epoch();
      s.userStream.sequencer.start(replay.current().epoch(), replay.current().offset());
      if (positionGiven) {
        s.userStreamReplayedFrom = 0;
        s.userStreamReplayedUpTo = Math.max(s.userStreamReplayedUpTo, replay.current().offset());
      } else {
        s.userStreamReplayedUpTo = replay.current().offset();
        s.userStreamReplayedFrom = replay.missed().isEmpty() ? replay.current().offset()
            : replay.missed().get(0).position().offset() - 1;
      }
    } else {
      node.metrics().stateFailure("history");
    }
  }


  /**
   * Takes the user's offline queue (one atomic step: of two sessions starting at once, one gets it) and publishes each
   * notification to the user's address, so every session of the user open now receives it once; sessions that
   * already replayed it drop the copy by its offset. The take is recorded (for
   * {@link HistoryStore#QUEUE_TAKE_RECORD_SECS}): a session still starting, whose consumer registration may complete
   * after this publish, writes the taken notifications itself ({@link #queueTakenWhileOpen}).
   */
  private void deliverOfflineQueue(Session s) {
    String address = userAddress(s);
    state.history().takeOfflineQueue(s.user.tenant(), s.user.userId())
        .onSuccess(queued -> queued.forEach(q -> vertx.eventBus().publish(address, positioned(q))))
        .onFailure(e -> node.metrics().stateFailure("queue"));
  }

  private static String userAddress(Session s) {
    return Addresses.user(s.user.tenant(), s.user.userId());
  }

  /** The stored notification with its position, so that its message carries stream, epoch and offset. */
  private static Notification positioned(StoredNotification stored) {
    return stored.notification().withPosition(stored.position().epoch(), stored.position().offset());
  }
}
