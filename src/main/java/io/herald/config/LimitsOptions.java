package io.herald.config;

/**
 * What one node and each of its connections may use: connection counts (node, user, not yet authenticated), heartbeat
 * and idle timeout, message and topic-change rates, and how long and how much a slow client is waited for. Each setter
 * refuses a value out of its range with a {@link ConfigException} naming the key; the rules between two keys wait for
 * {@link #validate()}, since either key may be set first. {@link #toString()} shows the keys as JSON.
 */
public final class LimitsOptions {

  /** Default maximum concurrent WebSocket connections on this node = {@value}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10000;
  /** Default maximum concurrent WebSocket connections per authenticated user = {@value}. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_USER = 10;
  /** Default maximum connections on this node not yet authenticated ({@code /ws} and bridge) = {@value}. */
  public static final int DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS = 1000;
  /** Default maximum connections on this node not yet authenticated per client address = {@value}. */
  public static final int DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS = 50;
  /** Default heartbeat (ping) interval in seconds = {@value}. */
  public static final int DEFAULT_HEARTBEAT_INTERVAL_SECS = 30;
  /** Default idle connection timeout in seconds = {@value}. */
  public static final int DEFAULT_CONNECTION_TIMEOUT_SECS = 300;
  /** Default sustained client message rate limit, in messages per second = {@value}. */
  public static final int DEFAULT_RATE_LIMIT_PER_SEC = 20;
  /** Default client message rate limit burst, in messages = {@value}. */
  public static final int DEFAULT_RATE_LIMIT_BURST = 40;
  /** Default grace period for a slow client (write queue full), in seconds = {@value}. */
  public static final int DEFAULT_SLOW_CLIENT_GRACE_SECS = 10;
  /** Default maximum frames held for a slow client before disconnecting it = {@value}. */
  public static final int DEFAULT_SLOW_CLIENT_MAX_PENDING = 1024;
  /** Default per-connection WebSocket write queue high-water mark, in bytes = {@value}. */
  public static final int DEFAULT_WRITE_QUEUE_MAX_BYTES = 262144;
  /** Default sustained upgrades ({@code /ws}, bridge) per client address, per second = {@value}. */
  public static final int DEFAULT_UPGRADE_RATE_PER_SEC = 10;
  /** Default burst of upgrades per client address = {@value}. */
  public static final int DEFAULT_UPGRADE_RATE_BURST = 100;
  /** Default maximum SockJS sessions vertx-web holds on this node = {@value}. */
  public static final int DEFAULT_MAX_SOCKJS_SESSIONS = 10000;
  /** Default maximum bridge sockets per client address on this node = {@value}. */
  public static final int DEFAULT_MAX_SOCKJS_SESSIONS_PER_ADDRESS = 100;

  private int maxConnections;
  private int maxConnectionsPerUser;
  private int maxUnauthenticatedConnections;
  private int maxUnauthenticatedPerAddress;
  private int heartbeatIntervalSecs;
  private int connectionTimeoutSecs;
  private int rateLimitPerSec;
  private int rateLimitBurst;
  private int slowClientGraceSecs;
  private int slowClientMaxPending;
  private int writeQueueMaxBytes;
  private int upgradeRatePerSec;
  private int upgradeRateBurst;
  private int maxSockjsSessions;
  private int maxSockjsSessionsPerAddress;

  /**
   * Creates the section with every default.
   */
  public LimitsOptions() {
    maxConnections = DEFAULT_MAX_CONNECTIONS;
    maxConnectionsPerUser = DEFAULT_MAX_CONNECTIONS_PER_USER;
    maxUnauthenticatedConnections = DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS;
    maxUnauthenticatedPerAddress = DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS;
    heartbeatIntervalSecs = DEFAULT_HEARTBEAT_INTERVAL_SECS;
    connectionTimeoutSecs = DEFAULT_CONNECTION_TIMEOUT_SECS;
    rateLimitPerSec = DEFAULT_RATE_LIMIT_PER_SEC;
    rateLimitBurst = DEFAULT_RATE_LIMIT_BURST;
    slowClientGraceSecs = DEFAULT_SLOW_CLIENT_GRACE_SECS;
    slowClientMaxPending = DEFAULT_SLOW_CLIENT_MAX_PENDING;
    writeQueueMaxBytes = DEFAULT_WRITE_QUEUE_MAX_BYTES;
    upgradeRatePerSec = DEFAULT_UPGRADE_RATE_PER_SEC;
    upgradeRateBurst = DEFAULT_UPGRADE_RATE_BURST;
    maxSockjsSessions = DEFAULT_MAX_SOCKJS_SESSIONS;
    maxSockjsSessionsPerAddress = DEFAULT_MAX_SOCKJS_SESSIONS_PER_ADDRESS;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public LimitsOptions(LimitsOptions other) {
    maxConnections = other.maxConnections;
    maxConnectionsPerUser = other.maxConnectionsPerUser;
    maxUnauthenticatedConnections = other.maxUnauthenticatedConnections;
    maxUnauthenticatedPerAddress = other.maxUnauthenticatedPerAddress;
    heartbeatIntervalSecs = other.heartbeatIntervalSecs;
    connectionTimeoutSecs = other.connectionTimeoutSecs;
    rateLimitPerSec = other.rateLimitPerSec;
    rateLimitBurst = other.rateLimitBurst;
    slowClientGraceSecs = other.slowClientGraceSecs;
    slowClientMaxPending = other.slowClientMaxPending;
    writeQueueMaxBytes = other.writeQueueMaxBytes;
    upgradeRatePerSec = other.upgradeRatePerSec;
    upgradeRateBurst = other.upgradeRateBurst;
    maxSockjsSessions = other.maxSockjsSessions;
    maxSockjsSessionsPerAddress = other.maxSockjsSessionsPerAddress;
  }

  /**
   * @return the maximum number of concurrent connections on this node ({@code max_connections})
   */
  public int getMaxConnections() {
    return maxConnections;
  }

  /**
   * Sets the maximum number of concurrent WebSocket connections on this node (connections). Key
   * {@code max_connections}, env {@code MAX_CONNECTIONS}; &gt;= 1. Default {@value #DEFAULT_MAX_CONNECTIONS}.
   *
   * @param maxConnections the limit
   * @return this
   */
  public LimitsOptions setMaxConnections(int maxConnections) {
    this.maxConnections = Checks.min("max_connections", maxConnections, 1);
    return this;
  }

  /**
   * @return the maximum number of concurrent connections per user ({@code max_connections_per_user})
   */
  public int getMaxConnectionsPerUser() {
    return maxConnectionsPerUser;
  }

  /**
   * Sets the maximum number of concurrent WebSocket connections per authenticated user (connections). Key
   * {@code max_connections_per_user}, env {@code MAX_CONNECTIONS_PER_USER}; &gt;= 1. Default
   * {@value #DEFAULT_MAX_CONNECTIONS_PER_USER}.
   *
   * @param maxConnectionsPerUser the limit
   * @return this
   */
  public LimitsOptions setMaxConnectionsPerUser(int maxConnectionsPerUser) {
    this.maxConnectionsPerUser = Checks.min("max_connections_per_user", maxConnectionsPerUser, 1);
    return this;
  }

  /**
   * @return the most connections this node holds that are not yet authenticated ({@code max_unauthenticated_connections})
   */
  public int getMaxUnauthenticatedConnections() {
    return maxUnauthenticatedConnections;
  }

  /**
   * Sets the most connections ({@code /ws} and bridge sockets together) this node holds before they are
   * authenticated, counted from the upgrade (or the bridge socket's creation) until authentication completes or the
   * connection closes, exactly across all socket verticle instances. One more is refused: a {@code /ws} upgrade with
   * HTTP 503, a bridge socket with close 4029 {@code connection_limit}. Key {@code max_unauthenticated_connections},
   * env {@code MAX_UNAUTHENTICATED_CONNECTIONS}; &gt;= 1. Default {@value #DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS}.
   *
   * @param maxUnauthenticatedConnections the limit, in connections
   * @return this
   */
  public LimitsOptions setMaxUnauthenticatedConnections(int maxUnauthenticatedConnections) {
    this.maxUnauthenticatedConnections =
        Checks.min("max_unauthenticated_connections", maxUnauthenticatedConnections, 1);
    return this;
  }

  /**
   * @return the most not-yet-authenticated connections per client address ({@code max_unauthenticated_per_address})
   */
  public int getMaxUnauthenticatedPerAddress() {
    return maxUnauthenticatedPerAddress;
  }

  /**
   * Sets the most connections not yet authenticated that one client address may hold on this node (the TCP peer, or
   * the address a trusted proxy gives, see {@link AccessOptions#setTrustedProxies}); refused as for
   * {@link #setMaxUnauthenticatedConnections}. Key {@code max_unauthenticated_per_address}, env
   * {@code MAX_UNAUTHENTICATED_PER_ADDRESS}; 1..{@code max_unauthenticated_connections} (the upper bound checked by {@link #validate()}). Default
   * {@value #DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS}.
   *
   * @param maxUnauthenticatedPerAddress the limit, in connections
   * @return this
   */
  public LimitsOptions setMaxUnauthenticatedPerAddress(int maxUnauthenticatedPerAddress) {
    this.maxUnauthenticatedPerAddress =
        Checks.min("max_unauthenticated_per_address", maxUnauthenticatedPerAddress, 1);
    return this;
  }

  /**
   * @return the heartbeat interval in seconds ({@code heartbeat_interval_secs})
   */
  public int getHeartbeatIntervalSecs() {
    return heartbeatIntervalSecs;
  }

  /**
   * Sets the interval between server pings to each client, in seconds. Key {@code heartbeat_interval_secs}, env
   * {@code HEARTBEAT_INTERVAL_SECS}; &gt;= 1. Default {@value #DEFAULT_HEARTBEAT_INTERVAL_SECS}.
   *
   * @param heartbeatIntervalSecs the interval in seconds
   * @return this
   */
  public LimitsOptions setHeartbeatIntervalSecs(int heartbeatIntervalSecs) {
    this.heartbeatIntervalSecs = Checks.min("heartbeat_interval_secs", heartbeatIntervalSecs, 1);
    return this;
  }

  /**
   * @return the idle connection timeout in seconds ({@code connection_timeout_secs})
   */
  public int getConnectionTimeoutSecs() {
    return connectionTimeoutSecs;
  }

  /**
   * Sets how long a connection may stay silent (no pong nor message) before it is closed, in seconds (a WebSocket with
   * 4011; an HTTP connection that has not sent a byte with 408, see {@link ServerOptions#setRequestHeaderTimeoutSecs}). Key
   * {@code connection_timeout_secs}, env {@code CONNECTION_TIMEOUT_SECS}; &gt;= 1 and &gt;
   * {@code heartbeat_interval_secs} (checked by {@link #validate()}). Default {@value #DEFAULT_CONNECTION_TIMEOUT_SECS}.
   *
   * @param connectionTimeoutSecs the timeout in seconds
   * @return this
   */
  public LimitsOptions setConnectionTimeoutSecs(int connectionTimeoutSecs) {
    this.connectionTimeoutSecs = Checks.min("connection_timeout_secs", connectionTimeoutSecs, 1);
    return this;
  }

  /**
   * @return the sustained client message rate in messages per second ({@code rate_limit_per_sec})
   */
  public int getRateLimitPerSec() {
    return rateLimitPerSec;
  }

  /**
   * Sets the sustained rate of client messages allowed per connection, in messages per second. Key
   * {@code rate_limit_per_sec}, env {@code RATE_LIMIT_PER_SEC}; &gt;= 1. Default
   * {@value #DEFAULT_RATE_LIMIT_PER_SEC}.
   *
   * @param rateLimitPerSec the rate
   * @return this
   */
  public LimitsOptions setRateLimitPerSec(int rateLimitPerSec) {
    this.rateLimitPerSec = Checks.min("rate_limit_per_sec", rateLimitPerSec, 1);
    return this;
  }

  /**
   * @return the client message burst size in messages ({@code rate_limit_burst})
   */
  public int getRateLimitBurst() {
    return rateLimitBurst;
  }

  /**
   * Sets the burst of client messages allowed per connection above the sustained rate (token bucket size), in
   * messages. Key {@code rate_limit_burst}, env {@code RATE_LIMIT_BURST}; &gt;= 1. Default
   * {@value #DEFAULT_RATE_LIMIT_BURST}.
   *
   * @param rateLimitBurst the burst size
   * @return this
   */
  public LimitsOptions setRateLimitBurst(int rateLimitBurst) {
    this.rateLimitBurst = Checks.min("rate_limit_burst", rateLimitBurst, 1);
    return this;
  }

  /**
   * @return the slow client grace period in seconds ({@code slow_client_grace_secs})
   */
  public int getSlowClientGraceSecs() {
    return slowClientGraceSecs;
  }

  /**
   * Sets how long a client may keep its write queue full before it is disconnected, in seconds. Key
   * {@code slow_client_grace_secs}, env {@code SLOW_CLIENT_GRACE_SECS}; &gt;= 1. Default
   * {@value #DEFAULT_SLOW_CLIENT_GRACE_SECS}.
   *
   * @param slowClientGraceSecs the grace period in seconds
   * @return this
   */
  public LimitsOptions setSlowClientGraceSecs(int slowClientGraceSecs) {
    this.slowClientGraceSecs = Checks.min("slow_client_grace_secs", slowClientGraceSecs, 1);
    return this;
  }

  /**
   * @return the maximum frames held for a slow client ({@code slow_client_max_pending})
   */
  public int getSlowClientMaxPending() {
    return slowClientMaxPending;
  }

  /**
   * Sets how many frames are held for a connection whose write queue is full; over it the client is
   * disconnected (frames). Key {@code slow_client_max_pending}, env {@code SLOW_CLIENT_MAX_PENDING}; &gt;= 1.
   * Default {@value #DEFAULT_SLOW_CLIENT_MAX_PENDING}.
   *
   * @param slowClientMaxPending the frame count
   * @return this
   */
  public LimitsOptions setSlowClientMaxPending(int slowClientMaxPending) {
    this.slowClientMaxPending = Checks.min("slow_client_max_pending", slowClientMaxPending, 1);
    return this;
  }

  /**
   * @return the per-connection write queue high-water mark in bytes ({@code write_queue_max_bytes})
   */
  public int getWriteQueueMaxBytes() {
    return writeQueueMaxBytes;
  }

  /**
   * Sets the per-connection WebSocket write queue high-water mark, in bytes. Key {@code write_queue_max_bytes},
   * env {@code WRITE_QUEUE_MAX_BYTES}; &gt;= 1024. Default {@value #DEFAULT_WRITE_QUEUE_MAX_BYTES}.
   *
   * @param writeQueueMaxBytes the size in bytes
   * @return this
   */
  public LimitsOptions setWriteQueueMaxBytes(int writeQueueMaxBytes) {
    this.writeQueueMaxBytes = Checks.min("write_queue_max_bytes", writeQueueMaxBytes, 1024);
    return this;
  }

  /**
   * @return the sustained upgrades per client address per second ({@code upgrade_rate_per_sec})
   */
  public int getUpgradeRatePerSec() {
    return upgradeRatePerSec;
  }

  /**
   * Sets how many connection attempts one client address may make per second, sustained: {@code /ws} upgrades, raw
   * bridge WebSocket upgrades and requests that would create a SockJS session, counted by the node's connection
   * registry across socket verticles, before any other check. One over is refused with HTTP 429 and
   * {@code Retry-After}. Key {@code upgrade_rate_per_sec}, env {@code UPGRADE_RATE_PER_SEC}; &gt;= 1. Default
   * {@value #DEFAULT_UPGRADE_RATE_PER_SEC}.
   *
   * @param upgradeRatePerSec the rate, in upgrades per second
   * @return this
   */
  public LimitsOptions setUpgradeRatePerSec(int upgradeRatePerSec) {
    this.upgradeRatePerSec = Checks.min("upgrade_rate_per_sec", upgradeRatePerSec, 1);
    return this;
  }

  /**
   * @return the burst of upgrades per client address ({@code upgrade_rate_burst})
   */
  public int getUpgradeRateBurst() {
    return upgradeRateBurst;
  }

  /**
   * Sets how many connection attempts one client address may make at once above {@code upgrade_rate_per_sec}
   * (token bucket size). Key {@code upgrade_rate_burst}, env {@code UPGRADE_RATE_BURST}; &gt;= 1. Default
   * {@value #DEFAULT_UPGRADE_RATE_BURST}.
   *
   * @param upgradeRateBurst the burst, in upgrades
   * @return this
   */
  public LimitsOptions setUpgradeRateBurst(int upgradeRateBurst) {
    this.upgradeRateBurst = Checks.min("upgrade_rate_burst", upgradeRateBurst, 1);
    return this;
  }

  /**
   * @return the most SockJS sessions vertx-web holds on this node ({@code max_sockjs_sessions})
   */
  public int getMaxSockjsSessions() {
    return maxSockjsSessions;
  }

  /**
   * Sets the most SockJS sessions (the bridge's SockJS transports: WebSocket, XHR, EventSource) vertx-web may hold on
   * this node, authenticated or not, including closed ones it keeps until their session timeout. A request that would
   * create one more is refused with HTTP 503 and {@code Retry-After} before vertx-web creates it. Key
   * {@code max_sockjs_sessions}, env {@code MAX_SOCKJS_SESSIONS}; &gt;= 1. Default
   * {@value #DEFAULT_MAX_SOCKJS_SESSIONS}.
   *
   * @param maxSockjsSessions the limit, in sessions
   * @return this
   */
  public LimitsOptions setMaxSockjsSessions(int maxSockjsSessions) {
    this.maxSockjsSessions = Checks.min("max_sockjs_sessions", maxSockjsSessions, 1);
    return this;
  }

  /**
   * @return the most bridge sockets per client address ({@code max_sockjs_sessions_per_address})
   */
  public int getMaxSockjsSessionsPerAddress() {
    return maxSockjsSessionsPerAddress;
  }

  /**
   * Sets the most bridge sockets (every transport, the raw WebSocket endpoint included) one client address may hold
   * open on this node, authenticated or not, counted by the node's connection registry from the socket's creation to
   * its release. One more is closed at once with 4029 {@code connection_limit}. Key
   * {@code max_sockjs_sessions_per_address}, env {@code MAX_SOCKJS_SESSIONS_PER_ADDRESS};
   * 1..{@code max_sockjs_sessions} (the upper bound checked by {@link #validate()}). Default
   * {@value #DEFAULT_MAX_SOCKJS_SESSIONS_PER_ADDRESS}.
   *
   * @param maxSockjsSessionsPerAddress the limit, in sockets
   * @return this
   */
  public LimitsOptions setMaxSockjsSessionsPerAddress(int maxSockjsSessionsPerAddress) {
    this.maxSockjsSessionsPerAddress =
        Checks.min("max_sockjs_sessions_per_address", maxSockjsSessionsPerAddress, 1);
    return this;
  }

  /**
   * Checks the rules between two keys of this section (each key alone was checked by its setter):
   * {@code connection_timeout_secs} &gt; {@code heartbeat_interval_secs} and {@code max_unauthenticated_per_address}
   * &lt;= {@code max_unauthenticated_connections}, {@code max_sockjs_sessions_per_address} &lt;=
   * {@code max_sockjs_sessions}.
   *
   * @return this
   * @throws ConfigException naming the key at fault
   */
  public LimitsOptions validate() {
    if (connectionTimeoutSecs <= heartbeatIntervalSecs) {
      throw new ConfigException("connection_timeout_secs", "must be > heartbeat_interval_secs (got "
          + connectionTimeoutSecs + " <= " + heartbeatIntervalSecs + ")");
    }
    if (maxUnauthenticatedPerAddress > maxUnauthenticatedConnections) {
      throw new ConfigException("max_unauthenticated_per_address", "must be <= max_unauthenticated_connections (got "
          + maxUnauthenticatedPerAddress + " > " + maxUnauthenticatedConnections + ")");
    }
    if (maxSockjsSessionsPerAddress > maxSockjsSessions) {
      throw new ConfigException("max_sockjs_sessions_per_address", "must be <= max_sockjs_sessions (got "
          + maxSockjsSessionsPerAddress + " > " + maxSockjsSessions + ")");
    }
    return this;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
