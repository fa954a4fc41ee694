package io.herald.ingress;

import io.nats.client.Message;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JetStream messages a node has taken and not yet acked (or nakked, or terminated), and the signal that keeps the
 * server from delivering them again while they wait in the node's queue: {@code inProgress} (+WPI) restarts a
 * message's ack wait. A node far behind (a connect storm, a busy machine) would otherwise see its queued messages
 * delivered again to every node each {@code nats_ack_wait_secs} — work multiplied while the fleet is already behind,
 * and copies arriving later than a session's window of written offsets remembers. A node that dies stops signalling,
 * so its messages are delivered again after the ack wait as before.
 */
final class InProgressSignals {

  private final Set<Message> waiting = ConcurrentHashMap.newKeySet();

  /** The node has taken the message (any thread). */
  void taken(Message message) {
    waiting.add(message);
  }

  /** The message was acked, nakked or terminated (any thread). */
  void done(Message message) {
    waiting.remove(message);
  }

  /** Restarts the ack wait of every message still waiting; on a worker thread (each signal is a publish to NATS). */
  void signalAll() {
    for (Message message : waiting) {
      try {
        message.inProgress();
      } catch (RuntimeException connectionGone) {
        // Its connection closed (a NATS restart): the server delivers it again, and its ack or nak fails alike.
        waiting.remove(message);
      }
    }
  }

  int waiting() {
    return waiting.size();
  }
}
