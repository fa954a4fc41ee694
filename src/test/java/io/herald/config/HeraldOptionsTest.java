package io.herald.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeraldOptionsTest {

  /** Every configuration key, in canonical order. */
  private static final List<String> ALL_KEYS = List.of(
      "node_id", "websocket_host", "websocket_port", "instances", "max_connections", "max_connections_per_user",
      "redis_url", "nats_url", "nats_subject", "nats_queue_group", "nats_jetstream", "nats_stream",
      "nats_stream_subjects", "nats_stream_retention", "nats_stream_max_age_secs", "nats_durable", "nats_ack_wait_secs",
      "nats_max_ack_pending", "redis_channel_prefix",
      "heartbeat_interval_secs", "connection_timeout_secs", "auth_timeout_secs", "expired_close_delay_secs",
      "auth_recheck_secs",
      "max_frame_bytes", "rate_limit_per_sec", "rate_limit_burst", "slow_client_grace_secs",
      "slow_client_max_pending", "write_queue_max_bytes", "redis_key_prefix", "session_ttl_secs", "history_size",
      "history_ttl_secs", "offline_queue_ttl_secs", "inbox_size", "initial_state", "initial_state_size", "position_check",
      "metrics_retention_secs", "jwt_secret", "jwt_public_key", "jwt_issuer", "jwt_audience", "api_key",
      "allowed_origins", "cluster", "cluster_min_members", "compression", "compression_level", "default_topics",
      "public_topics", "explorers", "log_level", "admin_key", "metrics_key", "max_unauthenticated_connections",
      "max_unauthenticated_per_address", "trusted_proxies", "topic_changes_per_sec", "topic_changes_burst",
      "upgrade_rate_per_sec", "upgrade_rate_burst", "request_header_timeout_secs", "max_sockjs_sessions",
      "max_sockjs_sessions_per_address", "api_rate_per_sec", "api_rate_burst");

  private static final Map<String, String> DEFAULT_EXPLORERS = orderedMap(
      "ethereum", "https://etherscan.io/tx/{hash}",
      "avalanche", "https://snowtrace.io/tx/{hash}",
      "polygon", "https://polygonscan.com/tx/{hash}",
      "arbitrum", "https://arbiscan.io/tx/{hash}",
      "optimism", "https://optimistic.etherscan.io/tx/{hash}",
      "base", "https://basescan.org/tx/{hash}",
      "bsc", "https://bscscan.com/tx/{hash}");

  private static final String SECRET_32 = "0123456789abcdef0123456789abcdef";
  private static final String API_KEY_16 = "k-0123456789abcd";
  private static final String ADMIN_KEY_16 = "a-0123456789abcd";
  private static final String METRICS_KEY_16 = "m-0123456789abcd";
  private static final String PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

  private static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Path write(Path dir, String content) throws Exception {
    Path file = dir.resolve("herald-" + System.nanoTime() + ".json");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  /** Options where every key differs from its default (and is valid). */
  private static HeraldOptions allChanged() {
    return new HeraldOptions()
        .server(server -> server.setNodeId("node-1")
            .setWebsocketHost("127.0.0.1")
            .setWebsocketPort(9001)
            .setInstances(3)
            .setMaxFrameBytes(4096)
            .setRequestHeaderTimeoutSecs(4)
            .setCompression(false)
            .setCompressionLevel(2)
            .setLogLevel("warn"))
        .limits(limits -> limits.setMaxConnections(500)
            .setMaxConnectionsPerUser(2)
            .setHeartbeatIntervalSecs(5)
            .setConnectionTimeoutSecs(60)
            .setRateLimitPerSec(7)
            .setRateLimitBurst(9)
            .setSlowClientGraceSecs(4)
            .setSlowClientMaxPending(64)
            .setWriteQueueMaxBytes(2048)
            .setMaxUnauthenticatedConnections(300)
            .setMaxUnauthenticatedPerAddress(30)
            .setUpgradeRatePerSec(5)
            .setUpgradeRateBurst(7)
            .setMaxSockjsSessions(500)
            .setMaxSockjsSessionsPerAddress(9)
)
        .auth(auth -> auth.setAuthTimeoutSecs(3)
            .setExpiredCloseDelaySecs(0)
            .setAuthRecheckSecs(5)
            .setJwtSecret(SECRET_32)
            .setJwtPublicKey(PEM)
            .setJwtIssuer("issuer")
            .setJwtAudience("aud"))
        .access(access -> access.setAllowedOrigins(List.of("https://app.example.com"))
            .setDefaultTopics(List.of("news"))
            .setPublicTopics(List.of("status"))
            .setTrustedProxies(List.of("10.0.0.0/8", "::1"))
            .setTopicChangesPerSec(5)
            .setTopicChangesBurst(64))
        .api(api -> api.setApiKey(API_KEY_16)
            .setAdminKey(ADMIN_KEY_16)
            .setMetricsKey(METRICS_KEY_16)
            .setApiRatePerSec(11)
            .setApiRateBurst(13))
        .ingress(ingress -> ingress.setNatsUrl("nats://n1:4222,tls://n2:4443")
            .setNatsSubject("notif.ws")
            .setNatsQueueGroup("qg")
            .setNatsJetstream(true)
            .setNatsStream("S1")
            .setNatsStreamSubjects(List.of("notif.>"))
            .setNatsStreamRetention("limits")
            .setNatsStreamMaxAgeSecs(3600)
            .setNatsDurable("d1")
            .setNatsAckWaitSecs(5)
            .setNatsMaxAckPending(100)
            .setRedisChannelPrefix("herald")
            .setExplorers(Map.of("sol", "https://solscan.io/tx/{hash}")))
        .state(state -> state.setRedisUrl("redis://:pw@redis:6380/1")
            .setRedisKeyPrefix("herald:ws")
            .setSessionTtlSecs(45)
            .setHistorySize(500)
            .setHistoryTtlSecs(3600)
            .setOfflineQueueTtlSecs(86400)
            .setInboxSize(250)
            .setInitialState(false)
            .setPositionCheck(false)
            .setInitialStateSize(0)
            .setMetricsRetentionSecs(7200))
        .cluster(cluster -> cluster.setCluster(true).setClusterMinMembers(2));
  }

  // ------------------------------------------------------------------------------------------ defaults

  @Test
  void everyDefault() {
    HeraldOptions o = new HeraldOptions();
    assertNull(o.server().getNodeId());
    assertEquals("0.0.0.0", o.server().getWebsocketHost());
    assertEquals(8080, o.server().getWebsocketPort());
    assertEquals(0, o.server().getInstances());
    assertEquals(10000, o.limits().getMaxConnections());
    assertEquals(10, o.limits().getMaxConnectionsPerUser());
    assertNull(o.state().getRedisUrl());
    assertNull(o.ingress().getNatsUrl());
    assertFalse(o.state().redisEnabled());
    assertFalse(o.ingress().natsEnabled());
    assertEquals("notifications.websocket", o.ingress().getNatsSubject());
    assertEquals("herald-ingress", o.ingress().getNatsQueueGroup());
    assertEquals("notifications", o.ingress().getRedisChannelPrefix());
    assertEquals(30, o.limits().getHeartbeatIntervalSecs());
    assertEquals(300, o.limits().getConnectionTimeoutSecs());
    assertEquals(10, o.auth().getAuthTimeoutSecs());
    assertEquals(25, o.auth().getExpiredCloseDelaySecs());
    assertEquals(65536, o.server().getMaxFrameBytes());
    assertEquals(20, o.limits().getRateLimitPerSec());
    assertEquals(40, o.limits().getRateLimitBurst());
    assertEquals(10, o.limits().getSlowClientGraceSecs());
    assertEquals(1024, o.limits().getSlowClientMaxPending());
    assertEquals(262144, o.limits().getWriteQueueMaxBytes());
    assertEquals("websocket", o.state().getRedisKeyPrefix());
    assertEquals(90, o.state().getSessionTtlSecs());
    assertEquals(100, o.state().getHistorySize());
    assertEquals(86400, o.state().getHistoryTtlSecs());
    assertEquals(604800, o.state().getOfflineQueueTtlSecs());
    assertEquals(100, o.state().getInboxSize());
    assertTrue(o.state().isInitialState());
    assertEquals(10, o.state().getInitialStateSize());
    assertEquals(604800, o.state().getMetricsRetentionSecs());
    assertNull(o.auth().getJwtSecret());
    assertNull(o.auth().getJwtPublicKey());
    assertNull(o.auth().getJwtIssuer());
    assertNull(o.auth().getJwtAudience());
    assertNull(o.api().getApiKey());
    assertFalse(o.server().isDevMode());
    assertNull(o.api().getAdminKey());
    assertNull(o.api().getMetricsKey());
    assertEquals(List.of(), o.access().getAllowedOrigins());
    assertTrue(o.server().isCompression());
    assertEquals(6, o.server().getCompressionLevel());
    assertEquals(List.of(), o.access().getDefaultTopics());
    assertEquals(List.of(), o.access().getPublicTopics());
    assertEquals(DEFAULT_EXPLORERS, o.ingress().getExplorers());
    assertEquals(new ArrayList<>(DEFAULT_EXPLORERS.keySet()), new ArrayList<>(o.ingress().getExplorers().keySet()));
    assertEquals("INFO", o.server().getLogLevel());
    assertEquals(1000, o.limits().getMaxUnauthenticatedConnections());
    assertEquals(50, o.limits().getMaxUnauthenticatedPerAddress());
    assertEquals(List.of(), o.access().getTrustedProxies());
    assertEquals(20, o.access().getTopicChangesPerSec());
    assertEquals(256, o.access().getTopicChangesBurst());
  }

  @Test
  void defaultConstants() {
    assertEquals("0.0.0.0", ServerOptions.DEFAULT_WEBSOCKET_HOST);
    assertEquals(8080, ServerOptions.DEFAULT_WEBSOCKET_PORT);
    assertEquals(0, ServerOptions.DEFAULT_INSTANCES);
    assertEquals(10000, LimitsOptions.DEFAULT_MAX_CONNECTIONS);
    assertEquals(10, LimitsOptions.DEFAULT_MAX_CONNECTIONS_PER_USER);
    assertEquals("notifications.websocket", IngressOptions.DEFAULT_NATS_SUBJECT);
    assertEquals("herald-ingress", IngressOptions.DEFAULT_NATS_QUEUE_GROUP);
    assertEquals("notifications", IngressOptions.DEFAULT_REDIS_CHANNEL_PREFIX);
    assertEquals(30, LimitsOptions.DEFAULT_HEARTBEAT_INTERVAL_SECS);
    assertEquals(300, LimitsOptions.DEFAULT_CONNECTION_TIMEOUT_SECS);
    assertEquals(10, AuthOptions.DEFAULT_AUTH_TIMEOUT_SECS);
    assertEquals(25, AuthOptions.DEFAULT_EXPIRED_CLOSE_DELAY_SECS);
    assertEquals(65536, ServerOptions.DEFAULT_MAX_FRAME_BYTES);
    assertEquals(20, LimitsOptions.DEFAULT_RATE_LIMIT_PER_SEC);
    assertEquals(40, LimitsOptions.DEFAULT_RATE_LIMIT_BURST);
    assertEquals(10, LimitsOptions.DEFAULT_SLOW_CLIENT_GRACE_SECS);
    assertEquals(1024, LimitsOptions.DEFAULT_SLOW_CLIENT_MAX_PENDING);
    assertEquals(262144, LimitsOptions.DEFAULT_WRITE_QUEUE_MAX_BYTES);
    assertEquals("websocket", StateOptions.DEFAULT_REDIS_KEY_PREFIX);
    assertEquals(90, StateOptions.DEFAULT_SESSION_TTL_SECS);
    assertEquals(100, StateOptions.DEFAULT_HISTORY_SIZE);
    assertEquals(86400, StateOptions.DEFAULT_HISTORY_TTL_SECS);
    assertEquals(604800, StateOptions.DEFAULT_OFFLINE_QUEUE_TTL_SECS);
    assertEquals(100, StateOptions.DEFAULT_INBOX_SIZE);
    assertTrue(StateOptions.DEFAULT_INITIAL_STATE);
    assertEquals(10, StateOptions.DEFAULT_INITIAL_STATE_SIZE);
    assertEquals(604800, StateOptions.DEFAULT_METRICS_RETENTION_SECS);
    assertFalse(ServerOptions.DEFAULT_DEV_MODE);
    assertEquals(List.of(), AccessOptions.DEFAULT_ALLOWED_ORIGINS);
    assertTrue(ServerOptions.DEFAULT_COMPRESSION);
    assertEquals(6, ServerOptions.DEFAULT_COMPRESSION_LEVEL);
    assertEquals(List.of(), AccessOptions.DEFAULT_DEFAULT_TOPICS);
    assertEquals(List.of(), AccessOptions.DEFAULT_PUBLIC_TOPICS);
    assertEquals(DEFAULT_EXPLORERS, IngressOptions.DEFAULT_EXPLORERS);
    assertEquals("INFO", ServerOptions.DEFAULT_LOG_LEVEL);
    assertEquals(10, LimitsOptions.DEFAULT_UPGRADE_RATE_PER_SEC);
    assertEquals(100, LimitsOptions.DEFAULT_UPGRADE_RATE_BURST);
    assertEquals(10, ServerOptions.DEFAULT_REQUEST_HEADER_TIMEOUT_SECS);
    assertEquals(10000, LimitsOptions.DEFAULT_MAX_SOCKJS_SESSIONS);
    assertEquals(100, LimitsOptions.DEFAULT_MAX_SOCKJS_SESSIONS_PER_ADDRESS);
    assertEquals(100, ApiOptions.DEFAULT_API_RATE_PER_SEC);
    assertEquals(200, ApiOptions.DEFAULT_API_RATE_BURST);
  }

  @Test
  void defaultsAreValidAndNodeIdIsGenerated() {
    HeraldOptions a = new HeraldOptions();
    assertSame(a, a.validate());
    assertTrue(a.server().getNodeId().matches("herald-[0-9a-f]{8}"), a.server().getNodeId());
    HeraldOptions b = new HeraldOptions().validate();
    assertNotEquals(a.server().getNodeId(), b.server().getNodeId());
    // an explicit node id is kept
    assertEquals("edge-7", new HeraldOptions()
        .server(server -> server.setNodeId("edge-7")).validate().server().getNodeId());
  }

  @Test
  void loadWithoutFileOrEnvGivesDefaults() {
    HeraldOptions o = HeraldOptions.load(null, Map.of());
    JsonObject expected = new HeraldOptions().toJson().put("node_id", o.server().getNodeId());
    assertEquals(expected, o.toJson());
    assertTrue(o.server().getNodeId().startsWith("herald-"));
  }

  @Test
  void toJsonHasEveryKeyWithRealValues() {
    JsonObject json = new HeraldOptions().toJson();
    assertEquals(ALL_KEYS, new ArrayList<>(json.fieldNames()));
    assertTrue(json.containsKey("redis_url"));
    assertNull(json.getValue("redis_url"));
    assertEquals(8080, json.getInteger("websocket_port"));
    assertEquals(true, json.getBoolean("compression"));
    assertEquals(new JsonArray(), json.getJsonArray("allowed_origins"));
    assertEquals(new JsonObject(new LinkedHashMap<>(DEFAULT_EXPLORERS)), json.getJsonObject("explorers"));

    JsonObject secrets = allChanged().toJson();
    assertEquals(SECRET_32, secrets.getString("jwt_secret"));
    assertEquals(API_KEY_16, secrets.getString("api_key"));
    assertEquals("redis://:pw@redis:6380/1", secrets.getString("redis_url"));
  }

  @Test
  void toJsonRoundTripsThroughFromJson() {
    HeraldOptions changed = allChanged();
    JsonObject json = changed.toJson();
    // every key really differs from the default, so the round trip proves each key is parsed
    JsonObject defaults = new HeraldOptions().toJson();
    for (String key : ALL_KEYS) {
      assertNotEquals(defaults.getValue(key), json.getValue(key), key);
    }
    HeraldOptions parsed = HeraldOptions.fromJson(json);
    assertEquals(json, parsed.toJson());
    parsed.validate();
  }

  // ------------------------------------------------------------------------------------------ layering

  @Test
  void fileOverridesDefaults(@TempDir Path dir) throws Exception {
    Path file = write(dir, "{\"websocket_port\": 9100, \"redis_url\": \"redis://cache:6379\","
        + " \"allowed_origins\": [\"https://a.example.com\", \"*\"], \"compression\": false,"
        + " \"log_level\": \"debug\", \"explorers\": {\"sol\": \"https://solscan.io/tx/{hash}\"}}");
    HeraldOptions o = HeraldOptions.load(file, Map.of());
    assertEquals(9100, o.server().getWebsocketPort());
    assertEquals("redis://cache:6379", o.state().getRedisUrl());
    assertTrue(o.state().redisEnabled());
    assertFalse(o.ingress().natsEnabled());
    assertEquals(List.of("https://a.example.com", "*"), o.access().getAllowedOrigins());
    assertFalse(o.server().isCompression());
    assertEquals("DEBUG", o.server().getLogLevel());
    // a file value replaces the whole default explorers map
    assertEquals(Map.of("sol", "https://solscan.io/tx/{hash}"), o.ingress().getExplorers());
    // untouched keys keep their default
    assertEquals(10000, o.limits().getMaxConnections());
    assertEquals("0.0.0.0", o.server().getWebsocketHost());
  }

  @Test
  void envOverridesFile(@TempDir Path dir) throws Exception {
    Path file = write(dir, "{\"websocket_port\": 9100, \"max_connections\": 50, \"nats_subject\": \"from.file\","
        + " \"default_topics\": [\"file-topic\"]}");
    Map<String, String> env = Map.of(
        "WEBSOCKET_PORT", "9200",
        "NATS_SUBJECT", "from.env",
        "MAX_CONNECTIONS", "",          // empty = unset: file value kept
        "DEFAULT_TOPICS", "   ",        // blank = unset as well
        "UNRELATED_VAR", "whatever");
    HeraldOptions o = HeraldOptions.load(file, env);
    assertEquals(9200, o.server().getWebsocketPort());
    assertEquals("from.env", o.ingress().getNatsSubject());
    assertEquals(50, o.limits().getMaxConnections());
    assertEquals(List.of("file-topic"), o.access().getDefaultTopics());
  }

  @Test
  void everyKeyReadFromItsUpperSnakeEnvVar() {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_ID", "node-env");
    env.put("WEBSOCKET_HOST", "10.0.0.1");
    env.put("WEBSOCKET_PORT", "0");
    env.put("INSTANCES", "4");
    env.put("MAX_CONNECTIONS", "123");
    env.put("MAX_CONNECTIONS_PER_USER", "3");
    env.put("REDIS_URL", "rediss://user:pw@r:6379");
    env.put("NATS_URL", "nats://a:4222, tls://b:4222");
    env.put("NATS_SUBJECT", "s.x");
    env.put("NATS_QUEUE_GROUP", "g1");
    env.put("NATS_JETSTREAM", "true");
    env.put("NATS_STREAM", "S2");
    env.put("NATS_STREAM_SUBJECTS", "s.x, s.y");
    env.put("NATS_STREAM_RETENTION", "interest");
    env.put("NATS_STREAM_MAX_AGE_SECS", "60");
    env.put("NATS_DURABLE", "d2");
    env.put("NATS_ACK_WAIT_SECS", "7");
    env.put("NATS_MAX_ACK_PENDING", "77");
    env.put("REDIS_CHANNEL_PREFIX", "p1");
    env.put("HEARTBEAT_INTERVAL_SECS", "11");
    env.put("CONNECTION_TIMEOUT_SECS", "12");
    env.put("AUTH_TIMEOUT_SECS", "13");
    env.put("EXPIRED_CLOSE_DELAY_SECS", "14");
    env.put("MAX_FRAME_BYTES", "1500");
    env.put("RATE_LIMIT_PER_SEC", "16");
    env.put("RATE_LIMIT_BURST", "17");
    env.put("SLOW_CLIENT_GRACE_SECS", "18");
    env.put("SLOW_CLIENT_MAX_PENDING", "19");
    env.put("WRITE_QUEUE_MAX_BYTES", "2000");
    env.put("REDIS_KEY_PREFIX", "ws-env");
    env.put("SESSION_TTL_SECS", "20");
    env.put("HISTORY_SIZE", "21");
    env.put("HISTORY_TTL_SECS", "22");
    env.put("OFFLINE_QUEUE_TTL_SECS", "23");
    env.put("INBOX_SIZE", "24");
    env.put("INITIAL_STATE", "no");
    env.put("INITIAL_STATE_SIZE", "25");
    env.put("METRICS_RETENTION_SECS", "3601");
    env.put("JWT_SECRET", SECRET_32);
    env.put("JWT_PUBLIC_KEY", PEM);
    env.put("JWT_ISSUER", "iss-env");
    env.put("JWT_AUDIENCE", "aud-env");
    env.put("HERALD_API_KEY", API_KEY_16);
    env.put("HERALD_ADMIN_KEY", ADMIN_KEY_16);
    env.put("HERALD_METRICS_KEY", METRICS_KEY_16);
    env.put("ALLOWED_ORIGINS", "https://x.example.com:8443");
    env.put("COMPRESSION", "false");
    env.put("COMPRESSION_LEVEL", "9");
    env.put("DEFAULT_TOPICS", "t1,t2");
    env.put("PUBLIC_TOPICS", "p:1");
    env.put("EXPLORERS", "{\"tron\":\"https://tronscan.org/#/transaction/{hash}\"}");
    env.put("LOG_LEVEL", "error");
    env.put("MAX_UNAUTHENTICATED_CONNECTIONS", "26");
    env.put("MAX_UNAUTHENTICATED_PER_ADDRESS", "2");
    env.put("TRUSTED_PROXIES", "127.0.0.1, 192.168.0.0/16");
    env.put("TOPIC_CHANGES_PER_SEC", "27");
    env.put("TOPIC_CHANGES_BURST", "28");
    HeraldOptions o = HeraldOptions.load(null, env);
    assertEquals("node-env", o.server().getNodeId());
    assertEquals("10.0.0.1", o.server().getWebsocketHost());
    assertEquals(0, o.server().getWebsocketPort());
    assertEquals(4, o.server().getInstances());
    assertEquals(123, o.limits().getMaxConnections());
    assertEquals(3, o.limits().getMaxConnectionsPerUser());
    assertEquals("rediss://user:pw@r:6379", o.state().getRedisUrl());
    assertEquals("nats://a:4222, tls://b:4222", o.ingress().getNatsUrl());
    assertEquals("s.x", o.ingress().getNatsSubject());
    assertEquals("g1", o.ingress().getNatsQueueGroup());
    assertTrue(o.ingress().isNatsJetstream());
    assertEquals("S2", o.ingress().getNatsStream());
    assertEquals(List.of("s.x", "s.y"), o.ingress().getNatsStreamSubjects());
    assertEquals("interest", o.ingress().getNatsStreamRetention());
    assertEquals(60, o.ingress().getNatsStreamMaxAgeSecs());
    assertEquals("d2", o.ingress().getNatsDurable());
    assertEquals(7, o.ingress().getNatsAckWaitSecs());
    assertEquals(77, o.ingress().getNatsMaxAckPending());
    assertEquals("p1", o.ingress().getRedisChannelPrefix());
    assertEquals(11, o.limits().getHeartbeatIntervalSecs());
    assertEquals(12, o.limits().getConnectionTimeoutSecs());
    assertEquals(13, o.auth().getAuthTimeoutSecs());
    assertEquals(14, o.auth().getExpiredCloseDelaySecs());
    assertEquals(1500, o.server().getMaxFrameBytes());
    assertEquals(16, o.limits().getRateLimitPerSec());
    assertEquals(17, o.limits().getRateLimitBurst());
    assertEquals(18, o.limits().getSlowClientGraceSecs());
    assertEquals(19, o.limits().getSlowClientMaxPending());
    assertEquals(2000, o.limits().getWriteQueueMaxBytes());
    assertEquals("ws-env", o.state().getRedisKeyPrefix());
    assertEquals(20, o.state().getSessionTtlSecs());
    assertEquals(21, o.state().getHistorySize());
    assertEquals(22, o.state().getHistoryTtlSecs());
    assertEquals(23, o.state().getOfflineQueueTtlSecs());
    assertEquals(24, o.state().getInboxSize());
    assertFalse(o.state().isInitialState());
    assertEquals(25, o.state().getInitialStateSize());
    assertEquals(3601, o.state().getMetricsRetentionSecs());
    assertEquals(SECRET_32, o.auth().getJwtSecret());
    assertEquals(PEM.trim(), o.auth().getJwtPublicKey());
    assertEquals("iss-env", o.auth().getJwtIssuer());
    assertEquals("aud-env", o.auth().getJwtAudience());
    assertEquals(API_KEY_16, o.api().getApiKey());
    assertEquals(ADMIN_KEY_16, o.api().getAdminKey());
    assertEquals(METRICS_KEY_16, o.api().getMetricsKey());
    assertEquals(List.of("https://x.example.com:8443"), o.access().getAllowedOrigins());
    assertFalse(o.server().isCompression());
    assertEquals(9, o.server().getCompressionLevel());
    assertEquals(List.of("t1", "t2"), o.access().getDefaultTopics());
    assertEquals(List.of("p:1"), o.access().getPublicTopics());
    assertEquals(Map.of("tron", "https://tronscan.org/#/transaction/{hash}"), o.ingress().getExplorers());
    assertEquals("ERROR", o.server().getLogLevel());
    assertEquals(26, o.limits().getMaxUnauthenticatedConnections());
    assertEquals(2, o.limits().getMaxUnauthenticatedPerAddress());
    assertEquals(List.of("127.0.0.1", "192.168.0.0/16"), o.access().getTrustedProxies());
    assertEquals(27, o.access().getTopicChangesPerSec());
    assertEquals(28, o.access().getTopicChangesBurst());
  }

  @Test
  void apiKeyAliases() {
    String other = "other-key-0123456789";
    assertEquals(API_KEY_16, new HeraldOptions().applyEnv(Map.of("HERALD_API_KEY", API_KEY_16)).api().getApiKey());
    assertEquals(other, new HeraldOptions().applyEnv(Map.of("API_KEY", other)).api().getApiKey());
    // HERALD_API_KEY wins over API_KEY
    assertEquals(API_KEY_16,
        new HeraldOptions().applyEnv(Map.of("HERALD_API_KEY", API_KEY_16, "API_KEY", other)).api().getApiKey());
    // an empty HERALD_API_KEY is unset, so API_KEY applies
    assertEquals(other, new HeraldOptions().applyEnv(Map.of("HERALD_API_KEY", "", "API_KEY", other)).api().getApiKey());
  }

  @Test
  void allowedOriginsAliases() {
    assertEquals(List.of("https://cors.example.com"),
        new HeraldOptions().applyEnv(Map.of("CORS_ORIGIN", "https://cors.example.com")).access().getAllowedOrigins());
    assertEquals(List.of("https://allowed.example.com"), new HeraldOptions().applyEnv(Map.of(
        "ALLOWED_ORIGINS", "https://allowed.example.com",
        "CORS_ORIGIN", "https://cors.example.com")).access().getAllowedOrigins());
    assertEquals(List.of("https://cors.example.com", "http://localhost:3000"), new HeraldOptions().applyEnv(Map.of(
        "ALLOWED_ORIGINS", "",
        "CORS_ORIGIN", "https://cors.example.com,http://localhost:3000")).access().getAllowedOrigins());
  }

  @Test
  void envCommaListsAreTrimmedAndSkipEmptyEntries() {
    HeraldOptions o = new HeraldOptions().applyEnv(Map.of(
        "DEFAULT_TOPICS", " alerts , user:42 ,, prices@eth ,",
        "PUBLIC_TOPICS", "status",
        "ALLOWED_ORIGINS", "https://a.example.com, *"));
    assertEquals(List.of("alerts", "user:42", "prices@eth"), o.access().getDefaultTopics());
    assertEquals(List.of("status"), o.access().getPublicTopics());
    assertEquals(List.of("https://a.example.com", "*"), o.access().getAllowedOrigins());
    o.validate();
  }

  @Test
  void explorersFromEnvJsonReplaceDefaults() {
    HeraldOptions o = new HeraldOptions().applyEnv(Map.of("EXPLORERS",
        "{\"ethereum\":\"https://eth.blockscout.com/tx/{hash}\",\"linea\":\"https://lineascan.build/tx/{hash}\"}"));
    assertEquals(orderedMap("ethereum", "https://eth.blockscout.com/tx/{hash}",
        "linea", "https://lineascan.build/tx/{hash}"), o.ingress().getExplorers());
    assertEquals(List.of("ethereum", "linea"), new ArrayList<>(o.ingress().getExplorers().keySet()));
    o.validate();
  }

  @Test
  void clusterMinMembersIsAQuorumOfOneToAThousandMembers() {
    assertEquals(1, new HeraldOptions().cluster().getClusterMinMembers(), "default: never isolated");
    assertEquals(2, new HeraldOptions().applyEnv(Map.of("CLUSTER_MIN_MEMBERS", "2")).cluster().getClusterMinMembers());
    for (String bad : List.of("0", "-1", "1001")) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> new HeraldOptions().applyEnv(Map.of("CLUSTER_MIN_MEMBERS", bad)));
      assertEquals("cluster_min_members", e.key());
      assertTrue(e.getMessage().contains("between 1 and 1000"), e.getMessage());
    }
  }

  static Stream<Arguments> badEnvValues() {
    return Stream.of(
        Arguments.of("WEBSOCKET_PORT", "http", "websocket_port"),
        Arguments.of("MAX_CONNECTIONS", "1.5", "max_connections"),
        Arguments.of("HEARTBEAT_INTERVAL_SECS", "99999999999", "heartbeat_interval_secs"),
        Arguments.of("COMPRESSION", "maybe", "compression"),
        Arguments.of("INITIAL_STATE", "sometimes", "initial_state"),
        Arguments.of("EXPLORERS", "{not json", "explorers"),
        Arguments.of("EXPLORERS", "[\"https://x/{hash}\"]", "explorers"),
        Arguments.of("EXPLORERS", "{\"eth\": 5}", "explorers"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badEnvValues")
  void unparsableEnvValueNamesTheKey(String var, String value, String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> new HeraldOptions().applyEnv(Map.of(var, value)));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
    // load() reports it too
    ConfigException e2 = assertThrows(ConfigException.class, () -> HeraldOptions.load(null, Map.of(var, value)));
    assertEquals(key, e2.key());
  }

  @Test
  void envBooleans() {
    assertFalse(new HeraldOptions().applyEnv(Map.of("COMPRESSION", "FALSE")).server().isCompression());
    assertFalse(new HeraldOptions().applyEnv(Map.of("COMPRESSION", "0")).server().isCompression());
    assertTrue(new HeraldOptions()
        .server(server -> server.setCompression(false)).applyEnv(Map.of("COMPRESSION", "true")).server().isCompression());
  }

  // ------------------------------------------------------------------------------------------ validation

  static Stream<Arguments> invalidValues() {
    return Stream.of(
        Arguments.of("node_id", "{\"node_id\": \"\"}"),
        Arguments.of("node_id", "{\"node_id\": \"has space\"}"),
        Arguments.of("node_id", "{\"node_id\": \"n/1\"}"),
        Arguments.of("node_id", "{\"node_id\": \"" + "a".repeat(65) + "\"}"),
        Arguments.of("websocket_host", "{\"websocket_host\": \"\"}"),
        Arguments.of("websocket_host", "{\"websocket_host\": null}"),
        Arguments.of("websocket_port", "{\"websocket_port\": -1}"),
        Arguments.of("websocket_port", "{\"websocket_port\": 65536}"),
        Arguments.of("instances", "{\"instances\": -1}"),
        Arguments.of("max_connections", "{\"max_connections\": 0}"),
        Arguments.of("max_connections_per_user", "{\"max_connections_per_user\": 0}"),
        Arguments.of("redis_url", "{\"redis_url\": \"http://localhost:6379\"}"),
        Arguments.of("redis_url", "{\"redis_url\": \"localhost:6379\"}"),
        Arguments.of("redis_url", "{\"redis_url\": \"\"}"),
        Arguments.of("nats_url", "{\"nats_url\": \"http://localhost:4222\"}"),
        Arguments.of("nats_url", "{\"nats_url\": \"nats://a:4222,http://b:4222\"}"),
        Arguments.of("nats_url", "{\"nats_url\": \"nats://a:4222,\"}"),
        Arguments.of("nats_subject", "{\"nats_subject\": \"\"}"),
        Arguments.of("nats_subject", "{\"nats_subject\": \"a b\"}"),
        Arguments.of("nats_queue_group", "{\"nats_queue_group\": \"\"}"),
        Arguments.of("nats_queue_group", "{\"nats_queue_group\": \"q g\"}"),
        Arguments.of("redis_channel_prefix", "{\"redis_channel_prefix\": \"\"}"),
        Arguments.of("redis_channel_prefix", "{\"redis_channel_prefix\": \"a b\"}"),
        Arguments.of("redis_channel_prefix", "{\"redis_channel_prefix\": \"notif*\"}"),
        Arguments.of("heartbeat_interval_secs", "{\"heartbeat_interval_secs\": 0}"),
        Arguments.of("connection_timeout_secs", "{\"connection_timeout_secs\": 0, \"heartbeat_interval_secs\": 1}"),
        Arguments.of("connection_timeout_secs", "{\"connection_timeout_secs\": 30}"),
        Arguments.of("connection_timeout_secs", "{\"connection_timeout_secs\": 20, \"heartbeat_interval_secs\": 21}"),
        Arguments.of("auth_timeout_secs", "{\"auth_timeout_secs\": 0}"),
        Arguments.of("expired_close_delay_secs", "{\"expired_close_delay_secs\": -1}"),
        Arguments.of("auth_recheck_secs", "{\"auth_recheck_secs\": -1}"),
        Arguments.of("max_frame_bytes", "{\"max_frame_bytes\": 255}"),
        Arguments.of("rate_limit_per_sec", "{\"rate_limit_per_sec\": 0}"),
        Arguments.of("rate_limit_burst", "{\"rate_limit_burst\": 0}"),
        Arguments.of("slow_client_grace_secs", "{\"slow_client_grace_secs\": 0}"),
        Arguments.of("slow_client_max_pending", "{\"slow_client_max_pending\": 0}"),
        Arguments.of("write_queue_max_bytes", "{\"write_queue_max_bytes\": 1023}"),
        Arguments.of("redis_key_prefix", "{\"redis_key_prefix\": \"web socket\"}"),
        Arguments.of("session_ttl_secs", "{\"session_ttl_secs\": 30}"),
        Arguments.of("history_size", "{\"history_size\": 100001}"),
        Arguments.of("history_ttl_secs", "{\"history_ttl_secs\": 0}"),
        Arguments.of("offline_queue_ttl_secs", "{\"offline_queue_ttl_secs\": 0}"),
        Arguments.of("inbox_size", "{\"inbox_size\": 0}"),
        Arguments.of("initial_state_size", "{\"initial_state_size\": 101}"),
        Arguments.of("metrics_retention_secs", "{\"metrics_retention_secs\": 3599}"),
        Arguments.of("jwt_secret", "{\"jwt_secret\": \"" + "s".repeat(31) + "\"}"),
        Arguments.of("jwt_public_key", "{\"jwt_public_key\": \"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\"}"),
        Arguments.of("jwt_public_key", "{\"jwt_public_key\": \"-----BEGIN PRIVATE KEY-----\"}"),
        Arguments.of("api_key", "{\"api_key\": \"" + "k".repeat(15) + "\"}"),
        Arguments.of("admin_key", "{\"admin_key\": \"" + "a".repeat(15) + "\"}"),
        Arguments.of("admin_key", "{\"admin_key\": \"" + "k".repeat(16) + "\", \"api_key\": \"" + "k".repeat(16) + "\"}"),
        Arguments.of("metrics_key", "{\"metrics_key\": \"" + "m".repeat(15) + "\"}"),
        Arguments.of("metrics_key", "{\"metrics_key\": \"" + "k".repeat(16) + "\", \"api_key\": \"" + "k".repeat(16) + "\"}"),
        Arguments.of("metrics_key", "{\"metrics_key\": \"" + "a".repeat(16) + "\", \"admin_key\": \"" + "a".repeat(16) + "\"}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": [\"https://app.example.com/path\"]}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": [\"https://app.example.com/\"]}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": [\"app.example.com\"]}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": [\"https://app.example.com:99999\"]}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": [\"*\", \"\"]}"),
        Arguments.of("compression_level", "{\"compression_level\": 0}"),
        Arguments.of("compression_level", "{\"compression_level\": 10}"),
        Arguments.of("default_topics", "{\"default_topics\": [\"bad topic\"]}"),
        Arguments.of("default_topics", "{\"default_topics\": [\"\"]}"),
        Arguments.of("default_topics", "{\"default_topics\": [\"" + "t".repeat(129) + "\"]}"),
        Arguments.of("public_topics", "{\"public_topics\": [\"a/b\"]}"),
        Arguments.of("explorers", "{\"explorers\": {\"eth\": \"https://etherscan.io/tx/\"}}"),
        Arguments.of("explorers", "{\"explorers\": {\"eth\": \"ftp://etherscan.io/tx/{hash}\"}}"),
        Arguments.of("explorers", "{\"explorers\": {\"eth\": \"etherscan.io/tx/{hash}\"}}"),
        Arguments.of("log_level", "{\"log_level\": \"VERBOSE\"}"),
        Arguments.of("log_level", "{\"log_level\": null}"),
        Arguments.of("max_unauthenticated_connections", "{\"max_unauthenticated_connections\": 0}"),
        Arguments.of("max_unauthenticated_per_address", "{\"max_unauthenticated_per_address\": 0}"),
        Arguments.of("max_unauthenticated_per_address",
            "{\"max_unauthenticated_connections\": 10, \"max_unauthenticated_per_address\": 11}"),
        Arguments.of("trusted_proxies", "{\"trusted_proxies\": [\"proxy.example.com\"]}"),
        Arguments.of("trusted_proxies", "{\"trusted_proxies\": [\"10.0.0.0/33\"]}"),
        Arguments.of("trusted_proxies", "{\"trusted_proxies\": [\"256.1.1.1\"]}"),
        Arguments.of("trusted_proxies", "{\"trusted_proxies\": [\"\"]}"),
        Arguments.of("topic_changes_per_sec", "{\"topic_changes_per_sec\": 0}"),
        Arguments.of("topic_changes_burst", "{\"topic_changes_burst\": 0}"),
        Arguments.of("upgrade_rate_per_sec", "{\"upgrade_rate_per_sec\": 0}"),
        Arguments.of("upgrade_rate_burst", "{\"upgrade_rate_burst\": 0}"),
        Arguments.of("request_header_timeout_secs", "{\"request_header_timeout_secs\": 0}"),
        Arguments.of("request_header_timeout_secs", "{\"request_header_timeout_secs\": 301}"),
        Arguments.of("max_sockjs_sessions", "{\"max_sockjs_sessions\": 0}"),
        Arguments.of("max_sockjs_sessions_per_address", "{\"max_sockjs_sessions_per_address\": 0}"),
        Arguments.of("max_sockjs_sessions_per_address",
            "{\"max_sockjs_sessions\": 10, \"max_sockjs_sessions_per_address\": 11}"),
        Arguments.of("api_rate_per_sec", "{\"api_rate_per_sec\": 0}"),
        Arguments.of("api_rate_burst", "{\"api_rate_burst\": 0}"));
  }

  @ParameterizedTest(name = "{0} <- {1}")
  @MethodSource("invalidValues")
  void validationFailureNamesTheKey(String key, String json, @TempDir Path dir) throws Exception {
    // a value alone fails in fromJson (its section's setter), a rule between keys in validate()
    ConfigException e = assertThrows(ConfigException.class,
        () -> HeraldOptions.fromJson(new JsonObject(json)).validate());
    assertEquals(key, e.key());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
    // the same value through a file fails load()
    Path file = write(dir, json);
    ConfigException e2 = assertThrows(ConfigException.class, () -> HeraldOptions.load(file, Map.of()));
    assertEquals(key, e2.key());
  }

  @Test
  void validationMessageShape() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> new HeraldOptions().limits(limits -> limits.setMaxConnections(0)).validate());
    assertEquals("max_connections: must be >= 1 (got 0)", e.getMessage());
    assertEquals("max_connections", e.key());
    // a failed validation does not generate a node id
    HeraldOptions o = new HeraldOptions().limits(limits -> limits.setHeartbeatIntervalSecs(300));
    assertThrows(ConfigException.class, o::validate);
    assertNull(o.server().getNodeId());
  }

  static Stream<Arguments> validBoundaryValues() {
    return Stream.of(
        Arguments.of("{\"node_id\": \"" + "a".repeat(64) + "\"}"),
        Arguments.of("{\"node_id\": \"A-z_0.9\"}"),
        Arguments.of("{\"websocket_port\": 0}"),
        Arguments.of("{\"websocket_port\": 65535}"),
        Arguments.of("{\"instances\": 0}"),
        Arguments.of("{\"max_connections\": 1, \"max_connections_per_user\": 1}"),
        Arguments.of("{\"redis_url\": \"rediss://user:pw@redis.example.com:6380/2\"}"),
        Arguments.of("{\"nats_url\": \"nats://a:4222,tls://b:4443\"}"),
        Arguments.of("{\"heartbeat_interval_secs\": 1, \"connection_timeout_secs\": 2}"),
        Arguments.of("{\"auth_timeout_secs\": 1, \"expired_close_delay_secs\": 0}"),
        Arguments.of("{\"max_frame_bytes\": 256, \"write_queue_max_bytes\": 1024}"),
        Arguments.of("{\"rate_limit_per_sec\": 1, \"rate_limit_burst\": 1}"),
        Arguments.of("{\"slow_client_grace_secs\": 1, \"slow_client_max_pending\": 1}"),
        Arguments.of("{\"redis_key_prefix\": \"" + "a".repeat(64) + "\"}"),
        Arguments.of("{\"redis_key_prefix\": \"A-z_0.9:x\"}"),
        Arguments.of("{\"heartbeat_interval_secs\": 1, \"session_ttl_secs\": 2, \"connection_timeout_secs\": 2}"),
        Arguments.of("{\"history_size\": 1, \"history_ttl_secs\": 1, \"offline_queue_ttl_secs\": 1}"),
        Arguments.of("{\"history_size\": 100000, \"inbox_size\": 10000, \"initial_state_size\": 100}"),
        Arguments.of("{\"inbox_size\": 1, \"initial_state\": false, \"initial_state_size\": 0}"),
        Arguments.of("{\"metrics_retention_secs\": 3600}"),
        Arguments.of("{\"jwt_secret\": \"" + "s".repeat(32) + "\"}"),
        // 16 two-byte characters = 32 bytes: the rule counts bytes, not chars
        Arguments.of("{\"jwt_secret\": \"" + "\u00e9".repeat(16) + "\"}"),
        Arguments.of("{\"api_key\": \"" + "k".repeat(16) + "\"}"),
        Arguments.of("{\"api_key\": \"" + "k".repeat(16) + "\", \"admin_key\": \"" + "a".repeat(16) + "\", \"metrics_key\": \""
            + "m".repeat(16) + "\"}"),
        Arguments.of("{\"allowed_origins\": [\"*\", \"http://localhost:3000\", \"https://[::1]:8443\"]}"),
        Arguments.of("{\"compression_level\": 1}"),
        Arguments.of("{\"compression_level\": 9}"),
        Arguments.of("{\"default_topics\": [\"A-z_0.9:@x\", \"" + "t".repeat(128) + "\"]}"),
        Arguments.of("{\"explorers\": {}}"),
        Arguments.of("{\"explorers\": {\"x\": \"http://x.local/tx/{hash}\"}}"),
        Arguments.of("{\"log_level\": \"trace\"}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validBoundaryValues")
  void boundaryValuesAreAccepted(String json) {
    HeraldOptions o = HeraldOptions.fromJson(new JsonObject(json));
    assertSame(o, o.validate());
  }

  @Test
  void multiByteSecretTooShortInBytesIsRejected() {
    // 15 two-byte characters + 1 = 31 bytes, one short of the 32-byte minimum
    ConfigException e = assertThrows(ConfigException.class,
        () -> new HeraldOptions().auth(auth -> auth.setJwtSecret("\u00e9".repeat(15) + "a")).validate());
    assertEquals("jwt_secret", e.key());
  }

  @Test
  void logLevelStoredUpperCase() {
    assertEquals("WARN", new HeraldOptions().server(server -> server.setLogLevel("warn")).server().getLogLevel());
    assertEquals("DEBUG", HeraldOptions.load(null, Map.of("LOG_LEVEL", "Debug")).server().getLogLevel());
  }

  // ------------------------------------------------------------------------------------------ JSON parsing

  static Stream<Arguments> wrongTypes() {
    return Stream.of(
        Arguments.of("websocket_port", "{\"websocket_port\": \"8080\"}"),
        Arguments.of("websocket_port", "{\"websocket_port\": 80.5}"),
        Arguments.of("websocket_port", "{\"websocket_port\": 3000000000}"),
        Arguments.of("max_connections", "{\"max_connections\": null}"),
        Arguments.of("compression", "{\"compression\": \"yes\"}"),
        Arguments.of("compression", "{\"compression\": 1}"),
        Arguments.of("initial_state", "{\"initial_state\": \"yes\"}"),
        Arguments.of("websocket_host", "{\"websocket_host\": 5}"),
        Arguments.of("jwt_secret", "{\"jwt_secret\": {}}"),
        Arguments.of("allowed_origins", "{\"allowed_origins\": \"*\"}"),
        Arguments.of("default_topics", "{\"default_topics\": [1]}"),
        Arguments.of("public_topics", "{\"public_topics\": [null]}"),
        Arguments.of("explorers", "{\"explorers\": [\"https://x/{hash}\"]}"),
        Arguments.of("explorers", "{\"explorers\": {\"eth\": 1}}"));
  }

  @ParameterizedTest(name = "{0} <- {1}")
  @MethodSource("wrongTypes")
  void wrongJsonTypeNamesTheKey(String key, String json) {
    ConfigException e = assertThrows(ConfigException.class, () -> HeraldOptions.fromJson(new JsonObject(json)));
    assertEquals(key, e.key());
    assertTrue(e.getMessage().startsWith(key + ": "), e.getMessage());
  }

  @Test
  void unknownKeyRejected(@TempDir Path dir) throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> HeraldOptions.fromJson(new JsonObject().put("websocket_prot", 8081)));
    assertEquals("websocket_prot", e.key());
    assertEquals("websocket_prot: unknown configuration key", e.getMessage());
    // camelCase is not accepted either
    assertThrows(ConfigException.class, () -> HeraldOptions.fromJson(new JsonObject().put("websocketPort", 1)));
    Path file = write(dir, "{\"max_conections\": 5}");
    ConfigException e2 = assertThrows(ConfigException.class, () -> HeraldOptions.load(file, Map.of()));
    assertEquals("max_conections", e2.key());
  }

  @Test
  void underscoreAndSlashSlashKeysIgnored() {
    HeraldOptions o = HeraldOptions.fromJson(new JsonObject()
        .put("_comment", "documentation")
        .put("//websocket_port", "the port")
        .put("_websocket_port", 1)
        .put("//", 5)
        .put("websocket_port", 9001));
    assertEquals(9001, o.server().getWebsocketPort());
    o.validate();
  }

  @Test
  void fromJsonChecksEachValueButNotTheRulesBetweenKeys() {
    // an invalid value fails where it is set, naming its key
    assertEquals("max_connections", assertThrows(ConfigException.class,
        () -> HeraldOptions.fromJson(new JsonObject().put("max_connections", 0))).key());
    assertEquals("jwt_secret", assertThrows(ConfigException.class,
        () -> HeraldOptions.fromJson(new JsonObject().put("jwt_secret", "short"))).key());
    // a rule between two keys waits for validate(), which also generates the node id
    HeraldOptions o = HeraldOptions.fromJson(new JsonObject().put("heartbeat_interval_secs", 400));
    assertEquals(400, o.limits().getHeartbeatIntervalSecs());
    assertNull(o.server().getNodeId());
    assertEquals("connection_timeout_secs", assertThrows(ConfigException.class, o::validate).key());
    assertEquals(new HeraldOptions().toJson(), HeraldOptions.fromJson(null).toJson());
    assertEquals(new HeraldOptions().toJson(), HeraldOptions.fromJson(new JsonObject()).toJson());
  }

  @Test
  void unreadableOrMalformedFile(@TempDir Path dir) throws Exception {
    ConfigException missing = assertThrows(ConfigException.class,
        () -> HeraldOptions.load(dir.resolve("absent.json"), Map.of()));
    assertEquals("config_file", missing.key());
    ConfigException directory = assertThrows(ConfigException.class, () -> HeraldOptions.load(dir, Map.of()));
    assertEquals("config_file", directory.key());
    Path bad = write(dir, "{\"websocket_port\": 80,,}");
    assertEquals("config_file", assertThrows(ConfigException.class, () -> HeraldOptions.load(bad, Map.of())).key());
    Path array = write(dir, "[1, 2]");
    assertEquals("config_file", assertThrows(ConfigException.class, () -> HeraldOptions.load(array, Map.of())).key());
  }

  @Test
  void devModeIsNoConfigurationKey(@TempDir Path dir) throws Exception {
    // Only herald run --dev turns it on: neither a file nor the environment can.
    ConfigException e = assertThrows(ConfigException.class,
        () -> HeraldOptions.load(write(dir, "{\"dev_mode\": true}"), Map.of()));
    assertEquals("dev_mode", e.key());
    assertTrue(e.getMessage().contains("herald run --dev"), e.getMessage());
    assertFalse(HeraldOptions.load(null, Map.of("DEV_MODE", "true")).server().isDevMode());
    assertFalse(new HeraldOptions().server(server -> server.setDevMode(true)).toJson().containsKey("dev_mode"));
  }

  @Test
  void jetStreamNeedsNatsAndItsOptionsAreChecked() {
    HeraldOptions withoutNats = new HeraldOptions();
    withoutNats.ingress().setNatsJetstream(true);
    assertEquals("nats_jetstream: needs nats_url", assertThrows(ConfigException.class, withoutNats::validate).getMessage());
    IngressOptions ingress = new IngressOptions();
    assertEquals(List.of("notifications.websocket"), ingress.natsStreamSubjectsOrDefault());
    assertEquals(List.of("a.>", "b"), ingress.setNatsStreamSubjects(List.of("a.>", "b")).natsStreamSubjectsOrDefault());
    assertThrows(ConfigException.class, () -> ingress.setNatsStream("has.dot"));
    assertThrows(ConfigException.class, () -> ingress.setNatsDurable("x".repeat(65)));
    assertTrue(assertThrows(ConfigException.class, () -> ingress.setNatsStreamRetention("forever")).getMessage()
        .startsWith("nats_stream_retention: must be one of workqueue, limits, interest"));
    assertThrows(ConfigException.class, () -> ingress.setNatsAckWaitSecs(0));
    assertThrows(ConfigException.class, () -> ingress.setNatsMaxAckPending(1_000_001));
    assertThrows(ConfigException.class, () -> ingress.setNatsStreamMaxAgeSecs(0));
    assertThrows(ConfigException.class, () -> ingress.setNatsStreamSubjects(List.of("with space")));
  }

  @Test
  void devModeNeedsTheSecretsItHandsOut() {
    for (HeraldOptions o : List.of(new HeraldOptions().server(server -> server.setDevMode(true)),
        new HeraldOptions().server(server -> server.setDevMode(true)).auth(auth -> auth.setJwtSecret(SECRET_32)),
        new HeraldOptions().server(server -> server.setDevMode(true)).api(api -> api.setApiKey(API_KEY_16)))) {
      assertEquals("dev_mode", assertThrows(ConfigException.class, o::validate).key());
    }
    new HeraldOptions()
        .server(server -> server.setDevMode(true))
        .auth(auth -> auth.setJwtSecret(SECRET_32))
        .api(api -> api.setApiKey(API_KEY_16)).validate();
  }

  @Test
  void adminAndMetricsKeysComeFromTheirOwnVariablesOnly() {
    HeraldOptions o = HeraldOptions.load(null, Map.of("ADMIN_KEY", ADMIN_KEY_16, "METRICS_KEY", METRICS_KEY_16,
        "API_KEY", API_KEY_16));
    assertNull(o.api().getAdminKey());
    assertNull(o.api().getMetricsKey());
    assertEquals(API_KEY_16, o.api().getApiKey());
  }

  // ------------------------------------------------------------------------------------------ redaction

  @Test
  void redactedJsonHidesSecrets() {
    HeraldOptions o = new HeraldOptions()
        .auth(auth -> auth.setJwtSecret("jwt-secret-value-0123456789abcdefgh"))
        .api(api -> api.setApiKey("api-key-value-0123456789")
            .setAdminKey("admin-key-value-0123456789")
            .setMetricsKey("metrics-key-value-0123456789"))
        .state(state -> state.setRedisUrl("redis://:redispass42@cache.internal:6379/0"))
        .ingress(ingress -> ingress.setNatsUrl("nats://natsuser:natspass42@n1:4222,nats://natstoken42@n2:4222,tls://n3:4443"));
    JsonObject redacted = o.toRedactedJson();
    assertEquals("<redacted>", redacted.getString("jwt_secret"));
    assertEquals("<redacted>", redacted.getString("api_key"));
    assertEquals("<redacted>", redacted.getString("admin_key"));
    assertEquals("<redacted>", redacted.getString("metrics_key"));
    assertEquals("redis://:<redacted>@cache.internal:6379/0", redacted.getString("redis_url"));
    assertEquals("nats://natsuser:<redacted>@n1:4222,nats://<redacted>@n2:4222,tls://n3:4443",
        redacted.getString("nats_url"));
    // everything else untouched
    JsonObject real = o.toJson();
    for (String key : ALL_KEYS) {
      if (!List.of("jwt_secret", "api_key", "admin_key", "metrics_key", "redis_url", "nats_url").contains(key)) {
        assertEquals(real.getValue(key), redacted.getValue(key), key);
      }
    }
    // the real values are still available through toJson and the getters
    assertEquals("jwt-secret-value-0123456789abcdefgh", real.getString("jwt_secret"));
    assertEquals("redis://:redispass42@cache.internal:6379/0", o.state().getRedisUrl());

    String text = o.toString();
    for (String secret : List.of("jwt-secret-value", "api-key-value", "admin-key-value", "metrics-key-value", "redispass42",
        "natspass42", "natstoken42")) {
      assertFalse(text.contains(secret), secret + " leaked in " + text);
    }
    assertTrue(text.contains("cache.internal"), text);
    assertEquals(redacted, new JsonObject(text));
  }

  @Test
  void redactionKeepsUnsetSecretsNullAndPlainUrlsIntact() {
    HeraldOptions o = new HeraldOptions()
        .state(state -> state.setRedisUrl("redis://localhost:6379"))
        .ingress(ingress -> ingress.setNatsUrl("nats://localhost:4222"));
    JsonObject redacted = o.toRedactedJson();
    assertTrue(redacted.containsKey("jwt_secret"));
    assertNull(redacted.getValue("jwt_secret"));
    assertNull(redacted.getValue("api_key"));
    assertNull(redacted.getValue("admin_key"));
    assertNull(redacted.getValue("metrics_key"));
    assertEquals("redis://localhost:6379", redacted.getString("redis_url"));
    assertEquals("nats://localhost:4222", redacted.getString("nats_url"));
    assertEquals("redis://user:<redacted>@h:1",
        new HeraldOptions()
            .state(state -> state.setRedisUrl("redis://user:pw@h:1")).toRedactedJson().getString("redis_url"));
  }

  @Test
  void validationMessagesDoNotLeakSecrets() {
    ConfigException url = assertThrows(ConfigException.class,
        () -> new HeraldOptions().state(state -> state.setRedisUrl("http://:leakypass99@host:6379")).validate());
    assertEquals("redis_url", url.key());
    assertFalse(url.getMessage().contains("leakypass99"), url.getMessage());
    ConfigException secret = assertThrows(ConfigException.class,
        () -> new HeraldOptions().auth(auth -> auth.setJwtSecret("tooshortsecret")).validate());
    assertFalse(secret.getMessage().contains("tooshortsecret"), secret.getMessage());
    ConfigException apiKey = assertThrows(ConfigException.class,
        () -> new HeraldOptions().api(api -> api.setApiKey("shortapikey")).validate());
    assertFalse(apiKey.getMessage().contains("shortapikey"), apiKey.getMessage());
    ConfigException adminKey = assertThrows(ConfigException.class,
        () -> new HeraldOptions().api(api -> api.setAdminKey("shortadminkey")).validate());
    assertFalse(adminKey.getMessage().contains("shortadminkey"), adminKey.getMessage());
    ConfigException sameKey = assertThrows(ConfigException.class,
        () -> new HeraldOptions()
            .api(api -> api.setApiKey("one-key-for-both-roles").setAdminKey("one-key-for-both-roles")).validate());
    assertFalse(sameKey.getMessage().contains("one-key-for-both-roles"), sameKey.getMessage());
  }

  // ------------------------------------------------------------------------------------------ copy, immutability

  @Test
  void copyConstructorCopiesEveryKeyAndIsIndependent() {
    HeraldOptions original = allChanged();
    HeraldOptions copy = new HeraldOptions(original);
    assertEquals(original.toJson(), copy.toJson());

    copy.server(server -> server.setWebsocketPort(1234))
        .auth(auth -> auth.setJwtSecret(null))
        .access(access -> access.setAllowedOrigins(List.of("*")))
        .ingress(ingress -> ingress.setExplorers(Map.of()))
        .access(access -> access.setDefaultTopics(List.of()))
        .server(server -> server.setLogLevel("trace"));
    assertEquals(9001, original.server().getWebsocketPort());
    assertEquals(SECRET_32, original.auth().getJwtSecret());
    assertEquals(List.of("https://app.example.com"), original.access().getAllowedOrigins());
    assertEquals(Map.of("sol", "https://solscan.io/tx/{hash}"), original.ingress().getExplorers());
    assertEquals(List.of("news"), original.access().getDefaultTopics());
    assertEquals("WARN", original.server().getLogLevel());

    original.limits().setMaxConnections(77);
    assertEquals(500, copy.limits().getMaxConnections());
  }

  @Test
  void collectionsAreUnmodifiableAndCopiedOnSet() {
    List<String> origins = new ArrayList<>(List.of("https://a.example.com"));
    Map<String, String> explorers = new LinkedHashMap<>(Map.of("eth", "https://e/{hash}"));
    HeraldOptions o = new HeraldOptions()
        .access(access -> access.setAllowedOrigins(origins))
        .ingress(ingress -> ingress.setExplorers(explorers))
        .access(access -> access.setDefaultTopics(new ArrayList<>(List.of("a"))).setPublicTopics(new ArrayList<>(List.of("b"))));
    origins.add("https://b.example.com");
    explorers.put("x", "https://x/{hash}");
    assertEquals(List.of("https://a.example.com"), o.access().getAllowedOrigins());
    assertEquals(Map.of("eth", "https://e/{hash}"), o.ingress().getExplorers());

    assertThrows(UnsupportedOperationException.class, () -> o.access().getAllowedOrigins().add("*"));
    assertThrows(UnsupportedOperationException.class, () -> o.access().getDefaultTopics().add("c"));
    assertThrows(UnsupportedOperationException.class, () -> o.access().getPublicTopics().add("c"));
    assertThrows(UnsupportedOperationException.class, () -> o.ingress().getExplorers().put("y", "https://y/{hash}"));
    assertThrows(UnsupportedOperationException.class,
        () -> new HeraldOptions().ingress().getExplorers().put("y", "https://y/{hash}"));
    assertThrows(UnsupportedOperationException.class,
        () -> HeraldOptions.fromJson(new JsonObject().put("default_topics", new JsonArray().add("a")))
            .access().getDefaultTopics().add("b"));
  }

  // ------------------------------------------------------------------------------------------ conf/herald.json

  @Test
  void shippedConfigLoads() {
    HeraldOptions o = HeraldOptions.load(Path.of("conf/herald.json"), Map.of());
    assertEquals("redis://localhost:6379", o.state().getRedisUrl());
    assertEquals("nats://localhost:4222", o.ingress().getNatsUrl());
    assertTrue(o.state().redisEnabled());
    assertTrue(o.ingress().natsEnabled());
    assertTrue(o.server().getNodeId().matches("herald-[0-9a-f]{8}"), o.server().getNodeId());
    // every other key carries its built-in default
    JsonObject expected = new HeraldOptions().toJson()
        .put("node_id", o.server().getNodeId())
        .put("redis_url", "redis://localhost:6379")
        .put("nats_url", "nats://localhost:4222");
    assertEquals(expected, o.toJson());
    // the environment still overrides the shipped file
    assertEquals(7000, HeraldOptions.load(Path.of("conf/herald.json"), Map.of("WEBSOCKET_PORT", "7000"))
        .server().getWebsocketPort());
  }

  @Test
  void shippedConfigDocumentsEveryKey() throws Exception {
    JsonObject raw = new JsonObject(Files.readString(Path.of("conf/herald.json"), StandardCharsets.UTF_8));
    for (String key : new HeraldOptions().toJson().fieldNames()) {
      assertTrue(raw.containsKey(key), "missing key " + key);
      Object doc = raw.getValue("//" + key);
      assertTrue(doc instanceof String && !((String) doc).isBlank(), "missing doc entry //" + key);
      String envName = List.of("api_key", "admin_key", "metrics_key").contains(key)
          ? "HERALD_" + key.toUpperCase(java.util.Locale.ROOT) : key.toUpperCase(java.util.Locale.ROOT);
      assertTrue(((String) doc).contains(envName), "//" + key + " does not name env " + envName);
    }
    for (String secretOrGenerated : List.of("jwt_secret", "jwt_public_key", "jwt_issuer", "jwt_audience",
        "api_key", "admin_key", "metrics_key", "node_id")) {
      assertNull(raw.getValue(secretOrGenerated), secretOrGenerated);
    }
    assertTrue(ALL_KEYS.containsAll(new HeraldOptions().toJson().fieldNames()));
  }
}
