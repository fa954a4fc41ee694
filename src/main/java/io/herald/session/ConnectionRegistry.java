package io.herald.session;

import io.herald.auth.AuthException;
import io.herald.config.ApiOptions;
import io.herald.config.LimitsOptions;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The node's connection counts: authenticated connections against {@code max_connections} (and per user, for
 * {@code /health}), connections not yet authenticated against {@code max_unauthenticated_connections} and
 * {@code max_unauthenticated_per_address}, bridge sockets per client address against
 * {@code max_sockjs_sessions_per_address}; each client address's rate of connection attempts against
 * {@code upgrade_rate_per_sec} and {@code upgrade_rate_burst}, and each HTTP API key's rate of requests against
 * {@code api_rate_per_sec} and {@code api_rate_burst}. The counts belong to one event loop, the registry verticle's
 * ({@link #bind}); socket verticles run each check-and-count there as a task and are answered on their own loop, so
 * the check and the count are one step and nothing is shared between threads. A task, not an event-bus request:
 * admission is on every connection's path, and a request costs a JSON body, a reply address and a timeout timer.
 */
public final class ConnectionRegistry {

  private final LimitsOptions limits;
  private final ApiOptions api;
  private final Map<UserKey, Integer> perUser = new HashMap<>();
  private int total;
  /** Connections not yet authenticated, per client address, and their total. */
  private final Map<String, Integer> unauthenticatedPerAddress = new HashMap<>();
  private int unauthenticated;
  /** Bridge sockets open (authenticated or not) per client address. */
  private final Map<String, Integer> bridgeSocketsPerAddress = new HashMap<>();
  /** Connection attempts per client address. */
  private final AddressRateLimit upgrades;
  /** HTTP API requests per key name (one entry per configured key at most). */
  private final Map<String, TokenBucket> apiRequests = new HashMap<>();
  /** The registry verticle's context: where every count is read and written. */
  private Context owner;

  private record UserKey(String tenant, String userId) {
  }

  public ConnectionRegistry(LimitsOptions limits, ApiOptions api) {
    this.limits = limits;
    this.api = api;
    this.upgrades = new AddressRateLimit(limits.getUpgradeRatePerSec(), limits.getUpgradeRateBurst());
  }

  /** Makes {@code context} (the registry verticle's) the owner of the counts; called once, before any admission. */
  void bind(Context context) {
    this.owner = context;
  }

  /**
   * Admits one authenticated connection of the user against {@code max_connections}; fails with an
   * {@link AuthException} carrying {@link ErrorCode#CONNECTION_LIMIT} (nothing is then held). In the same step, gives
   * back the connection's unauthenticated slot from {@code unauthenticatedAddress} (none when null), admitted or not:
   * one task per authentication instead of two. Completes on the caller's context.
   */
  public Future<Void> admit(Vertx vertx, String tenant, String userId, String unauthenticatedAddress) {
    return ask(vertx, () -> {
      if (unauthenticatedAddress != null) {
        giveBackUnauthenticated(unauthenticatedAddress);
      }
      if (total >= limits.getMaxConnections()) {
        return refusal("node connection limit reached (" + limits.getMaxConnections() + ")");
      }
      perUser.merge(new UserKey(tenant, userId), 1, Integer::sum);
      total++;
      return null;
    });
  }

  /** Gives back one admitted connection of the user. */
  public void release(String tenant, String userId) {
    owner.runOnContext(v -> {
      if (decrement(perUser, new UserKey(tenant, userId))) {
        total--;
      }
    });
  }

  /**
   * Counts one connection attempt from {@code address} (a request that would create a bridge socket) against its rate;
   * fails with an {@link AuthException} carrying {@link ErrorCode#RATE_LIMITED} when the address has none left.
   * Completes on the caller's context.
   */
  public Future<Void> admitUpgrade(Vertx vertx, String address) {
    return ask(vertx, () -> attempt(address));
  }

  /**
   * A {@code /ws} upgrade from {@code address}, in one step: counts the attempt against the address's rate (as
   * {@link #admitUpgrade}, refused with {@link ErrorCode#RATE_LIMITED}), then takes a slot for a connection not yet
   * authenticated, refused with {@link ErrorCode#CONNECTION_LIMIT} when the node's limit or the address's is reached.
   * Nothing is held when it fails. Completes on the caller's context.
   */
  public Future<Void> admitUnauthenticated(Vertx vertx, String address) {
    return ask(vertx, () -> {
      AuthException tooFast = attempt(address);
      return tooFast != null ? tooFast : takeUnauthenticated(address);
    });
  }

  /**
   * A new bridge socket from {@code address} (its attempt was counted by {@link #admitUpgrade}), in one step: a slot
   * among the address's bridge sockets ({@code max_sockjs_sessions_per_address}, held until
   * {@link #releaseBridgeSocket}) and one for a connection not yet authenticated; refused with
   * {@link ErrorCode#CONNECTION_LIMIT} (nothing held) when either is full. Completes on the caller's context.
   */
  public Future<Void> admitBridgeSocket(Vertx vertx, String address) {
    return ask(vertx, () -> {
      int fromAddress = bridgeSocketsPerAddress.getOrDefault(address, 0);
      if (fromAddress >= limits.getMaxSockjsSessionsPerAddress()) {
        return refusal("too many bridge sockets from one address (" + limits.getMaxSockjsSessionsPerAddress() + ")");
      }
      AuthException full = takeUnauthenticated(address);
      if (full == null) {
        bridgeSocketsPerAddress.put(address, fromAddress + 1);
      }
      return full;
    });
  }

  /**
   * Counts one HTTP API request made with the (verified) key named {@code keyName} against {@code api_rate_per_sec}
   * and {@code api_rate_burst}; fails with an {@link AuthException} carrying {@link ErrorCode#RATE_LIMITED} when the
   * key has none left. Node-wide, across socket verticles. Completes on the caller's context.
   */
  public Future<Void> admitApiRequest(Vertx vertx, String keyName) {
    return ask(vertx, () -> {
      long now = System.nanoTime();
      TokenBucket bucket = apiRequests.computeIfAbsent(keyName,
          k -> new TokenBucket(api.getApiRatePerSec(), api.getApiRateBurst(), now));
      return bucket.tryTake(now) ? null : new AuthException(ErrorCode.RATE_LIMITED, CloseCode.LIMIT_EXCEEDED,
          "more than " + api.getApiRatePerSec() + " requests per second with the " + keyName);
    });
  }

  /** Gives back the bridge socket slot of a socket from {@code address}. */
  public void releaseBridgeSocket(String address) {
    owner.runOnContext(v -> decrement(bridgeSocketsPerAddress, address));
  }

  private AuthException attempt(String address) {
    if (upgrades.tryTake(address, System.nanoTime())) {
      return null;
    }
    return new AuthException(ErrorCode.RATE_LIMITED, CloseCode.LIMIT_EXCEEDED,
        "more than " + limits.getUpgradeRatePerSec() + " connection attempts per second from one address");
  }

  private AuthException takeUnauthenticated(String address) {
    if (unauthenticated >= limits.getMaxUnauthenticatedConnections()) {
      return refusal("too many unauthenticated connections on this node ("
          + limits.getMaxUnauthenticatedConnections() + ")");
    }
    int fromAddress = unauthenticatedPerAddress.getOrDefault(address, 0);
    if (fromAddress >= limits.getMaxUnauthenticatedPerAddress()) {
      return refusal("too many unauthenticated connections from one address ("
          + limits.getMaxUnauthenticatedPerAddress() + ")");
    }
    unauthenticatedPerAddress.put(address, fromAddress + 1);
    unauthenticated++;
    return null;
  }

  /** Gives back the unauthenticated slot of a connection from {@code address}. */
  public void releaseUnauthenticated(String address) {
    owner.runOnContext(v -> giveBackUnauthenticated(address));
  }

  private void giveBackUnauthenticated(String address) {
    if (decrement(unauthenticatedPerAddress, address)) {
      unauthenticated--;
    }
  }

  /** Authenticated connections (read on the owner's loop; a gauge may read it from elsewhere, a moment late). */
  int connections() {
    return total;
  }

  /** Distinct users with an authenticated connection (read as {@link #connections()}). */
  int users() {
    return perUser.size();
  }

  /** Connections holding an unauthenticated slot (read as {@link #connections()}). */
  int unauthenticated() {
    return unauthenticated;
  }

  /**
   * Runs {@code step} (a check and count, answering the refusal or null) on the owner's loop, and completes the
   * returned future with its answer on the caller's loop, always in a later task: the caller sees the same order of
   * events whichever loop gets there first.
   */
  private Future<Void> ask(Vertx vertx, Supplier<AuthException> step) {
    ContextInternal caller = (ContextInternal) vertx.getOrCreateContext();
    Promise<Void> answer = caller.promise();
    owner.runOnContext(v -> {
      AuthException refused = step.get();
      caller.runOnContext(answered -> {
        if (refused == null) {
          answer.complete();
        } else {
          answer.fail(refused);
        }
      });
    });
    return answer.future();
  }

  private static AuthException refusal(String why) {
    return new AuthException(ErrorCode.CONNECTION_LIMIT, CloseCode.LIMIT_EXCEEDED, why);
  }

  /** Takes one from the key's count (removing it at zero); false when the key held nothing. */
  private static <K> boolean decrement(Map<K, Integer> counts, K key) {
    Integer current = counts.get(key);
    if (current == null) {
      return false;
    }
    if (current <= 1) {
      counts.remove(key);
    } else {
      counts.put(key, current - 1);
    }
    return true;
  }
}
