package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Herald configuration: typed options with named defaults, layered as
 * <em>built-in defaults &larr; JSON config file &larr; environment variables</em>, then validated.
 * <p>
 * In a JSON file keys are snake_case ({@code websocket_port}); the matching environment variable is the
 * UPPER_SNAKE_CASE of the key ({@code WEBSOCKET_PORT}), except {@code api_key} (read from
 * {@code HERALD_API_KEY}, falling back to {@code API_KEY}), {@code allowed_origins} (read from
 * {@code ALLOWED_ORIGINS}, falling back to {@code CORS_ORIGIN}), {@code admin_key} ({@code HERALD_ADMIN_KEY}) and
 * {@code metrics_key} ({@code HERALD_METRICS_KEY}). An empty environment value counts as unset.
 * List options are comma separated in the environment; {@code explorers} is a JSON object string.
 * <p>
 * File keys starting with {@code "_"} or {@code "//"} are ignored (documentation entries); any other
 * unknown key is rejected. Setters do not check their argument: {@link #validate()} does, and reports the
 * first problem as a {@link ConfigException} naming the key.
 * <p>
 * Secrets ({@code jwt_secret}, {@code api_key}, {@code admin_key}, {@code metrics_key}, passwords in
 * {@code redis_url}/{@code nats_url}) are
 * hidden by {@link #toRedactedJson()} and {@link #toString()}.
 */
public final class HeraldOptions {

  /** Replacement text for secrets in {@link #toRedactedJson()}. */
  public static final String REDACTED = "<redacted>";

  /** Default WebSocket listen host = {@value}. */
  public static final String DEFAULT_WEBSOCKET_HOST = "0.0.0.0";
  /** Default WebSocket listen port = {@value}. */
  public static final int DEFAULT_WEBSOCKET_PORT = 8080;
  /** Default number of server verticle instances = {@value} (0 means one per event-loop thread). */
  public static final int DEFAULT_INSTANCES = 0;
  /** Default maximum concurrent WebSocket connections on this node = {@value}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10000;
  /** Default maximum concurrent WebSocket connections per authenticated user = {@value}. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_USER = 10;
  /** Default NATS subject notifications are consumed from = {@value}. */
  public static final String DEFAULT_NATS_SUBJECT = "notifications.websocket";
  /** Default NATS queue group = {@value}. */
  public static final String DEFAULT_NATS_QUEUE_GROUP = "herald-ingress";
  /** Default Redis pub/sub channel prefix = {@value}. */
  public static final String DEFAULT_REDIS_CHANNEL_PREFIX = "notifications";
  /** Default heartbeat (ping) interval in seconds = {@value}. */
  public static final int DEFAULT_HEARTBEAT_INTERVAL_SECS = 30;
  /** Default idle connection timeout in seconds = {@value}. */
  public static final int DEFAULT_CONNECTION_TIMEOUT_SECS = 300;
  /** Default time allowed to authenticate after connecting, in seconds = {@value}. */
  public static final int DEFAULT_AUTH_TIMEOUT_SECS = 10;
  /** Default delay before closing a connection whose token expired, in seconds = {@value}. */
  public static final int DEFAULT_EXPIRED_CLOSE_DELAY_SECS = 25;
  /** Default interval between re-checks of a Knox token against its record, in seconds = {@value} (0: never). */
  public static final int DEFAULT_AUTH_RECHECK_SECS = 60;
  /** Default maximum WebSocket frame size in bytes = {@value}. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 65536;
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
  /** Default TTL of the hourly metrics keys in Redis, in seconds = {@value} (seven days). */
  public static final int DEFAULT_METRICS_RETENTION_SECS = 604800;
  /** Default for the development mode = {@value} (no token or API key is ever handed out); only {@code herald run --dev} sets it. */
  public static final boolean DEFAULT_DEV_MODE = false;
  /** Default allowed WebSocket origins = empty list (any origin). */
  public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();
  /** Default for clustering = {@value} (a standalone node). */
  public static final boolean DEFAULT_CLUSTER = false;
  /** Default for permessage-deflate compression = {@value}. */
  public static final boolean DEFAULT_COMPRESSION = true;
  /** Default deflate compression level = {@value}. */
  public static final int DEFAULT_COMPRESSION_LEVEL = 6;
  /** Default topics every authenticated connection is subscribed to = empty list. */
  public static final List<String> DEFAULT_DEFAULT_TOPICS = List.of();
  /** Default topics that may be subscribed without authorization = empty list. */
  public static final List<String> DEFAULT_PUBLIC_TOPICS = List.of();
  /** Default block explorer URL templates (chain &rarr; URL containing {@code {hash}}). */
  public static final Map<String, String> DEFAULT_EXPLORERS;
  /** Default log level = {@value}. */
  public static final String DEFAULT_LOG_LEVEL = "INFO";
  /** Default maximum connections on this node not yet authenticated ({@code /ws} and bridge) = {@value}. */
  public static final int DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS = 1000;
  /** Default maximum connections on this node not yet authenticated per client address = {@value}. */
  public static final int DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS = 50;
  /** Default proxies whose {@code X-Forwarded-For} is trusted = empty list (the TCP peer is the client). */
  public static final List<String> DEFAULT_TRUSTED_PROXIES = List.of();
  /** Default sustained topic changes (topics joined or left) per connection, per second = {@value}. */
  public static final int DEFAULT_TOPIC_CHANGES_PER_SEC = 20;
  /** Default burst of topic changes per connection = {@value} (one whole topic set of a connection). */
  public static final int DEFAULT_TOPIC_CHANGES_BURST = 256;

  /** Accepted log levels. */
  public static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("ethereum", "https://etherscan.io/tx/{hash}");
    m.put("avalanche", "https://snowtrace.io/tx/{hash}");
    m.put("polygon", "https://polygonscan.com/tx/{hash}");
    m.put("arbitrum", "https://arbiscan.io/tx/{hash}");
    m.put("optimism", "https://optimistic.etherscan.io/tx/{hash}");
    m.put("base", "https://basescan.org/tx/{hash}");
    m.put("bsc", "https://bscscan.com/tx/{hash}");
    DEFAULT_EXPLORERS = Collections.unmodifiableMap(m);
  }

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern REDIS_KEY_PREFIX = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_.:@-]{1,128}");
  private static final Pattern ORIGIN = Pattern.compile(
      "[A-Za-z][A-Za-z0-9+.-]*://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(:([0-9]{1,5}))?");
  private static final Pattern WHITESPACE = Pattern.compile("\\s");
  private static final SecureRandom RANDOM = new SecureRandom();

  private String nodeId;
  private String websocketHost;
  private int websocketPort;
  private int instances;
  private int maxConnections;
  private int maxConnectionsPerUser;
  private String redisUrl;
  private String natsUrl;
  private String natsSubject;
  private String natsQueueGroup;
  private String redisChannelPrefix;
  private int heartbeatIntervalSecs;
  private int connectionTimeoutSecs;
  private int authTimeoutSecs;
  private int expiredCloseDelaySecs;
  private int authRecheckSecs;
  private int maxFrameBytes;
  private int rateLimitPerSec;
  private int rateLimitBurst;
  private int slowClientGraceSecs;
  private int slowClientMaxPending;
  private int writeQueueMaxBytes;
  private String redisKeyPrefix;
  private int sessionTtlSecs;
  private int historySize;
  private int historyTtlSecs;
  private int offlineQueueTtlSecs;
  private int inboxSize;
  private boolean initialState;
  private int initialStateSize;
  private int metricsRetentionSecs;
  private String jwtSecret;
  private String jwtPublicKey;
  private String jwtIssuer;
  private String jwtAudience;
  private String apiKey;
  private boolean devMode;
  private List<String> allowedOrigins;
  private boolean compression;
  private boolean cluster;
  private int compressionLevel;
  private List<String> defaultTopics;
  private List<String> publicTopics;
  private Map<String, String> explorers;
  private String logLevel;
  private String adminKey;
  private String metricsKey;
  private int maxUnauthenticatedConnections;
  private int maxUnauthenticatedPerAddress;
  private List<String> trustedProxies;
  private int topicChangesPerSec;
  private int topicChangesBurst;

  /**
   * Creates options with every default.
   */
  public HeraldOptions() {
    nodeId = null;
    websocketHost = DEFAULT_WEBSOCKET_HOST;
    websocketPort = DEFAULT_WEBSOCKET_PORT;
    instances = DEFAULT_INSTANCES;
    maxConnections = DEFAULT_MAX_CONNECTIONS;
    maxConnectionsPerUser = DEFAULT_MAX_CONNECTIONS_PER_USER;
    redisUrl = null;
    natsUrl = null;
    natsSubject = DEFAULT_NATS_SUBJECT;
    natsQueueGroup = DEFAULT_NATS_QUEUE_GROUP;
    redisChannelPrefix = DEFAULT_REDIS_CHANNEL_PREFIX;
    heartbeatIntervalSecs = DEFAULT_HEARTBEAT_INTERVAL_SECS;
    connectionTimeoutSecs = DEFAULT_CONNECTION_TIMEOUT_SECS;
    authTimeoutSecs = DEFAULT_AUTH_TIMEOUT_SECS;
    expiredCloseDelaySecs = DEFAULT_EXPIRED_CLOSE_DELAY_SECS;
    authRecheckSecs = DEFAULT_AUTH_RECHECK_SECS;
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    rateLimitPerSec = DEFAULT_RATE_LIMIT_PER_SEC;
    rateLimitBurst = DEFAULT_RATE_LIMIT_BURST;
    slowClientGraceSecs = DEFAULT_SLOW_CLIENT_GRACE_SECS;
    slowClientMaxPending = DEFAULT_SLOW_CLIENT_MAX_PENDING;
    writeQueueMaxBytes = DEFAULT_WRITE_QUEUE_MAX_BYTES;
    redisKeyPrefix = DEFAULT_REDIS_KEY_PREFIX;
    sessionTtlSecs = DEFAULT_SESSION_TTL_SECS;
    historySize = DEFAULT_HISTORY_SIZE;
    historyTtlSecs = DEFAULT_HISTORY_TTL_SECS;
    offlineQueueTtlSecs = DEFAULT_OFFLINE_QUEUE_TTL_SECS;
    inboxSize = DEFAULT_INBOX_SIZE;
    initialState = DEFAULT_INITIAL_STATE;
    initialStateSize = DEFAULT_INITIAL_STATE_SIZE;
    metricsRetentionSecs = DEFAULT_METRICS_RETENTION_SECS;
    jwtSecret = null;
    jwtPublicKey = null;
    jwtIssuer = null;
    jwtAudience = null;
    apiKey = null;
    devMode = DEFAULT_DEV_MODE;
    allowedOrigins = DEFAULT_ALLOWED_ORIGINS;
    compression = DEFAULT_COMPRESSION;
    cluster = DEFAULT_CLUSTER;
    compressionLevel = DEFAULT_COMPRESSION_LEVEL;
    defaultTopics = DEFAULT_DEFAULT_TOPICS;
    publicTopics = DEFAULT_PUBLIC_TOPICS;
    explorers = DEFAULT_EXPLORERS;
    logLevel = DEFAULT_LOG_LEVEL;
    adminKey = null;
    metricsKey = null;
    maxUnauthenticatedConnections = DEFAULT_MAX_UNAUTHENTICATED_CONNECTIONS;
    maxUnauthenticatedPerAddress = DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS;
    trustedProxies = DEFAULT_TRUSTED_PROXIES;
    topicChangesPerSec = DEFAULT_TOPIC_CHANGES_PER_SEC;
    topicChangesBurst = DEFAULT_TOPIC_CHANGES_BURST;
  }

  /**
   * Copy constructor. Lists and maps are immutable, so the copy is fully independent.
   *
   * @param other the options to copy
   */
  public HeraldOptions(HeraldOptions other) {
    nodeId = other.nodeId;
    websocketHost = other.websocketHost;
    websocketPort = other.websocketPort;
    instances = other.instances;
    maxConnections = other.maxConnections;
    maxConnectionsPerUser = other.maxConnectionsPerUser;
    redisUrl = other.redisUrl;
    natsUrl = other.natsUrl;
    natsSubject = other.natsSubject;
    natsQueueGroup = other.natsQueueGroup;
    redisChannelPrefix = other.redisChannelPrefix;
    heartbeatIntervalSecs = other.heartbeatIntervalSecs;
    connectionTimeoutSecs = other.connectionTimeoutSecs;
    authTimeoutSecs = other.authTimeoutSecs;
    expiredCloseDelaySecs = other.expiredCloseDelaySecs;
    authRecheckSecs = other.authRecheckSecs;
    maxFrameBytes = other.maxFrameBytes;
    rateLimitPerSec = other.rateLimitPerSec;
    rateLimitBurst = other.rateLimitBurst;
    slowClientGraceSecs = other.slowClientGraceSecs;
    slowClientMaxPending = other.slowClientMaxPending;
    writeQueueMaxBytes = other.writeQueueMaxBytes;
    redisKeyPrefix = other.redisKeyPrefix;
    sessionTtlSecs = other.sessionTtlSecs;
    historySize = other.historySize;
    historyTtlSecs = other.historyTtlSecs;
    offlineQueueTtlSecs = other.offlineQueueTtlSecs;
    inboxSize = other.inboxSize;
    initialState = other.initialState;
    initialStateSize = other.initialStateSize;
    metricsRetentionSecs = other.metricsRetentionSecs;
    jwtSecret = other.jwtSecret;
    jwtPublicKey = other.jwtPublicKey;
    jwtIssuer = other.jwtIssuer;
    jwtAudience = other.jwtAudience;
    apiKey = other.apiKey;
    devMode = other.devMode;
    allowedOrigins = other.allowedOrigins;
    compression = other.compression;
    cluster = other.cluster;
    compressionLevel = other.compressionLevel;
    defaultTopics = other.defaultTopics;
    publicTopics = other.publicTopics;
    explorers = other.explorers;
    logLevel = other.logLevel;
    adminKey = other.adminKey;
    metricsKey = other.metricsKey;
    maxUnauthenticatedConnections = other.maxUnauthenticatedConnections;
    maxUnauthenticatedPerAddress = other.maxUnauthenticatedPerAddress;
    trustedProxies = other.trustedProxies;
    topicChangesPerSec = other.topicChangesPerSec;
    topicChangesBurst = other.topicChangesBurst;
  }

  // ---------------------------------------------------------------------------------------------
  // Option table: key, kind, environment variable names, accessors. Drives fromJson/applyEnv/toJson.

  private enum Kind { STRING, INT, BOOL, LIST, MAP }

  private record Opt(String key, Kind kind, List<String> envNames,
                     BiConsumer<HeraldOptions, Object> setter, Function<HeraldOptions, Object> getter) {
  }

  private static final Map<String, Opt> OPTS = new LinkedHashMap<>();

  @SuppressWarnings("unchecked")
  private static void opt(String key, Kind kind, List<String> envNames,
                          BiConsumer<HeraldOptions, ?> setter, Function<HeraldOptions, ?> getter) {
    List<String> env = envNames != null ? envNames : List.of(key.toUpperCase(Locale.ROOT));
    OPTS.put(key, new Opt(key, kind, env, (BiConsumer<HeraldOptions, Object>) setter,
        (Function<HeraldOptions, Object>) getter));
  }

  private static void str(String key, BiConsumer<HeraldOptions, String> set, Function<HeraldOptions, String> get) {
    opt(key, Kind.STRING, null, set, get);
  }

  private static void num(String key, BiConsumer<HeraldOptions, Integer> set, Function<HeraldOptions, Integer> get) {
    opt(key, Kind.INT, null, set, get);
  }

  static {
    str("node_id", HeraldOptions::setNodeId, HeraldOptions::getNodeId);
    str("websocket_host", HeraldOptions::setWebsocketHost, HeraldOptions::getWebsocketHost);
    num("websocket_port", HeraldOptions::setWebsocketPort, HeraldOptions::getWebsocketPort);
    num("instances", HeraldOptions::setInstances, HeraldOptions::getInstances);
    num("max_connections", HeraldOptions::setMaxConnections, HeraldOptions::getMaxConnections);
    num("max_connections_per_user", HeraldOptions::setMaxConnectionsPerUser, HeraldOptions::getMaxConnectionsPerUser);
    str("redis_url", HeraldOptions::setRedisUrl, HeraldOptions::getRedisUrl);
    str("nats_url", HeraldOptions::setNatsUrl, HeraldOptions::getNatsUrl);
    str("nats_subject", HeraldOptions::setNatsSubject, HeraldOptions::getNatsSubject);
    str("nats_queue_group", HeraldOptions::setNatsQueueGroup, HeraldOptions::getNatsQueueGroup);
    str("redis_channel_prefix", HeraldOptions::setRedisChannelPrefix, HeraldOptions::getRedisChannelPrefix);
    num("heartbeat_interval_secs", HeraldOptions::setHeartbeatIntervalSecs, HeraldOptions::getHeartbeatIntervalSecs);
    num("connection_timeout_secs", HeraldOptions::setConnectionTimeoutSecs, HeraldOptions::getConnectionTimeoutSecs);
    num("auth_timeout_secs", HeraldOptions::setAuthTimeoutSecs, HeraldOptions::getAuthTimeoutSecs);
    num("expired_close_delay_secs", HeraldOptions::setExpiredCloseDelaySecs, HeraldOptions::getExpiredCloseDelaySecs);
    num("auth_recheck_secs", HeraldOptions::setAuthRecheckSecs, HeraldOptions::getAuthRecheckSecs);
    num("max_frame_bytes", HeraldOptions::setMaxFrameBytes, HeraldOptions::getMaxFrameBytes);
    num("rate_limit_per_sec", HeraldOptions::setRateLimitPerSec, HeraldOptions::getRateLimitPerSec);
    num("rate_limit_burst", HeraldOptions::setRateLimitBurst, HeraldOptions::getRateLimitBurst);
    num("slow_client_grace_secs", HeraldOptions::setSlowClientGraceSecs, HeraldOptions::getSlowClientGraceSecs);
    num("slow_client_max_pending", HeraldOptions::setSlowClientMaxPending, HeraldOptions::getSlowClientMaxPending);
    num("write_queue_max_bytes", HeraldOptions::setWriteQueueMaxBytes, HeraldOptions::getWriteQueueMaxBytes);
    str("redis_key_prefix", HeraldOptions::setRedisKeyPrefix, HeraldOptions::getRedisKeyPrefix);
    num("session_ttl_secs", HeraldOptions::setSessionTtlSecs, HeraldOptions::getSessionTtlSecs);
    num("history_size", HeraldOptions::setHistorySize, HeraldOptions::getHistorySize);
    num("history_ttl_secs", HeraldOptions::setHistoryTtlSecs, HeraldOptions::getHistoryTtlSecs);
    num("offline_queue_ttl_secs", HeraldOptions::setOfflineQueueTtlSecs, HeraldOptions::getOfflineQueueTtlSecs);
    num("inbox_size", HeraldOptions::setInboxSize, HeraldOptions::getInboxSize);
    opt("initial_state", Kind.BOOL, null,
        (BiConsumer<HeraldOptions, Boolean>) HeraldOptions::setInitialState, HeraldOptions::isInitialState);
    num("initial_state_size", HeraldOptions::setInitialStateSize, HeraldOptions::getInitialStateSize);
    num("metrics_retention_secs", HeraldOptions::setMetricsRetentionSecs, HeraldOptions::getMetricsRetentionSecs);
    str("jwt_secret", HeraldOptions::setJwtSecret, HeraldOptions::getJwtSecret);
    str("jwt_public_key", HeraldOptions::setJwtPublicKey, HeraldOptions::getJwtPublicKey);
    str("jwt_issuer", HeraldOptions::setJwtIssuer, HeraldOptions::getJwtIssuer);
    str("jwt_audience", HeraldOptions::setJwtAudience, HeraldOptions::getJwtAudience);
    opt("api_key", Kind.STRING, List.of("HERALD_API_KEY", "API_KEY"),
        (BiConsumer<HeraldOptions, String>) HeraldOptions::setApiKey, HeraldOptions::getApiKey);
    opt("allowed_origins", Kind.LIST, List.of("ALLOWED_ORIGINS", "CORS_ORIGIN"),
        (BiConsumer<HeraldOptions, List<String>>) HeraldOptions::setAllowedOrigins, HeraldOptions::getAllowedOrigins);
    opt("cluster", Kind.BOOL, null,
        (BiConsumer<HeraldOptions, Boolean>) HeraldOptions::setCluster, HeraldOptions::isCluster);
    opt("compression", Kind.BOOL, null,
        (BiConsumer<HeraldOptions, Boolean>) HeraldOptions::setCompression, HeraldOptions::isCompression);
    num("compression_level", HeraldOptions::setCompressionLevel, HeraldOptions::getCompressionLevel);
    opt("default_topics", Kind.LIST, null,
        (BiConsumer<HeraldOptions, List<String>>) HeraldOptions::setDefaultTopics, HeraldOptions::getDefaultTopics);
    opt("public_topics", Kind.LIST, null,
        (BiConsumer<HeraldOptions, List<String>>) HeraldOptions::setPublicTopics, HeraldOptions::getPublicTopics);
    opt("explorers", Kind.MAP, null,
        (BiConsumer<HeraldOptions, Map<String, String>>) HeraldOptions::setExplorers, HeraldOptions::getExplorers);
    str("log_level", HeraldOptions::setLogLevel, HeraldOptions::getLogLevel);
    opt("admin_key", Kind.STRING, List.of("HERALD_ADMIN_KEY"),
        (BiConsumer<HeraldOptions, String>) HeraldOptions::setAdminKey, HeraldOptions::getAdminKey);
    opt("metrics_key", Kind.STRING, List.of("HERALD_METRICS_KEY"),
        (BiConsumer<HeraldOptions, String>) HeraldOptions::setMetricsKey, HeraldOptions::getMetricsKey);
    num("max_unauthenticated_connections", HeraldOptions::setMaxUnauthenticatedConnections,
        HeraldOptions::getMaxUnauthenticatedConnections);
    num("max_unauthenticated_per_address", HeraldOptions::setMaxUnauthenticatedPerAddress,
        HeraldOptions::getMaxUnauthenticatedPerAddress);
    opt("trusted_proxies", Kind.LIST, null,
        (BiConsumer<HeraldOptions, List<String>>) HeraldOptions::setTrustedProxies, HeraldOptions::getTrustedProxies);
    num("topic_changes_per_sec", HeraldOptions::setTopicChangesPerSec, HeraldOptions::getTopicChangesPerSec);
    num("topic_changes_burst", HeraldOptions::setTopicChangesBurst, HeraldOptions::getTopicChangesBurst);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /**
   * Creates options from a JSON object (the content of a config file), starting from the defaults and applying
   * every key present. Keys starting with {@code "_"} or {@code "//"} are ignored. Does <em>not</em> validate.
   *
   * @param json the JSON object, {@code null} meaning empty
   * @return new options
   * @throws ConfigException on an unknown key or a value of the wrong JSON type
   */
  public static HeraldOptions fromJson(JsonObject json) {
    HeraldOptions options = new HeraldOptions();
    if (json == null) {
      return options;
    }
    for (String name : json.fieldNames()) {
      if (name.startsWith("_") || name.startsWith("//")) {
        continue;
      }
      Opt opt = OPTS.get(name);
      if (opt == null && name.equals("dev_mode")) {
        // A key of earlier versions: a file that still has it says what replaced it.
        throw new ConfigException(name, "no longer a configuration key: development mode is herald run --dev"
            + " (scripts/run), never with a configuration file");
      }
      if (opt == null) {
        throw new ConfigException(name, "unknown configuration key");
      }
      opt.setter().accept(options, fromJsonValue(opt.key(), opt.kind(), json.getValue(name)));
    }
    return options;
  }

  /**
   * Loads the configuration: built-in defaults, overridden by the JSON file (if non-null), overridden by the
   * environment; then {@link #validate() validates} it.
   *
   * @param configFileOrNull JSON config file, or {@code null} for none
   * @param env              environment variables (e.g. {@code System.getenv()}), {@code null} meaning none
   * @return validated options
   * @throws ConfigException when the file cannot be read or is not a JSON object (key {@code "config_file"}),
   *                         or a value is of the wrong type or invalid (key of that value)
   */
  public static HeraldOptions load(Path configFileOrNull, Map<String, String> env) {
    HeraldOptions options;
    if (configFileOrNull != null) {
      String text;
      try {
        text = Files.readString(configFileOrNull, StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("config_file", "cannot read " + configFileOrNull + " (" + e + ")", e);
      }
      JsonObject json;
      try {
        json = new JsonObject(text);
      } catch (RuntimeException e) {
        throw new ConfigException("config_file", configFileOrNull + " is not a valid JSON object ("
            + e.getMessage() + ")", e);
      }
      options = fromJson(json);
    } else {
      options = new HeraldOptions();
    }
    return options.applyEnv(env).validate();
  }

  /**
   * Overrides options from environment variables. Each key is read from the UPPER_SNAKE_CASE of its name,
   * except {@code api_key} ({@code HERALD_API_KEY}, else {@code API_KEY}), {@code allowed_origins}
   * ({@code ALLOWED_ORIGINS}, else {@code CORS_ORIGIN}), {@code admin_key} ({@code HERALD_ADMIN_KEY}) and
   * {@code metrics_key} ({@code HERALD_METRICS_KEY}). Empty (blank) values are ignored; values are trimmed.
   * Integers must parse as decimal ints; booleans are {@code true/false} (also {@code 1/0}, {@code yes/no},
   * {@code on/off}); lists are comma separated; {@code EXPLORERS} is a JSON object string. Does not validate.
   *
   * @param env environment variables, {@code null} meaning none
   * @return this
   * @throws ConfigException naming the key when a value cannot be parsed
   */
  public HeraldOptions applyEnv(Map<String, String> env) {
    if (env == null || env.isEmpty()) {
      return this;
    }
    for (Opt opt : OPTS.values()) {
      for (String envName : opt.envNames()) {
        String raw = env.get(envName);
        if (raw == null || raw.isBlank()) {
          continue;
        }
        opt.setter().accept(this, fromEnvValue(opt, envName, raw.trim()));
        break;
      }
    }
    return this;
  }

  private static Object fromJsonValue(String key, Kind kind, Object v) {
    switch (kind) {
      case STRING:
        if (v == null) {
          return null;
        }
        if (v instanceof CharSequence) {
          return v.toString();
        }
        throw wrongType(key, "a string or null", v);
      case INT:
        return toInt(key, v);
      case BOOL:
        if (v instanceof Boolean) {
          return v;
        }
        throw wrongType(key, "a boolean", v);
      case LIST: {
        if (!(v instanceof JsonArray)) {
          throw wrongType(key, "an array of strings", v);
        }
        JsonArray array = (JsonArray) v;
        List<String> list = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
          Object item = array.getValue(i);
          if (!(item instanceof CharSequence)) {
            throw new ConfigException(key, "must be an array of strings (element " + i + " is "
                + jsonType(item) + ")");
          }
          list.add(item.toString());
        }
        return list;
      }
      case MAP: {
        if (!(v instanceof JsonObject)) {
          throw wrongType(key, "an object of strings", v);
        }
        JsonObject object = (JsonObject) v;
        Map<String, String> map = new LinkedHashMap<>();
        for (String name : object.fieldNames()) {
          Object item = object.getValue(name);
          if (!(item instanceof CharSequence)) {
            throw new ConfigException(key, "must be an object of strings (\"" + name + "\" is "
                + jsonType(item) + ")");
          }
          map.put(name, item.toString());
        }
        return map;
      }
      default:
        throw new AssertionError(kind);
    }
  }

  private static Object fromEnvValue(Opt opt, String envName, String value) {
    String key = opt.key();
    switch (opt.kind()) {
      case STRING:
        return value;
      case INT:
        try {
          return Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw new ConfigException(key, "environment variable " + envName + " must be an integer (got '"
              + value + "')");
        }
      case BOOL:
        switch (value.toLowerCase(Locale.ROOT)) {
          case "true": case "1": case "yes": case "on":
            return Boolean.TRUE;
          case "false": case "0": case "no": case "off":
            return Boolean.FALSE;
          default:
            throw new ConfigException(key, "environment variable " + envName + " must be true or false (got '"
                + value + "')");
        }
      case LIST: {
        List<String> list = new ArrayList<>();
        for (String part : value.split(",")) {
          String item = part.trim();
          if (!item.isEmpty()) {
            list.add(item);
          }
        }
        return list;
      }
      case MAP: {
        JsonObject json;
        try {
          json = new JsonObject(value);
        } catch (RuntimeException e) {
          throw new ConfigException(key, "environment variable " + envName + " must be a JSON object ("
              + e.getMessage() + ")", e);
        }
        return fromJsonValue(key, Kind.MAP, json);
      }
      default:
        throw new AssertionError(opt.kind());
    }
  }

  private static int toInt(String key, Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).intValue();
    }
    if (v instanceof Number) {
      try {
        if (v instanceof Long) {
          return Math.toIntExact((Long) v);
        }
        if (v instanceof BigInteger) {
          return ((BigInteger) v).intValueExact();
        }
        if (v instanceof BigDecimal) {
          return ((BigDecimal) v).intValueExact();
        }
      } catch (ArithmeticException e) {
        throw new ConfigException(key, "must be a 32-bit integer (got " + v + ")");
      }
      double d = ((Number) v).doubleValue();
      if (d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE) {
        return (int) d;
      }
      throw new ConfigException(key, "must be a 32-bit integer (got " + v + ")");
    }
    throw wrongType(key, "an integer", v);
  }

  private static ConfigException wrongType(String key, String expected, Object v) {
    return new ConfigException(key, "must be " + expected + " (got " + jsonType(v) + ")");
  }

  private static String jsonType(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof CharSequence) {
      return "string";
    } else if (v instanceof Number) {
      return "number";
    } else if (v instanceof Boolean) {
      return "boolean";
    } else if (v instanceof JsonArray || v instanceof List) {
      return "array";
    } else if (v instanceof JsonObject || v instanceof Map) {
      return "object";
    }
    return v.getClass().getSimpleName();
  }

  // ---------------------------------------------------------------------------------------------
  // Validation

  /**
   * Checks every option and fills {@code node_id} with {@code "herald-" + 8 random hex chars} when it is null
   * (only if everything else is valid).
   *
   * @return this
   * @throws ConfigException naming the first invalid key, e.g. {@code "max_connections: must be >= 1 (got 0)"}
   */
  public HeraldOptions validate() {
    if (nodeId != null && !NODE_ID.matcher(nodeId).matches()) {
      throw new ConfigException("node_id", "must be 1..64 characters of [A-Za-z0-9_.-] (got '" + nodeId + "')");
    }
    if (websocketHost == null || websocketHost.isBlank()) {
      throw new ConfigException("websocket_host", "must be non-empty");
    }
    range("websocket_port", websocketPort, 0, 65535);
    min("instances", instances, 0);
    min("max_connections", maxConnections, 1);
    min("max_connections_per_user", maxConnectionsPerUser, 1);
    if (redisUrl != null && !hasScheme(redisUrl, "redis://", "rediss://")) {
      throw new ConfigException("redis_url", "must start with redis:// or rediss:// (got '"
          + redactUrlPassword(redisUrl) + "')");
    }
    if (natsUrl != null) {
      for (String url : natsUrl.split(",", -1)) {
        if (!hasScheme(url.trim(), "nats://", "tls://")) {
          throw new ConfigException("nats_url", "must be a comma-separated list of nats:// or tls:// URLs (got '"
              + redactUrlPassword(natsUrl) + "')");
        }
      }
    }
    token("nats_subject", natsSubject);
    token("nats_queue_group", natsQueueGroup);
    token("redis_channel_prefix", redisChannelPrefix);
    if (redisChannelPrefix.indexOf('*') >= 0) {
      throw new ConfigException("redis_channel_prefix", "must not contain '*' (got '" + redisChannelPrefix + "')");
    }
    min("heartbeat_interval_secs", heartbeatIntervalSecs, 1);
    min("connection_timeout_secs", connectionTimeoutSecs, 1);
    if (connectionTimeoutSecs <= heartbeatIntervalSecs) {
      throw new ConfigException("connection_timeout_secs", "must be > heartbeat_interval_secs (got "
          + connectionTimeoutSecs + " <= " + heartbeatIntervalSecs + ")");
    }
    min("auth_timeout_secs", authTimeoutSecs, 1);
    min("expired_close_delay_secs", expiredCloseDelaySecs, 0);
    min("auth_recheck_secs", authRecheckSecs, 0);
    min("max_frame_bytes", maxFrameBytes, 256);
    min("rate_limit_per_sec", rateLimitPerSec, 1);
    min("rate_limit_burst", rateLimitBurst, 1);
    min("slow_client_grace_secs", slowClientGraceSecs, 1);
    min("slow_client_max_pending", slowClientMaxPending, 1);
    min("write_queue_max_bytes", writeQueueMaxBytes, 1024);
    if (redisKeyPrefix == null || !REDIS_KEY_PREFIX.matcher(redisKeyPrefix).matches()) {
      throw new ConfigException("redis_key_prefix", "must be 1..64 characters of [A-Za-z0-9_.:-] (got "
          + (redisKeyPrefix == null ? "null" : "'" + redisKeyPrefix + "'") + ")");
    }
    min("session_ttl_secs", sessionTtlSecs, 1);
    if (sessionTtlSecs <= heartbeatIntervalSecs) {
      throw new ConfigException("session_ttl_secs", "must be > heartbeat_interval_secs (got "
          + sessionTtlSecs + " <= " + heartbeatIntervalSecs + ")");
    }
    range("history_size", historySize, 1, 100000);
    min("history_ttl_secs", historyTtlSecs, 1);
    min("offline_queue_ttl_secs", offlineQueueTtlSecs, 1);
    range("inbox_size", inboxSize, 1, 10000);
    range("initial_state_size", initialStateSize, 0, 100);
    min("metrics_retention_secs", metricsRetentionSecs, 3600);
    if (jwtSecret != null) {
      int bytes = jwtSecret.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < 32) {
        throw new ConfigException("jwt_secret", "must be at least 32 bytes for HS256 (got " + bytes + " bytes)");
      }
    }
    if (jwtPublicKey != null && !jwtPublicKey.contains("-----BEGIN PUBLIC KEY-----")) {
      throw new ConfigException("jwt_public_key",
          "must be a PEM public key containing \"-----BEGIN PUBLIC KEY-----\" (RS256 or ES256)");
    }
    if (apiKey != null && apiKey.length() < 16) {
      throw new ConfigException("api_key", "must be at least 16 characters (got " + apiKey.length() + ")");
    }
    if (devMode && (jwtSecret == null || apiKey == null)) {
      // The development session signs a token with jwt_secret and hands out api_key: both must exist.
      throw new ConfigException("dev_mode", "needs jwt_secret and api_key (herald run --dev generates both)");
    }
    for (String origin : allowedOrigins) {
      if (!isOrigin(origin)) {
        throw new ConfigException("allowed_origins", "each entry must be \"*\" or an origin scheme://host[:port]"
            + " without path (got '" + origin + "')");
      }
    }
    range("compression_level", compressionLevel, 1, 9);
    topics("default_topics", defaultTopics);
    topics("public_topics", publicTopics);
    for (Map.Entry<String, String> e : explorers.entrySet()) {
      String url = e.getValue();
      if (e.getKey().isBlank()) {
        throw new ConfigException("explorers", "chain names must be non-empty");
      }
      if (!url.contains("{hash}") || !hasScheme(url, "http://", "https://")) {
        throw new ConfigException("explorers", "URL template for '" + e.getKey()
            + "' must start with http:// or https:// and contain {hash} (got '" + url + "')");
      }
    }
    if (logLevel == null || !LOG_LEVELS.contains(logLevel)) {
      throw new ConfigException("log_level", "must be one of " + String.join(", ", LOG_LEVELS)
          + " (got " + (logLevel == null ? "null" : "'" + logLevel + "'") + ")");
    }
    // Each key is one role: a key shared with another role would let its holder act in both.
    if (adminKey != null && adminKey.length() < 16) {
      throw new ConfigException("admin_key", "must be at least 16 characters (got " + adminKey.length() + ")");
    }
    if (adminKey != null && adminKey.equals(apiKey)) {
      throw new ConfigException("admin_key", "must differ from api_key (publishers must not reach operator routes)");
    }
    if (metricsKey != null && metricsKey.length() < 16) {
      throw new ConfigException("metrics_key", "must be at least 16 characters (got " + metricsKey.length() + ")");
    }
    if (metricsKey != null && (metricsKey.equals(apiKey) || metricsKey.equals(adminKey))) {
      throw new ConfigException("metrics_key", "must differ from api_key and admin_key");
    }
    min("max_unauthenticated_connections", maxUnauthenticatedConnections, 1);
    min("max_unauthenticated_per_address", maxUnauthenticatedPerAddress, 1);
    if (maxUnauthenticatedPerAddress > maxUnauthenticatedConnections) {
      throw new ConfigException("max_unauthenticated_per_address", "must be <= max_unauthenticated_connections (got "
          + maxUnauthenticatedPerAddress + " > " + maxUnauthenticatedConnections + ")");
    }
    for (String proxy : trustedProxies) {
      if (IpRange.parse(proxy) == null) {
        throw new ConfigException("trusted_proxies", "each entry must be an IP address or a CIDR range such as"
            + " 10.0.0.0/8 (got '" + proxy + "')");
      }
    }
    min("topic_changes_per_sec", topicChangesPerSec, 1);
    min("topic_changes_burst", topicChangesBurst, 1);
    if (nodeId == null) {
      nodeId = "herald-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
    }
    return this;
  }

  private static void min(String key, int value, int min) {
    if (value < min) {
      throw new ConfigException(key, "must be >= " + min + " (got " + value + ")");
    }
  }

  private static void range(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + " (got " + value + ")");
    }
  }

  private static void token(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new ConfigException(key, "must be non-empty");
    }
    if (WHITESPACE.matcher(value).find()) {
      throw new ConfigException(key, "must not contain spaces (got '" + value + "')");
    }
  }

  private static void topics(String key, List<String> topics) {
    for (String topic : topics) {
      if (!TOPIC.matcher(topic).matches()) {
        throw new ConfigException(key, "each topic must match [A-Za-z0-9_.:@-]{1,128} (got '" + topic + "')");
      }
    }
  }

  private static boolean hasScheme(String url, String... schemes) {
    for (String scheme : schemes) {
      if (url.regionMatches(true, 0, scheme, 0, scheme.length()) && url.length() > scheme.length()) {
        return true;
      }
    }
    return false;
  }

  private static boolean isOrigin(String origin) {
    if ("*".equals(origin)) {
      return true;
    }
    var m = ORIGIN.matcher(origin);
    if (!m.matches()) {
      return false;
    }
    return m.group(3) == null || Integer.parseInt(m.group(3)) <= 65535;
  }

  // ---------------------------------------------------------------------------------------------
  // Serialisation

  /**
   * @return every option as snake_case JSON, with real values (secrets included); null options as JSON null
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    for (Opt opt : OPTS.values()) {
      Object v = opt.getter().apply(this);
      if (v instanceof List) {
        v = new JsonArray(new ArrayList<>((List<?>) v));
      } else if (v instanceof Map) {
        v = new JsonObject(castMap(v));
      }
      json.put(opt.key(), v);
    }
    return json;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object v) {
    return new LinkedHashMap<>((Map<String, Object>) v);
  }

  /**
   * Like {@link #toJson()}, but {@code jwt_secret}, {@code api_key}, {@code admin_key} and {@code metrics_key} are
   * replaced by {@value #REDACTED} when
   * set, and the password of any userinfo in {@code redis_url}/{@code nats_url} is replaced by
   * {@value #REDACTED} (e.g. {@code redis://:<redacted>@host:6379}; a userinfo without ':' is a token and is
   * redacted as a whole).
   *
   * @return a JSON object safe to log
   */
  public JsonObject toRedactedJson() {
    JsonObject json = toJson();
    if (jwtSecret != null) {
      json.put("jwt_secret", REDACTED);
    }
    if (apiKey != null) {
      json.put("api_key", REDACTED);
    }
    if (adminKey != null) {
      json.put("admin_key", REDACTED);
    }
    if (metricsKey != null) {
      json.put("metrics_key", REDACTED);
    }
    if (redisUrl != null) {
      json.put("redis_url", redactUrlPassword(redisUrl));
    }
    if (natsUrl != null) {
      json.put("nats_url", redactUrlPassword(natsUrl));
    }
    return json;
  }

  /**
   * Replaces the password in the userinfo of a URL, or of each URL of a comma-separated list.
   */
  static String redactUrlPassword(String urls) {
    String[] parts = urls.split(",", -1);
    StringBuilder sb = new StringBuilder(urls.length());
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(redactOne(parts[i]));
    }
    return sb.toString();
  }

  private static String redactOne(String url) {
    int at = url.lastIndexOf('@');
    if (at < 0) {
      return url;
    }
    int schemeEnd = url.indexOf("://");
    int start = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 3 : 0;
    String userInfo = url.substring(start, at);
    int colon = userInfo.indexOf(':');
    String redacted = colon >= 0 ? userInfo.substring(0, colon + 1) + REDACTED : REDACTED;
    return url.substring(0, start) + redacted + url.substring(at);
  }

  /**
   * @return {@code toRedactedJson().encode()}: no secret ever appears
   */
  @Override
  public String toString() {
    return toRedactedJson().encode();
  }

  /**
   * @return whether Redis is configured ({@code redis_url} set)
   */
  public boolean redisEnabled() {
    return redisUrl != null;
  }

  /**
   * @return whether NATS is configured ({@code nats_url} set)
   */
  public boolean natsEnabled() {
    return natsUrl != null;
  }

  // ---------------------------------------------------------------------------------------------
  // Getters and setters

  /**
   * @return the node identifier ({@code node_id}); null until {@link #validate()} generates one
   */
  public String getNodeId() {
    return nodeId;
  }

  /**
   * Sets the node identifier, used in logs, metrics and cluster routing. Key {@code node_id}, env
   * {@code NODE_ID}; 1..64 characters of {@code [A-Za-z0-9_.-]}. Default null: {@link #validate()} then
   * generates {@code "herald-" + 8 random hex chars}.
   *
   * @param nodeId the node id, or null to generate one
   * @return this
   */
  public HeraldOptions setNodeId(String nodeId) {
    this.nodeId = nodeId;
    return this;
  }

  /**
   * @return the WebSocket listen host ({@code websocket_host})
   */
  public String getWebsocketHost() {
    return websocketHost;
  }

  /**
   * Sets the host/interface the WebSocket server binds. Key {@code websocket_host}, env {@code WEBSOCKET_HOST};
   * non-empty. Default {@value #DEFAULT_WEBSOCKET_HOST}.
   *
   * @param websocketHost the host
   * @return this
   */
  public HeraldOptions setWebsocketHost(String websocketHost) {
    this.websocketHost = websocketHost;
    return this;
  }

  /**
   * @return the WebSocket listen port ({@code websocket_port})
   */
  public int getWebsocketPort() {
    return websocketPort;
  }

  /**
   * Sets the TCP port the WebSocket server listens on. Key {@code websocket_port}, env {@code WEBSOCKET_PORT};
   * 0..65535, 0 meaning an ephemeral port. Default {@value #DEFAULT_WEBSOCKET_PORT}.
   *
   * @param websocketPort the port
   * @return this
   */
  public HeraldOptions setWebsocketPort(int websocketPort) {
    this.websocketPort = websocketPort;
    return this;
  }

  /**
   * @return the number of server verticle instances ({@code instances}); 0 means one per event-loop thread
   */
  public int getInstances() {
    return instances;
  }

  /**
   * Sets the number of WebSocket server verticle instances. Key {@code instances}, env {@code INSTANCES};
   * &gt;= 0. Default {@value #DEFAULT_INSTANCES}, meaning the number of event-loop threads.
   *
   * @param instances the instance count
   * @return this
   */
  public HeraldOptions setInstances(int instances) {
    this.instances = instances;
    return this;
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
  public HeraldOptions setMaxConnections(int maxConnections) {
    this.maxConnections = maxConnections;
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
  public HeraldOptions setMaxConnectionsPerUser(int maxConnectionsPerUser) {
    this.maxConnectionsPerUser = maxConnectionsPerUser;
    return this;
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
  public HeraldOptions setRedisUrl(String redisUrl) {
    this.redisUrl = redisUrl;
    return this;
  }

  /**
   * @return the NATS server URL(s) ({@code nats_url}), null when NATS is disabled
   */
  public String getNatsUrl() {
    return natsUrl;
  }

  /**
   * Sets the NATS server URL, or a comma-separated list of them, each starting with {@code nats://} or
   * {@code tls://}. Key {@code nats_url}, env {@code NATS_URL}. Default null (NATS disabled).
   *
   * @param natsUrl the URL(s), or null to disable NATS
   * @return this
   */
  public HeraldOptions setNatsUrl(String natsUrl) {
    this.natsUrl = natsUrl;
    return this;
  }

  /**
   * @return the NATS subject notifications are consumed from ({@code nats_subject})
   */
  public String getNatsSubject() {
    return natsSubject;
  }

  /**
   * Sets the NATS subject notifications are consumed from. Key {@code nats_subject}, env {@code NATS_SUBJECT};
   * non-empty, no spaces. Default {@value #DEFAULT_NATS_SUBJECT}.
   *
   * @param natsSubject the subject
   * @return this
   */
  public HeraldOptions setNatsSubject(String natsSubject) {
    this.natsSubject = natsSubject;
    return this;
  }

  /**
   * @return the NATS queue group ({@code nats_queue_group})
   */
  public String getNatsQueueGroup() {
    return natsQueueGroup;
  }

  /**
   * Sets the NATS queue group shared by all Herald nodes, so each notification is ingested once. Key
   * {@code nats_queue_group}, env {@code NATS_QUEUE_GROUP}; non-empty, no spaces. Default
   * {@value #DEFAULT_NATS_QUEUE_GROUP}.
   *
   * @param natsQueueGroup the queue group
   * @return this
   */
  public HeraldOptions setNatsQueueGroup(String natsQueueGroup) {
    this.natsQueueGroup = natsQueueGroup;
    return this;
  }

  /**
   * @return the Redis pub/sub channel prefix ({@code redis_channel_prefix})
   */
  public String getRedisChannelPrefix() {
    return redisChannelPrefix;
  }

  /**
   * Sets the prefix of the Redis pub/sub channels used to fan notifications out between nodes. Key
   * {@code redis_channel_prefix}, env {@code REDIS_CHANNEL_PREFIX}; non-empty, no spaces, no '*'. Default
   * {@value #DEFAULT_REDIS_CHANNEL_PREFIX}.
   *
   * @param redisChannelPrefix the prefix
   * @return this
   */
  public HeraldOptions setRedisChannelPrefix(String redisChannelPrefix) {
    this.redisChannelPrefix = redisChannelPrefix;
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
  public HeraldOptions setHeartbeatIntervalSecs(int heartbeatIntervalSecs) {
    this.heartbeatIntervalSecs = heartbeatIntervalSecs;
    return this;
  }

  /**
   * @return the idle connection timeout in seconds ({@code connection_timeout_secs})
   */
  public int getConnectionTimeoutSecs() {
    return connectionTimeoutSecs;
  }

  /**
   * Sets how long a connection may stay silent (no pong nor message) before it is closed, in seconds. Key
   * {@code connection_timeout_secs}, env {@code CONNECTION_TIMEOUT_SECS}; &gt;= 1 and &gt;
   * {@code heartbeat_interval_secs}. Default {@value #DEFAULT_CONNECTION_TIMEOUT_SECS}.
   *
   * @param connectionTimeoutSecs the timeout in seconds
   * @return this
   */
  public HeraldOptions setConnectionTimeoutSecs(int connectionTimeoutSecs) {
    this.connectionTimeoutSecs = connectionTimeoutSecs;
    return this;
  }

  /**
   * @return the authentication timeout in seconds ({@code auth_timeout_secs})
   */
  public int getAuthTimeoutSecs() {
    return authTimeoutSecs;
  }

  /**
   * Sets how long a new connection has to authenticate before it is closed, in seconds. Key
   * {@code auth_timeout_secs}, env {@code AUTH_TIMEOUT_SECS}; &gt;= 1. Default {@value #DEFAULT_AUTH_TIMEOUT_SECS}.
   *
   * @param authTimeoutSecs the timeout in seconds
   * @return this
   */
  public HeraldOptions setAuthTimeoutSecs(int authTimeoutSecs) {
    this.authTimeoutSecs = authTimeoutSecs;
    return this;
  }

  /**
   * @return the delay before closing a connection whose token expired, in seconds ({@code expired_close_delay_secs})
   */
  public int getExpiredCloseDelaySecs() {
    return expiredCloseDelaySecs;
  }

  /**
   * Sets how long a connection whose token expired may stay open (to re-authenticate) before it is closed, in
   * seconds. Key {@code expired_close_delay_secs}, env {@code EXPIRED_CLOSE_DELAY_SECS}; &gt;= 0. Default
   * {@value #DEFAULT_EXPIRED_CLOSE_DELAY_SECS}.
   *
   * @param expiredCloseDelaySecs the delay in seconds
   * @return this
   */
  public HeraldOptions setExpiredCloseDelaySecs(int expiredCloseDelaySecs) {
    this.expiredCloseDelaySecs = expiredCloseDelaySecs;
    return this;
  }

  /**
   * @return the interval between re-checks of a Knox-authenticated connection's token, in seconds
   *     ({@code auth_recheck_secs}); 0 means never
   */
  public int getAuthRecheckSecs() {
    return authRecheckSecs;
  }

  /**
   * Sets how often a connection authenticated with a Knox token looks its token up again, in seconds: a record
   * deleted (logout, revocation) or expired since closes the connection with 4001. JWTs are not re-checked (they
   * carry their expiry). Key {@code auth_recheck_secs}, env {@code AUTH_RECHECK_SECS}; &gt;= 0, 0 turns re-checks
   * off. Default {@value #DEFAULT_AUTH_RECHECK_SECS}.
   *
   * @param authRecheckSecs the interval in seconds
   * @return this
   */
  public HeraldOptions setAuthRecheckSecs(int authRecheckSecs) {
    this.authRecheckSecs = authRecheckSecs;
    return this;
  }

  /**
   * @return the maximum WebSocket frame size in bytes ({@code max_frame_bytes})
   */
  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Sets the maximum size of a WebSocket frame/message accepted from a client, in bytes. Key
   * {@code max_frame_bytes}, env {@code MAX_FRAME_BYTES}; &gt;= 256. Default {@value #DEFAULT_MAX_FRAME_BYTES}.
   *
   * @param maxFrameBytes the size in bytes
   * @return this
   */
  public HeraldOptions setMaxFrameBytes(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
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
  public HeraldOptions setRateLimitPerSec(int rateLimitPerSec) {
    this.rateLimitPerSec = rateLimitPerSec;
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
  public HeraldOptions setRateLimitBurst(int rateLimitBurst) {
    this.rateLimitBurst = rateLimitBurst;
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
  public HeraldOptions setSlowClientGraceSecs(int slowClientGraceSecs) {
    this.slowClientGraceSecs = slowClientGraceSecs;
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
  public HeraldOptions setSlowClientMaxPending(int slowClientMaxPending) {
    this.slowClientMaxPending = slowClientMaxPending;
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
  public HeraldOptions setWriteQueueMaxBytes(int writeQueueMaxBytes) {
    this.writeQueueMaxBytes = writeQueueMaxBytes;
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
  public HeraldOptions setRedisKeyPrefix(String redisKeyPrefix) {
    this.redisKeyPrefix = redisKeyPrefix;
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
   * &gt;= 1 and &gt; {@code heartbeat_interval_secs}. Default {@value #DEFAULT_SESSION_TTL_SECS}.
   *
   * @param sessionTtlSecs the TTL in seconds
   * @return this
   */
  public HeraldOptions setSessionTtlSecs(int sessionTtlSecs) {
    this.sessionTtlSecs = sessionTtlSecs;
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
  public HeraldOptions setHistorySize(int historySize) {
    this.historySize = historySize;
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
  public HeraldOptions setHistoryTtlSecs(int historyTtlSecs) {
    this.historyTtlSecs = historyTtlSecs;
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
  public HeraldOptions setOfflineQueueTtlSecs(int offlineQueueTtlSecs) {
    this.offlineQueueTtlSecs = offlineQueueTtlSecs;
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
  public HeraldOptions setInboxSize(int inboxSize) {
    this.inboxSize = inboxSize;
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
  public HeraldOptions setInitialState(boolean initialState) {
    this.initialState = initialState;
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
  public HeraldOptions setInitialStateSize(int initialStateSize) {
    this.initialStateSize = initialStateSize;
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
  public HeraldOptions setMetricsRetentionSecs(int metricsRetentionSecs) {
    this.metricsRetentionSecs = metricsRetentionSecs;
    return this;
  }

  /**
   * @return the HS256 JWT secret ({@code jwt_secret}), or null
   */
  public String getJwtSecret() {
    return jwtSecret;
  }

  /**
   * Sets the shared secret verifying HS256 JWTs (secret; redacted in logs). Key {@code jwt_secret}, env
   * {@code JWT_SECRET}; at least 32 bytes (UTF-8) when set. Default null.
   *
   * @param jwtSecret the secret, or null
   * @return this
   */
  public HeraldOptions setJwtSecret(String jwtSecret) {
    this.jwtSecret = jwtSecret;
    return this;
  }

  /**
   * @return the PEM public key verifying RS256/ES256 JWTs ({@code jwt_public_key}), or null
   */
  public String getJwtPublicKey() {
    return jwtPublicKey;
  }

  /**
   * Sets the PEM public key verifying RS256 or ES256 JWTs. Key {@code jwt_public_key}, env
   * {@code JWT_PUBLIC_KEY}; must contain {@code -----BEGIN PUBLIC KEY-----} when set. Default null.
   *
   * @param jwtPublicKey the PEM text, or null
   * @return this
   */
  public HeraldOptions setJwtPublicKey(String jwtPublicKey) {
    this.jwtPublicKey = jwtPublicKey;
    return this;
  }

  /**
   * @return the required JWT issuer ({@code jwt_issuer}), or null for any
   */
  public String getJwtIssuer() {
    return jwtIssuer;
  }

  /**
   * Sets the issuer ({@code iss}) JWTs must carry. Key {@code jwt_issuer}, env {@code JWT_ISSUER}. Default null
   * (not checked).
   *
   * @param jwtIssuer the issuer, or null
   * @return this
   */
  public HeraldOptions setJwtIssuer(String jwtIssuer) {
    this.jwtIssuer = jwtIssuer;
    return this;
  }

  /**
   * @return the required JWT audience ({@code jwt_audience}), or null for any
   */
  public String getJwtAudience() {
    return jwtAudience;
  }

  /**
   * Sets the audience ({@code aud}) JWTs must carry. Key {@code jwt_audience}, env {@code JWT_AUDIENCE}. Default
   * null (not checked).
   *
   * @param jwtAudience the audience, or null
   * @return this
   */
  public HeraldOptions setJwtAudience(String jwtAudience) {
    this.jwtAudience = jwtAudience;
    return this;
  }

  /**
   * @return the API key ({@code api_key}), or null
   */
  public String getApiKey() {
    return apiKey;
  }

  /**
   * Sets the API key protecting the HTTP publish API (secret; redacted in logs); it never opens the operator routes
   * ({@code admin_key}). Key {@code api_key}, env
   * {@code HERALD_API_KEY} (or {@code API_KEY} when that is absent); at least 16 characters when set. Default
   * null.
   *
   * @param apiKey the key, or null
   * @return this
   */
  public HeraldOptions setApiKey(String apiKey) {
    this.apiKey = apiKey;
    return this;
  }

  /**
   * @return whether the node serves the development session (development mode, {@code herald run --dev})
   */
  public boolean isDevMode() {
    return devMode;
  }

  /**
   * Development mode: the node serves {@code GET /dev/session} (to loopback clients that name this machine in their
   * {@code Host} and come through no proxy), which hands out a fresh token for the demo user and the API key, so
   * that the notification-center page at {@code /} connects and publishes with no other step. Not a configuration
   * key: only {@code herald run --dev} ({@code scripts/run}) turns it on, with secrets it generated itself, and
   * refuses to with a configuration file, Redis, NATS or a cluster. Needs {@code jwt_secret} and {@code api_key}.
   * Default {@value #DEFAULT_DEV_MODE}.
   *
   * @param devMode whether to serve the development session
   * @return this
   */
  public HeraldOptions setDevMode(boolean devMode) {
    this.devMode = devMode;
    return this;
  }

  /**
   * @return the allowed WebSocket origins ({@code allowed_origins}), unmodifiable; empty means any origin
   */
  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  /**
   * Sets the origins allowed to open WebSockets: each {@code "*"} or {@code scheme://host[:port]} without path.
   * Key {@code allowed_origins}, env {@code ALLOWED_ORIGINS} (or {@code CORS_ORIGIN} when that is absent) as a
   * comma list. Default empty (any origin).
   *
   * @param allowedOrigins the origins (copied), null meaning empty
   * @return this
   */
  public HeraldOptions setAllowedOrigins(List<String> allowedOrigins) {
    this.allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
    return this;
  }

  /**
   * @return whether the node joins a Hazelcast cluster ({@code cluster})
   */
  public boolean isCluster() {
    return cluster;
  }

  /**
   * Runs the node clustered: its event bus joins the fleet's Hazelcast cluster (configured by
   * {@code conf/cluster.xml} and the {@code HERALD_CLUSTER_*} environment variables). Key {@code cluster}, env
   * {@code CLUSTER}. Default {@value #DEFAULT_CLUSTER}.
   *
   * @param cluster whether to cluster
   * @return this
   */
  public HeraldOptions setCluster(boolean cluster) {
    this.cluster = cluster;
    return this;
  }

  /**
   * @return whether permessage-deflate compression is enabled ({@code compression})
   */
  public boolean isCompression() {
    return compression;
  }

  /**
   * Enables WebSocket permessage-deflate compression. Key {@code compression}, env {@code COMPRESSION}. Default
   * {@value #DEFAULT_COMPRESSION}.
   *
   * @param compression whether to compress
   * @return this
   */
  public HeraldOptions setCompression(boolean compression) {
    this.compression = compression;
    return this;
  }

  /**
   * @return the deflate compression level ({@code compression_level})
   */
  public int getCompressionLevel() {
    return compressionLevel;
  }

  /**
   * Sets the deflate compression level (1 fastest .. 9 smallest). Key {@code compression_level}, env
   * {@code COMPRESSION_LEVEL}; 1..9. Default {@value #DEFAULT_COMPRESSION_LEVEL}.
   *
   * @param compressionLevel the level
   * @return this
   */
  public HeraldOptions setCompressionLevel(int compressionLevel) {
    this.compressionLevel = compressionLevel;
    return this;
  }

  /**
   * @return the topics every authenticated connection is subscribed to ({@code default_topics}), unmodifiable
   */
  public List<String> getDefaultTopics() {
    return defaultTopics;
  }

  /**
   * Sets the topics every authenticated connection is subscribed to; each matches
   * {@code [A-Za-z0-9_.:@-]{1,128}}. Key {@code default_topics}, env {@code DEFAULT_TOPICS} as a comma list.
   * Default empty.
   *
   * @param defaultTopics the topics (copied), null meaning empty
   * @return this
   */
  public HeraldOptions setDefaultTopics(List<String> defaultTopics) {
    this.defaultTopics = defaultTopics == null ? List.of() : List.copyOf(defaultTopics);
    return this;
  }

  /**
   * @return the topics anyone may subscribe to ({@code public_topics}), unmodifiable
   */
  public List<String> getPublicTopics() {
    return publicTopics;
  }

  /**
   * Sets the topics any connection may subscribe to without per-topic authorization; each matches
   * {@code [A-Za-z0-9_.:@-]{1,128}}. Key {@code public_topics}, env {@code PUBLIC_TOPICS} as a comma list.
   * Default empty.
   *
   * @param publicTopics the topics (copied), null meaning empty
   * @return this
   */
  public HeraldOptions setPublicTopics(List<String> publicTopics) {
    this.publicTopics = publicTopics == null ? List.of() : List.copyOf(publicTopics);
    return this;
  }

  /**
   * @return the block explorer URL templates by chain ({@code explorers}), unmodifiable, in insertion order
   */
  public Map<String, String> getExplorers() {
    return explorers;
  }

  /**
   * Sets the block explorer URL templates, chain &rarr; URL starting with http:// or https:// and containing
   * {@code {hash}}. Key {@code explorers}, env {@code EXPLORERS} as a JSON object string. A value given here
   * replaces the whole default map ({@link #DEFAULT_EXPLORERS}: ethereum, avalanche, polygon, arbitrum,
   * optimism, base, bsc).
   *
   * @param explorers the templates (copied, order kept), null meaning empty
   * @return this
   */
  public HeraldOptions setExplorers(Map<String, String> explorers) {
    Map<String, String> copy = new LinkedHashMap<>();
    if (explorers != null) {
      explorers.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "explorers chain"),
          Objects.requireNonNull(v, "explorers URL")));
    }
    this.explorers = Collections.unmodifiableMap(copy);
    return this;
  }

  /**
   * @return the log level ({@code log_level}), upper case
   */
  public String getLogLevel() {
    return logLevel;
  }

  /**
   * Sets the root log level: TRACE, DEBUG, INFO, WARN or ERROR (case-insensitive, stored upper case). Key
   * {@code log_level}, env {@code LOG_LEVEL}. Default {@value #DEFAULT_LOG_LEVEL}.
   *
   * @param logLevel the level
   * @return this
   */
  public HeraldOptions setLogLevel(String logLevel) {
    this.logLevel = logLevel == null ? null : logLevel.trim().toUpperCase(Locale.ROOT);
    return this;
  }

  /**
   * @return the key of the operator routes ({@code admin_key}), or null when they are off
   */
  public String getAdminKey() {
    return adminKey;
  }

  /**
   * Sets the key of the operator routes ({@code POST /admin/drain}; secret; redacted in logs): they accept this key
   * only, never {@code api_key}, and are refused (403) while it is not set. Call them on a node's own port: the
   * balancer of {@code conf/haproxy.cfg} never forwards them. Key {@code admin_key}, env {@code HERALD_ADMIN_KEY};
   * at least 16 characters and different from {@code api_key} when set. Default null (operator routes off).
   *
   * @param adminKey the key, or null
   * @return this
   */
  public HeraldOptions setAdminKey(String adminKey) {
    this.adminKey = adminKey;
    return this;
  }

  /**
   * @return the key {@code GET /metrics} requires ({@code metrics_key}), or null when it is open
   */
  public String getMetricsKey() {
    return metricsKey;
  }

  /**
   * Sets the bearer key {@code GET /metrics} requires (secret; redacted in logs), for a Prometheus scraper's
   * {@code authorization} credentials. Key {@code metrics_key}, env {@code HERALD_METRICS_KEY}; at least 16
   * characters, different from {@code api_key} and {@code admin_key}, when set. Default null: {@code /metrics} is
   * open on the node's own port (the balancer of {@code conf/haproxy.cfg} never forwards it).
   *
   * @param metricsKey the key, or null
   * @return this
   */
  public HeraldOptions setMetricsKey(String metricsKey) {
    this.metricsKey = metricsKey;
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
  public HeraldOptions setMaxUnauthenticatedConnections(int maxUnauthenticatedConnections) {
    this.maxUnauthenticatedConnections = maxUnauthenticatedConnections;
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
   * the address a trusted proxy gives, see {@link #setTrustedProxies}); refused as for
   * {@link #setMaxUnauthenticatedConnections}. Key {@code max_unauthenticated_per_address}, env
   * {@code MAX_UNAUTHENTICATED_PER_ADDRESS}; 1..{@code max_unauthenticated_connections}. Default
   * {@value #DEFAULT_MAX_UNAUTHENTICATED_PER_ADDRESS}.
   *
   * @param maxUnauthenticatedPerAddress the limit, in connections
   * @return this
   */
  public HeraldOptions setMaxUnauthenticatedPerAddress(int maxUnauthenticatedPerAddress) {
    this.maxUnauthenticatedPerAddress = maxUnauthenticatedPerAddress;
    return this;
  }

  /**
   * @return the proxies whose {@code X-Forwarded-For} is trusted ({@code trusted_proxies}), unmodifiable
   */
  public List<String> getTrustedProxies() {
    return trustedProxies;
  }

  /**
   * Sets the proxies (IP addresses or CIDR ranges) whose {@code X-Forwarded-For} names the client: when the TCP peer
   * is one of them, the client address is the rightmost address of that header that is not itself a trusted proxy.
   * From any other peer the header is never believed (anyone can send it). Used for the per-address limit and the
   * session's recorded address. Key {@code trusted_proxies}, env {@code TRUSTED_PROXIES} as a comma list. Default
   * empty.
   *
   * @param trustedProxies the addresses or ranges (copied), null meaning empty
   * @return this
   */
  public HeraldOptions setTrustedProxies(List<String> trustedProxies) {
    this.trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    return this;
  }

  /**
   * @return the sustained topic changes per connection per second ({@code topic_changes_per_sec})
   */
  public int getTopicChangesPerSec() {
    return topicChangesPerSec;
  }

  /**
   * Sets how many topic changes (a topic joined or left: each may register or unregister a cluster-wide consumer)
   * one connection may make per second, sustained: a {@code /ws} Subscribe or Unsubscribe costs one per topic it
   * adds or removes, a bridge REGISTER or UNREGISTER of a topic address costs one. A request over the budget is
   * refused whole with {@code Error rate_limited} (bridge: {@code err}); more than {@code rate_limit_burst} such
   * refusals in a row close the connection with 4029. Key {@code topic_changes_per_sec}, env
   * {@code TOPIC_CHANGES_PER_SEC}; &gt;= 1. Default {@value #DEFAULT_TOPIC_CHANGES_PER_SEC}.
   *
   * @param topicChangesPerSec the rate, in topic changes per second
   * @return this
   */
  public HeraldOptions setTopicChangesPerSec(int topicChangesPerSec) {
    this.topicChangesPerSec = topicChangesPerSec;
    return this;
  }

  /**
   * @return the burst of topic changes per connection ({@code topic_changes_burst})
   */
  public int getTopicChangesBurst() {
    return topicChangesBurst;
  }

  /**
   * Sets how many topic changes one connection may make at once above the sustained rate; a request changing more
   * topics than this is always refused, so keep it at least the largest topic set a client changes in one request
   * (at most 256). Key {@code topic_changes_burst}, env {@code TOPIC_CHANGES_BURST}; &gt;= 1. Default
   * {@value #DEFAULT_TOPIC_CHANGES_BURST}.
   *
   * @param topicChangesBurst the burst, in topic changes
   * @return this
   */
  public HeraldOptions setTopicChangesBurst(int topicChangesBurst) {
    this.topicChangesBurst = topicChangesBurst;
    return this;
  }

  /**
   * @return the snake_case names of all configuration keys, in canonical order
   */
  static Set<String> keys() {
    return Collections.unmodifiableSet(OPTS.keySet());
  }
}
