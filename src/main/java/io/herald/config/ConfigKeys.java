package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Every configuration key in its canonical order (the order of {@link HeraldOptions#toJson()},
 * {@code conf/herald.json} and the README table), with its JSON kind, its environment variables, whether it is a
 * secret, and the section it belongs to with the getter and setter there. The loader and the JSON views read this
 * table, so a key is declared once.
 */
final class ConfigKeys {

  /** The JSON type of a key's value. */
  enum Kind { STRING, INT, BOOL, LIST, MAP }

  /** How a key's value appears in a redacted view. */
  enum Secrecy {
    /** Shown as it is. */
    NONE,
    /** Replaced whole by {@value Redaction#REDACTED} when set. */
    WHOLE,
    /** Shown with the password of each URL's userinfo replaced. */
    URL_PASSWORD
  }

  /**
   * One key: {@code sectionOf} picks its section out of the options, {@code getter}/{@code setter} act on that
   * section.
   */
  record Key(String name, Kind kind, List<String> envNames, Secrecy secrecy, Class<?> section,
             Function<HeraldOptions, Object> sectionOf, BiConsumer<Object, Object> setter,
             Function<Object, Object> getter) {

    void set(HeraldOptions options, Object value) {
      setter.accept(sectionOf.apply(options), value);
    }

    Object get(HeraldOptions options) {
      return getter.apply(sectionOf.apply(options));
    }
  }

  private static final Map<String, Key> KEYS = new LinkedHashMap<>();

  /** Declares the keys of one section; each call appends a key to the canonical order. */
  private record Section<S>(Class<S> type, Function<HeraldOptions, S> accessor) {

    @SuppressWarnings("unchecked")
    private Section<S> key(String key, Kind kind, List<String> envNames, Secrecy secrecy, BiConsumer<S, ?> set,
                   Function<S, ?> get) {
      List<String> env = envNames != null ? envNames : List.of(key.toUpperCase(Locale.ROOT));
      KEYS.put(key, new Key(key, kind, env, secrecy, type, (Function<HeraldOptions, Object>) accessor,
          (BiConsumer<Object, Object>) set, (Function<Object, Object>) get));
      return this;
    }

    Section<S> str(String key, BiConsumer<S, String> set, Function<S, String> get) {
      return key(key, Kind.STRING, null, Secrecy.NONE, set, get);
    }

    Section<S> num(String key, BiConsumer<S, Integer> set, Function<S, Integer> get) {
      return key(key, Kind.INT, null, Secrecy.NONE, set, get);
    }

    Section<S> bool(String key, BiConsumer<S, Boolean> set, Function<S, Boolean> get) {
      return key(key, Kind.BOOL, null, Secrecy.NONE, set, get);
    }

    Section<S> list(String key, List<String> envNames, BiConsumer<S, List<String>> set, Function<S, List<String>> get) {
      return key(key, Kind.LIST, envNames, Secrecy.NONE, set, get);
    }

    Section<S> map(String key, BiConsumer<S, Map<String, String>> set, Function<S, Map<String, String>> get) {
      return key(key, Kind.MAP, null, Secrecy.NONE, set, get);
    }

    Section<S> secret(String key, List<String> envNames, BiConsumer<S, String> set, Function<S, String> get) {
      return key(key, Kind.STRING, envNames, Secrecy.WHOLE, set, get);
    }

    Section<S> url(String key, BiConsumer<S, String> set, Function<S, String> get) {
      return key(key, Kind.STRING, null, Secrecy.URL_PASSWORD, set, get);
    }
  }

  static {
    var server = new Section<>(ServerOptions.class, HeraldOptions::server);
    var limits = new Section<>(LimitsOptions.class, HeraldOptions::limits);
    var auth = new Section<>(AuthOptions.class, HeraldOptions::auth);
    var access = new Section<>(AccessOptions.class, HeraldOptions::access);
    var api = new Section<>(ApiOptions.class, HeraldOptions::api);
    var ingress = new Section<>(IngressOptions.class, HeraldOptions::ingress);
    var state = new Section<>(StateOptions.class, HeraldOptions::state);
    var cluster = new Section<>(ClusterOptions.class, HeraldOptions::cluster);

    server.str("node_id", ServerOptions::setNodeId, ServerOptions::getNodeId)
        .str("websocket_host", ServerOptions::setWebsocketHost, ServerOptions::getWebsocketHost)
        .num("websocket_port", ServerOptions::setWebsocketPort, ServerOptions::getWebsocketPort)
        .num("instances", ServerOptions::setInstances, ServerOptions::getInstances);
    limits.num("max_connections", LimitsOptions::setMaxConnections, LimitsOptions::getMaxConnections)
        .num("max_connections_per_user", LimitsOptions::setMaxConnectionsPerUser,
            LimitsOptions::getMaxConnectionsPerUser);
    state.url("redis_url", StateOptions::setRedisUrl, StateOptions::getRedisUrl);
    ingress.url("nats_url", IngressOptions::setNatsUrl, IngressOptions::getNatsUrl)
        .str("nats_subject", IngressOptions::setNatsSubject, IngressOptions::getNatsSubject)
        .str("nats_queue_group", IngressOptions::setNatsQueueGroup, IngressOptions::getNatsQueueGroup)
        .bool("nats_jetstream", IngressOptions::setNatsJetstream, IngressOptions::isNatsJetstream)
        .str("nats_stream", IngressOptions::setNatsStream, IngressOptions::getNatsStream)
        .list("nats_stream_subjects", null, IngressOptions::setNatsStreamSubjects, IngressOptions::getNatsStreamSubjects)
        .str("nats_stream_retention", IngressOptions::setNatsStreamRetention, IngressOptions::getNatsStreamRetention)
        .num("nats_stream_max_age_secs", IngressOptions::setNatsStreamMaxAgeSecs,
            IngressOptions::getNatsStreamMaxAgeSecs)
        .str("nats_durable", IngressOptions::setNatsDurable, IngressOptions::getNatsDurable)
        .num("nats_ack_wait_secs", IngressOptions::setNatsAckWaitSecs, IngressOptions::getNatsAckWaitSecs)
        .num("nats_max_ack_pending", IngressOptions::setNatsMaxAckPending, IngressOptions::getNatsMaxAckPending)
        .str("redis_channel_prefix", IngressOptions::setRedisChannelPrefix, IngressOptions::getRedisChannelPrefix);
    limits.num("heartbeat_interval_secs", LimitsOptions::setHeartbeatIntervalSecs,
            LimitsOptions::getHeartbeatIntervalSecs)
        .num("connection_timeout_secs", LimitsOptions::setConnectionTimeoutSecs,
            LimitsOptions::getConnectionTimeoutSecs);
    auth.num("auth_timeout_secs", AuthOptions::setAuthTimeoutSecs, AuthOptions::getAuthTimeoutSecs)
        .num("expired_close_delay_secs", AuthOptions::setExpiredCloseDelaySecs, AuthOptions::getExpiredCloseDelaySecs)
        .num("auth_recheck_secs", AuthOptions::setAuthRecheckSecs, AuthOptions::getAuthRecheckSecs);
    server.num("max_frame_bytes", ServerOptions::setMaxFrameBytes, ServerOptions::getMaxFrameBytes);
    limits.num("rate_limit_per_sec", LimitsOptions::setRateLimitPerSec, LimitsOptions::getRateLimitPerSec)
        .num("rate_limit_burst", LimitsOptions::setRateLimitBurst, LimitsOptions::getRateLimitBurst)
        .num("slow_client_grace_secs", LimitsOptions::setSlowClientGraceSecs, LimitsOptions::getSlowClientGraceSecs)
        .num("slow_client_max_pending", LimitsOptions::setSlowClientMaxPending,
            LimitsOptions::getSlowClientMaxPending)
        .num("write_queue_max_bytes", LimitsOptions::setWriteQueueMaxBytes, LimitsOptions::getWriteQueueMaxBytes);
    state.str("redis_key_prefix", StateOptions::setRedisKeyPrefix, StateOptions::getRedisKeyPrefix)
        .num("session_ttl_secs", StateOptions::setSessionTtlSecs, StateOptions::getSessionTtlSecs)
        .num("history_size", StateOptions::setHistorySize, StateOptions::getHistorySize)
        .num("history_ttl_secs", StateOptions::setHistoryTtlSecs, StateOptions::getHistoryTtlSecs)
        .num("offline_queue_ttl_secs", StateOptions::setOfflineQueueTtlSecs, StateOptions::getOfflineQueueTtlSecs)
        .num("inbox_size", StateOptions::setInboxSize, StateOptions::getInboxSize)
        .bool("initial_state", StateOptions::setInitialState, StateOptions::isInitialState)
        .num("initial_state_size", StateOptions::setInitialStateSize, StateOptions::getInitialStateSize)
        .bool("position_check", StateOptions::setPositionCheck, StateOptions::isPositionCheck)
        .num("metrics_retention_secs", StateOptions::setMetricsRetentionSecs, StateOptions::getMetricsRetentionSecs);
    auth.secret("jwt_secret", null, AuthOptions::setJwtSecret, AuthOptions::getJwtSecret)
        .str("jwt_public_key", AuthOptions::setJwtPublicKey, AuthOptions::getJwtPublicKey)
        .str("jwt_issuer", AuthOptions::setJwtIssuer, AuthOptions::getJwtIssuer)
        .str("jwt_audience", AuthOptions::setJwtAudience, AuthOptions::getJwtAudience);
    api.secret("api_key", List.of("HERALD_API_KEY", "API_KEY"), ApiOptions::setApiKey, ApiOptions::getApiKey);
    access.list("allowed_origins", List.of("ALLOWED_ORIGINS", "CORS_ORIGIN"), AccessOptions::setAllowedOrigins,
        AccessOptions::getAllowedOrigins);
    cluster.bool("cluster", ClusterOptions::setCluster, ClusterOptions::isCluster)
        .num("cluster_min_members", ClusterOptions::setClusterMinMembers, ClusterOptions::getClusterMinMembers);
    server.bool("compression", ServerOptions::setCompression, ServerOptions::isCompression)
        .num("compression_level", ServerOptions::setCompressionLevel, ServerOptions::getCompressionLevel);
    access.list("default_topics", null, AccessOptions::setDefaultTopics, AccessOptions::getDefaultTopics)
        .list("public_topics", null, AccessOptions::setPublicTopics, AccessOptions::getPublicTopics);
    ingress.map("explorers", IngressOptions::setExplorers, IngressOptions::getExplorers);
    server.str("log_level", ServerOptions::setLogLevel, ServerOptions::getLogLevel);
    api.secret("admin_key", List.of("HERALD_ADMIN_KEY"), ApiOptions::setAdminKey, ApiOptions::getAdminKey)
        .secret("metrics_key", List.of("HERALD_METRICS_KEY"), ApiOptions::setMetricsKey, ApiOptions::getMetricsKey);
    limits.num("max_unauthenticated_connections", LimitsOptions::setMaxUnauthenticatedConnections,
            LimitsOptions::getMaxUnauthenticatedConnections)
        .num("max_unauthenticated_per_address", LimitsOptions::setMaxUnauthenticatedPerAddress,
            LimitsOptions::getMaxUnauthenticatedPerAddress);
    access.list("trusted_proxies", null, AccessOptions::setTrustedProxies, AccessOptions::getTrustedProxies);
    access.num("topic_changes_per_sec", AccessOptions::setTopicChangesPerSec, AccessOptions::getTopicChangesPerSec)
        .num("topic_changes_burst", AccessOptions::setTopicChangesBurst, AccessOptions::getTopicChangesBurst);
    limits.num("upgrade_rate_per_sec", LimitsOptions::setUpgradeRatePerSec, LimitsOptions::getUpgradeRatePerSec)
        .num("upgrade_rate_burst", LimitsOptions::setUpgradeRateBurst, LimitsOptions::getUpgradeRateBurst);
    server.num("request_header_timeout_secs", ServerOptions::setRequestHeaderTimeoutSecs,
        ServerOptions::getRequestHeaderTimeoutSecs);
    limits.num("max_sockjs_sessions", LimitsOptions::setMaxSockjsSessions, LimitsOptions::getMaxSockjsSessions)
        .num("max_sockjs_sessions_per_address", LimitsOptions::setMaxSockjsSessionsPerAddress,
            LimitsOptions::getMaxSockjsSessionsPerAddress);
    api.num("api_rate_per_sec", ApiOptions::setApiRatePerSec, ApiOptions::getApiRatePerSec)
        .num("api_rate_burst", ApiOptions::setApiRateBurst, ApiOptions::getApiRateBurst);
  }

  private ConfigKeys() {
  }

  /** Every key, in canonical order. */
  static Collection<Key> all() {
    return Collections.unmodifiableCollection(KEYS.values());
  }

  /** The key of that snake_case name, or null when there is none. */
  static Key named(String name) {
    return KEYS.get(name);
  }

  /** Every key of the options as JSON, in canonical order; secrets hidden when {@code redacted}. */
  static JsonObject toJson(HeraldOptions options, boolean redacted) {
    JsonObject json = new JsonObject();
    for (Key key : KEYS.values()) {
      json.put(key.name(), shown(key, key.get(options), redacted));
    }
    return json;
  }

  /** The keys of one section as JSON, in canonical order, secrets hidden: what a section's toString shows. */
  static JsonObject toRedactedJson(Object section) {
    JsonObject json = new JsonObject();
    for (Key key : KEYS.values()) {
      if (key.section() == section.getClass()) {
        json.put(key.name(), shown(key, key.getter().apply(section), true));
      }
    }
    return json;
  }

  @SuppressWarnings("unchecked")
  private static Object shown(Key key, Object value, boolean redacted) {
    if (value instanceof List) {
      return new JsonArray(new ArrayList<>((List<?>) value));
    }
    if (value instanceof Map) {
      return new JsonObject(new LinkedHashMap<>((Map<String, Object>) value));
    }
    if (!redacted || value == null) {
      return value;
    }
    return switch (key.secrecy()) {
      case NONE -> value;
      case WHOLE -> Redaction.REDACTED;
      case URL_PASSWORD -> Redaction.urlPasswords((String) value);
    };
  }
}
