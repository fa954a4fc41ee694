package io.herald.config;

import java.util.regex.Pattern;

/**
 * Where and how long the node keeps state: the Redis server (memory when unset) and its key prefix, the session TTL,
 * the history streams and offline queue, the inbox and what InitialState carries, and the hourly metrics. Each setter
 * refuses an invalid value with a {@link ConfigException} naming the key; {@link #toString()} shows the keys as JSON
 * with the password of {@code redis_url} redacted.
 */
public final class StateOptions {

  /** Default prefix of every state key in Redis = {@value}. */
  public static final String DEFAULT_REDIS_KEY_PREFIX = "websocket";
  /** Default TTL of a node's connection keys in Redis, refreshed at every heartbeat, in seconds = {@value}. */
  public static final int DEFAULT_SESSION_TTL_SECS = 90;
  /** Default number of notifications kept per history stream (user, topic, broadcast) = {@value}. */
  public static final int DEFAULT_HISTORY_SIZE = 100;
  /** Default TTL of a history stream, refreshed on each append, in seconds = {@value} (one day). */
  public static final int DEFAULT_HISTORY_TTL_SECS = 86400;
  /** Default TTL of a user's offline queue, in seconds = {@value} (seven days). */
  public static final int DEFAULT_OFFLINE_QUEUE_TTL_SECS = 604800;
  /** Default number of unread notifications kept per user = {@value}. */
  public static final int DEFAULT_INBOX_SIZE = 100;
  /** Default for sending InitialState right after Authenticated = {@value}. */
  public static final boolean DEFAULT_INITIAL_STATE = true;
  /** Default number of notifications in InitialState = {@value}. */
  public static final int DEFAULT_INITIAL_STATE_SIZE = 10;
  /** Default for checking each session's streams against history every heartbeat interval = {@value}. */
  public static final boolean DEFAULT_POSITION_CHECK = true;
  /** Default TTL of the hourly metrics keys in Redis, in seconds = {@value} (seven days). */
  public static final int DEFAULT_METRICS_RETENTION_SECS = 604800;

  private static final Pattern REDIS_KEY_PREFIX = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private String redisUrl;
  private String redisKeyPrefix;
  private int sessionTtlSecs;
  private int historySize;
  private int historyTtlSecs;
  private int offlineQueueTtlSecs;
  private int inboxSize;
  private boolean initialState;
  private int initialStateSize;
  private boolean positionCheck;
  private int metricsRetentionSecs;

  /**
   * Creates the section with every default.
   */
  public StateOptions() {
    redisUrl = null;
    redisKeyPrefix = DEFAULT_REDIS_KEY_PREFIX;
    sessionTtlSecs = DEFAULT_SESSION_TTL_SECS;
    historySize = DEFAULT_HISTORY_SIZE;
    historyTtlSecs = DEFAULT_HISTORY_TTL_SECS;
    offlineQueueTtlSecs = DEFAULT_OFFLINE_QUEUE_TTL_SECS;
    inboxSize = DEFAULT_INBOX_SIZE;
    initialState = DEFAULT_INITIAL_STATE;
    initialStateSize = DEFAULT_INITIAL_STATE_SIZE;
    positionCheck = DEFAULT_POSITION_CHECK;
    metricsRetentionSecs = DEFAULT_METRICS_RETENTION_SECS;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public StateOptions(StateOptions other) {
    redisUrl = other.redisUrl;
    redisKeyPrefix = other.redisKeyPrefix;
    sessionTtlSecs = other.sessionTtlSecs;
    historySize = other.historySize;
    historyTtlSecs = other.historyTtlSecs;
    offlineQueueTtlSecs = other.offlineQueueTtlSecs;
    inboxSize = other.inboxSize;
    initialState = other.initialState;
    initialStateSize = other.initialStateSize;
    positionCheck = other.positionCheck;
    metricsRetentionSecs = other.metricsRetentionSecs;
  }

  /**
   * @return the Redis URL ({@code redis_url}), null when Redis is disabled
   */
  public String getRedisUrl() {
    return redisUrl;
  }

  /**
   * Sets the Redis connection URL ({@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://...}).
   * Key {@code redis_url}, env {@code REDIS_URL}. Default null (Redis disabled).
   *
   * @param redisUrl the URL, or null to disable Redis
   * @return this
   */
  public StateOptions setRedisUrl(String redisUrl) {
    if (redisUrl != null && !Checks.hasScheme(redisUrl, "redis://", "rediss://")) {
      throw new ConfigException("redis_url", "must start with redis:// or rediss:// (got '"
          + Redaction.urlPasswords(redisUrl) + "')");
    }
    this.redisUrl = redisUrl;
    return this;
  }

  /**
   * @return the prefix of every state key in Redis ({@code redis_key_prefix})
   */
  public String getRedisKeyPrefix() {
    return redisKeyPrefix;
  }

  /**
   * Sets the prefix of every state key Herald keeps in Redis ({@code <prefix>:sessions:<user>},
   * {@code <prefix>:connections:<id>}, {@code <prefix>:queue:...}, {@code <prefix>:history:...},
   * {@code <prefix>:metrics:...}, ...). Key {@code redis_key_prefix}, env {@code REDIS_KEY_PREFIX}; 1..64
   * characters of {@code [A-Za-z0-9_.:-]}. Default {@value #DEFAULT_REDIS_KEY_PREFIX}.
   *
   * @param redisKeyPrefix the prefix
   * @return this
   */
  public StateOptions setRedisKeyPrefix(String redisKeyPrefix) {
    this.redisKeyPrefix = Checks.matching("redis_key_prefix", redisKeyPrefix, REDIS_KEY_PREFIX,
        "1..64 characters of [A-Za-z0-9_.:-]");
    return this;
  }

  /**
   * @return the TTL of a connection's session keys in Redis, in seconds ({@code session_ttl_secs})
   */
  public int getSessionTtlSecs() {
    return sessionTtlSecs;
  }

  /**
   * Sets the TTL of {@code <prefix>:connections:<id>} in Redis, refreshed at every heartbeat, in seconds: how
   * long the sessions of a node that died survive. Key {@code session_ttl_secs}, env {@code SESSION_TTL_SECS};
   * &gt;= 1 and &gt; {@code heartbeat_interval_secs} (checked by {@link HeraldOptions#validate()}). Default {@value #DEFAULT_SESSION_TTL_SECS}.
   *
   * @param sessionTtlSecs the TTL in seconds
   * @return this
   */
  public StateOptions setSessionTtlSecs(int sessionTtlSecs) {
    this.sessionTtlSecs = Checks.min("session_ttl_secs", sessionTtlSecs, 1);
    return this;
  }

  /**
   * @return the number of notifications kept per history stream ({@code history_size})
   */
  public int getHistorySize() {
    return historySize;
  }

  /**
   * Sets how many notifications are kept per history stream (user, topic, broadcast) for recovery
   * (notifications). Key {@code history_size}, env {@code HISTORY_SIZE}; 1..100000. Default
   * {@value #DEFAULT_HISTORY_SIZE}.
   *
   * @param historySize the notification count
   * @return this
   */
  public StateOptions setHistorySize(int historySize) {
    this.historySize = Checks.range("history_size", historySize, 1, 100000);
    return this;
  }

  /**
   * @return the TTL of a history stream in seconds ({@code history_ttl_secs})
   */
  public int getHistoryTtlSecs() {
    return historyTtlSecs;
  }

  /**
   * Sets the TTL of a history stream, refreshed on each append, in seconds. Key {@code history_ttl_secs}, env
   * {@code HISTORY_TTL_SECS}; &gt;= 1. Default {@value #DEFAULT_HISTORY_TTL_SECS}.
   *
   * @param historyTtlSecs the TTL in seconds
   * @return this
   */
  public StateOptions setHistoryTtlSecs(int historyTtlSecs) {
    this.historyTtlSecs = Checks.min("history_ttl_secs", historyTtlSecs, 1);
    return this;
  }

  /**
   * @return the TTL of a user's offline queue in seconds ({@code offline_queue_ttl_secs})
   */
  public int getOfflineQueueTtlSecs() {
    return offlineQueueTtlSecs;
  }

  /**
   * Sets the TTL of a user's offline queue (at most 100 notifications), in seconds. Key
   * {@code offline_queue_ttl_secs}, env {@code OFFLINE_QUEUE_TTL_SECS}; &gt;= 1. Default
   * {@value #DEFAULT_OFFLINE_QUEUE_TTL_SECS}.
   *
   * @param offlineQueueTtlSecs the TTL in seconds
   * @return this
   */
  public StateOptions setOfflineQueueTtlSecs(int offlineQueueTtlSecs) {
    this.offlineQueueTtlSecs = Checks.min("offline_queue_ttl_secs", offlineQueueTtlSecs, 1);
    return this;
  }

  /**
   * @return the number of unread notifications kept per user ({@code inbox_size})
   */
  public int getInboxSize() {
    return inboxSize;
  }

  /**
   * Sets how many unread notifications are kept per user (notifications). Key {@code inbox_size}, env
   * {@code INBOX_SIZE}; 1..10000. Default {@value #DEFAULT_INBOX_SIZE}.
   *
   * @param inboxSize the notification count
   * @return this
   */
  public StateOptions setInboxSize(int inboxSize) {
    this.inboxSize = Checks.range("inbox_size", inboxSize, 1, 10000);
    return this;
  }

  /**
   * @return whether InitialState is sent right after Authenticated ({@code initial_state})
   */
  public boolean isInitialState() {
    return initialState;
  }

  /**
   * Sends an InitialState message (unread count and latest unread notifications) right after Authenticated.
   * Key {@code initial_state}, env {@code INITIAL_STATE}. Default {@value #DEFAULT_INITIAL_STATE}.
   *
   * @param initialState whether to send InitialState
   * @return this
   */
  public StateOptions setInitialState(boolean initialState) {
    this.initialState = initialState;
    return this;
  }

  /**
   * @return whether every session's streams are checked against history each heartbeat interval
   * ({@code position_check})
   */
  public boolean isPositionCheck() {
    return positionCheck;
  }

  /**
   * Checks, once per {@code heartbeat_interval_secs}, every authenticated session's user stream and the topic and
   * broadcast streams it receives against history, and writes what history holds past the last offset written to
   * it: a notification recorded by a node whose publish never arrived (the node died with it in its buffers, or a
   * partition cut the event bus) and that no later notification of the stream revealed as a gap. One history read
   * per stream of each session per interval. Key {@code position_check}, env {@code POSITION_CHECK}. Default
   * {@value #DEFAULT_POSITION_CHECK}.
   *
   * @param positionCheck whether to check
   * @return this
   */
  public StateOptions setPositionCheck(boolean positionCheck) {
    this.positionCheck = positionCheck;
    return this;
  }

  /**
   * @return the number of notifications in InitialState ({@code initial_state_size})
   */
  public int getInitialStateSize() {
    return initialStateSize;
  }

  /**
   * Sets how many of the latest unread notifications InitialState carries (notifications). Key
   * {@code initial_state_size}, env {@code INITIAL_STATE_SIZE}; 0..100. Default
   * {@value #DEFAULT_INITIAL_STATE_SIZE}.
   *
   * @param initialStateSize the notification count
   * @return this
   */
  public StateOptions setInitialStateSize(int initialStateSize) {
    this.initialStateSize = Checks.range("initial_state_size", initialStateSize, 0, 100);
    return this;
  }

  /**
   * @return the TTL of the hourly metrics keys in seconds ({@code metrics_retention_secs})
   */
  public int getMetricsRetentionSecs() {
    return metricsRetentionSecs;
  }

  /**
   * Sets the TTL of the hourly {@code <prefix>:metrics:<date>:<hour>} keys in Redis, in seconds. Key
   * {@code metrics_retention_secs}, env {@code METRICS_RETENTION_SECS}; &gt;= 3600. Default
   * {@value #DEFAULT_METRICS_RETENTION_SECS}.
   *
   * @param metricsRetentionSecs the TTL in seconds
   * @return this
   */
  public StateOptions setMetricsRetentionSecs(int metricsRetentionSecs) {
    this.metricsRetentionSecs = Checks.min("metrics_retention_secs", metricsRetentionSecs, 3600);
    return this;
  }

  /**
   * @return whether Redis is configured ({@code redis_url} set)
   */
  public boolean redisEnabled() {
    return redisUrl != null;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
