package io.herald.session;

import io.herald.auth.AuthException;
import io.herald.runtime.NodeInfo;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.state.SessionInfo;
import io.herald.state.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits an authenticated connection, the same for {@code /ws} and the event-bus bridge: first against the node's
 * {@code max_connections} (the {@link ConnectionRegistry}, one step on its own event loop), then against
 * {@code max_connections_per_user} fleet-wide (the session store checks and registers in one atomic step).
 * What was granted is recorded in the connection's {@link Ticket}, so that {@link #release} gives back exactly that,
 * once, however the connection ends.
 *
 * <p>Before that, from its upgrade (bridge: the socket's creation), a connection holds one of the node's slots for
 * connections not yet authenticated ({@link #admitUnauthenticated}), counted by the same registry node-wide and per
 * client address, and given back by the node admission's own step ({@link #admit}: its token is verified) or, closed
 * before that, by {@link #releaseUnauthenticated}.
 */
public final class Admission {

  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  private final Vertx vertx;
  private final NodeInfo node;
  private final ConnectionRegistry registry;
  private final SessionStore sessions;
  private final int maxPerUser;

  /** What one connection holds: owned by the event loop of the verticle that owns the connection. */
  public static final class Ticket {
    private boolean nodeAdmitted;
    private boolean sessionRegistered;
    /** The client address whose unauthenticated slot this connection holds; null when it holds none. */
    private String unauthenticatedAddress;
    /** The client address whose bridge socket slot this connection holds; null when it holds none. */
    private String bridgeAddress;
  }

  public Admission(Vertx vertx, NodeInfo node, ConnectionRegistry registry, SessionStore sessions, int maxPerUser) {
    this.vertx = vertx;
    this.node = node;
    this.registry = registry;
    this.sessions = sessions;
    this.maxPerUser = maxPerUser;
  }

  /**
   * Admits the connection described by {@code session} (its token verified); fails with an {@link AuthException}
   * carrying {@link ErrorCode#CONNECTION_LIMIT} when a limit is reached (nothing is then held). A session store that is
   * down admits (live delivery goes on); the session is written at the next heartbeat. The connection's unauthenticated
   * slot, if it holds one, is given back in the same step as the node admission, admitted or not.
   */
  public Future<Void> admit(Ticket ticket, SessionInfo session) {
    String unauthenticatedAddress = ticket.unauthenticatedAddress;
    ticket.unauthenticatedAddress = null;
    Future<Void> nodeAdmission = registry.admit(vertx, session.tenant(), session.userId(), unauthenticatedAddress)
        .onSuccess(v -> ticket.nodeAdmitted = true);
    return nodeAdmission.compose(v -> sessions.register(session, maxPerUser)
        .recover(e -> {
          node.metrics().stateFailure("sessions");
          log.warn("session registration failed for connection {}: {}", session.connectionId(), e.getMessage());
          return Future.succeededFuture(true);
        })
        .compose(admitted -> {
          if (admitted) {
            ticket.sessionRegistered = true;
            return Future.<Void>succeededFuture();
          }
          // Refused: give the node admission back now, the connection will never hold it.
          ticket.nodeAdmitted = false;
          registry.release(session.tenant(), session.userId());
          return Future.failedFuture(new AuthException(ErrorCode.CONNECTION_LIMIT, CloseCode.LIMIT_EXCEEDED,
              "connection limit per user reached (" + maxPerUser + ")"));
        }));
  }

  /**
   * Gives back whatever the ticket holds (the session in the store, the node admission); a second call does nothing.
   *
   * @return completes when the session is removed from the store (at once when it was not registered)
   */
  public Future<Void> release(Ticket ticket, String tenant, String userId, String connectionId) {
    Future<Void> unregistered = Future.succeededFuture();
    if (ticket.sessionRegistered) {
      ticket.sessionRegistered = false;
      unregistered = sessions.unregister(tenant, userId, connectionId)
          .onFailure(e -> node.metrics().stateFailure("sessions"));
    }
    if (ticket.nodeAdmitted) {
      ticket.nodeAdmitted = false;
      registry.release(tenant, userId);
    }
    return unregistered;
  }

  /**
   * A {@code /ws} upgrade from {@code clientAddress}: counts the attempt against the address's
   * {@code upgrade_rate_per_sec} (refused with an {@link AuthException} carrying {@link ErrorCode#RATE_LIMITED}), and
   * takes a slot for a connection not yet authenticated (refused with {@link ErrorCode#CONNECTION_LIMIT} when the
   * node's limit or the address's is reached). Nothing is held when it fails.
   */
  public Future<Void> admitUnauthenticated(Ticket ticket, String clientAddress) {
    String address = known(clientAddress);
    return registry.admitUnauthenticated(vertx, address).onSuccess(v -> ticket.unauthenticatedAddress = address);
  }

  /**
   * Counts one connection attempt from {@code clientAddress} (a request that would create a bridge socket) against its
   * {@code upgrade_rate_per_sec}; refused with an {@link AuthException} carrying {@link ErrorCode#RATE_LIMITED}.
   */
  public Future<Void> admitUpgrade(String clientAddress) {
    return registry.admitUpgrade(vertx, known(clientAddress));
  }

  /**
   * A new bridge socket from {@code clientAddress}: a slot among the address's bridge sockets
   * ({@code max_sockjs_sessions_per_address}, held until {@link #releaseBridgeSocket}) and one for a connection not yet
   * authenticated; refused with {@link ErrorCode#CONNECTION_LIMIT} (nothing held) when either is full.
   */
  public Future<Void> admitBridgeSocket(Ticket ticket, String clientAddress) {
    String address = known(clientAddress);
    return registry.admitBridgeSocket(vertx, address).onSuccess(v -> {
      ticket.unauthenticatedAddress = address;
      ticket.bridgeAddress = address;
    });
  }

  /**
   * Counts one HTTP API request made with the verified key named {@code keyName} against {@code api_rate_per_sec}
   * (node-wide); refused with an {@link AuthException} carrying {@link ErrorCode#RATE_LIMITED}.
   */
  public Future<Void> admitApiRequest(String keyName) {
    return registry.admitApiRequest(vertx, keyName);
  }

  /** Gives back the ticket's bridge socket slot once the socket is released; a second call does nothing. */
  public void releaseBridgeSocket(Ticket ticket) {
    if (ticket.bridgeAddress != null) {
      registry.releaseBridgeSocket(ticket.bridgeAddress);
      ticket.bridgeAddress = null;
    }
  }

  /** The address connections of an unknown peer are counted under, all together. */
  private static String known(String clientAddress) {
    return clientAddress == null ? "-" : clientAddress;
  }

  /** Gives back the ticket's unauthenticated slot, once authenticated or closed; a second call does nothing. */
  public void releaseUnauthenticated(Ticket ticket) {
    if (ticket.unauthenticatedAddress != null) {
      registry.releaseUnauthenticated(ticket.unauthenticatedAddress);
      ticket.unauthenticatedAddress = null;
    }
  }
}
