package io.herald.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sections on their own: setters that refuse where the value is set, redacting toString, cross-key rules. */
class ConfigSectionsTest {

  private static final String SECRET_32 = "jwt-secret-value-0123456789abcdef";

  static Stream<Arguments> refusedBySetter() {
    return Stream.of(
        Arguments.of("node_id", "node_id: must be 1..64 characters of [A-Za-z0-9_.-] (got 'n/1')",
            (Runnable) () -> new ServerOptions().setNodeId("n/1")),
        Arguments.of("websocket_port", "websocket_port: must be between 0 and 65535 (got 65536)",
            (Runnable) () -> new ServerOptions().setWebsocketPort(65536)),
        Arguments.of("log_level", "log_level: must be one of TRACE, DEBUG, INFO, WARN, ERROR (got 'VERBOSE')",
            (Runnable) () -> new ServerOptions().setLogLevel("verbose")),
        Arguments.of("max_connections", "max_connections: must be >= 1 (got 0)",
            (Runnable) () -> new LimitsOptions().setMaxConnections(0)),
        Arguments.of("write_queue_max_bytes", "write_queue_max_bytes: must be >= 1024 (got 1023)",
            (Runnable) () -> new LimitsOptions().setWriteQueueMaxBytes(1023)),
        Arguments.of("jwt_secret", "jwt_secret: must be at least 32 bytes for HS256 (got 5 bytes)",
            (Runnable) () -> new AuthOptions().setJwtSecret("short")),
        Arguments.of("auth_recheck_secs", "auth_recheck_secs: must be >= 0 (got -1)",
            (Runnable) () -> new AuthOptions().setAuthRecheckSecs(-1)),
        Arguments.of("public_topics", "public_topics: each topic must match [A-Za-z0-9_.:@-]{1,128} (got 'a/b')",
            (Runnable) () -> new AccessOptions().setPublicTopics(List.of("a/b"))),
        Arguments.of("trusted_proxies", "trusted_proxies: each entry must be an IP address or a CIDR range such as"
            + " 10.0.0.0/8 (got 'proxy')", (Runnable) () -> new AccessOptions().setTrustedProxies(List.of("proxy"))),
        Arguments.of("api_key", "api_key: must be at least 16 characters (got 5)",
            (Runnable) () -> new ApiOptions().setApiKey("short")),
        Arguments.of("redis_channel_prefix", "redis_channel_prefix: must not contain '*' (got 'n*')",
            (Runnable) () -> new IngressOptions().setRedisChannelPrefix("n*")),
        Arguments.of("nats_url", "nats_url: must be a comma-separated list of nats:// or tls:// URLs"
            + " (got 'http://u:<redacted>@h:4222')", (Runnable) () -> new IngressOptions().setNatsUrl("http://u:pw@h:4222")),
        Arguments.of("redis_url", "redis_url: must start with redis:// or rediss:// (got 'http://:<redacted>@h')",
            (Runnable) () -> new StateOptions().setRedisUrl("http://:pw@h")),
        Arguments.of("inbox_size", "inbox_size: must be between 1 and 10000 (got 10001)",
            (Runnable) () -> new StateOptions().setInboxSize(10001)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedBySetter")
  void aSetterRefusesAnInvalidValueNamingTheKey(String key, String message, Runnable set) {
    ConfigException e = assertThrows(ConfigException.class, set::run);
    assertEquals(key, e.key());
    assertEquals(message, e.getMessage());
  }

  @Test
  void aRefusedValueLeavesTheSectionAsItWas() {
    LimitsOptions limits = new LimitsOptions().setRateLimitPerSec(7);
    assertThrows(ConfigException.class, () -> limits.setRateLimitPerSec(0));
    assertEquals(7, limits.getRateLimitPerSec());
    IngressOptions ingress = new IngressOptions();
    assertThrows(ConfigException.class, () -> ingress.setExplorers(Map.of("eth", "ftp://x/{hash}")));
    assertEquals(IngressOptions.DEFAULT_EXPLORERS, ingress.getExplorers());
  }

  @Test
  void sectionToStringHidesItsSecrets() {
    String auth = new AuthOptions().setJwtSecret(SECRET_32).setJwtIssuer("issuer").toString();
    assertFalse(auth.contains(SECRET_32), auth);
    assertEquals("<redacted>", new JsonObject(auth).getString("jwt_secret"));
    assertEquals("issuer", new JsonObject(auth).getString("jwt_issuer"));

    String api = new ApiOptions().setApiKey("api-key-value-0123").setAdminKey("admin-key-value-0123")
        .setMetricsKey("metrics-key-value-0123").toString();
    for (String secret : List.of("api-key-value", "admin-key-value", "metrics-key-value")) {
      assertFalse(api.contains(secret), api);
    }
    assertEquals(new JsonObject().put("api_key", "<redacted>").put("admin_key", "<redacted>")
        .put("metrics_key", "<redacted>").put("api_rate_per_sec", 100).put("api_rate_burst", 200), new JsonObject(api));

    String state = new StateOptions().setRedisUrl("redis://:redispass42@cache:6379").toString();
    assertFalse(state.contains("redispass42"), state);
    assertEquals("redis://:<redacted>@cache:6379", new JsonObject(state).getString("redis_url"));

    String ingress = new IngressOptions().setNatsUrl("nats://u:natspass42@n1:4222").toString();
    assertFalse(ingress.contains("natspass42"), ingress);
    assertEquals("nats://u:<redacted>@n1:4222", new JsonObject(ingress).getString("nats_url"));
  }

  @Test
  void sectionToStringShowsItsOwnKeysInCanonicalOrder() {
    HeraldOptions options = new HeraldOptions();
    List<String> all = new ArrayList<>(options.toJson().fieldNames());
    List<String> seen = new ArrayList<>();
    for (Object section : List.of(options.server(), options.limits(), options.auth(), options.access(), options.api(),
        options.ingress(), options.state(), options.cluster())) {
      List<String> keys = new ArrayList<>(new JsonObject(section.toString()).fieldNames());
      assertFalse(keys.isEmpty(), section.getClass().getSimpleName());
      List<String> inCanonicalOrder = new ArrayList<>(all);
      inCanonicalOrder.retainAll(keys);
      assertEquals(inCanonicalOrder, keys, section.getClass().getSimpleName());
      seen.addAll(keys);
    }
    // every key belongs to exactly one section
    assertEquals(all.size(), seen.size());
    assertTrue(seen.containsAll(all));
    assertEquals(List.of("cluster", "cluster_min_members"),
        new ArrayList<>(new JsonObject(options.cluster().toString()).fieldNames()));
  }

  @Test
  void rulesBetweenKeysOfASectionWaitForValidate() {
    // either key may be set first: the rule is checked once both are
    LimitsOptions limits = new LimitsOptions().setHeartbeatIntervalSecs(400).setConnectionTimeoutSecs(500);
    assertSame(limits, limits.validate());
    ConfigException timeout = assertThrows(ConfigException.class,
        () -> new LimitsOptions().setHeartbeatIntervalSecs(300).validate());
    assertEquals("connection_timeout_secs: must be > heartbeat_interval_secs (got 300 <= 300)", timeout.getMessage());
    ConfigException perAddress = assertThrows(ConfigException.class,
        () -> new LimitsOptions().setMaxUnauthenticatedConnections(10).setMaxUnauthenticatedPerAddress(11).validate());
    assertEquals("max_unauthenticated_per_address", perAddress.key());

    String key = "one-key-for-both-roles";
    ConfigException shared = assertThrows(ConfigException.class,
        () -> new ApiOptions().setApiKey(key).setAdminKey(key).validate());
    assertEquals("admin_key", shared.key());
    assertFalse(shared.getMessage().contains(key), shared.getMessage());
    assertEquals("metrics_key", assertThrows(ConfigException.class,
        () -> new ApiOptions().setAdminKey(key).setMetricsKey(key).validate()).key());
  }

  @Test
  void sessionTtlAgainstHeartbeatIsCheckedAcrossSections() {
    HeraldOptions options = new HeraldOptions().limits(limits -> limits.setHeartbeatIntervalSecs(90)
        .setConnectionTimeoutSecs(300));
    ConfigException e = assertThrows(ConfigException.class, options::validate);
    assertEquals("session_ttl_secs: must be > heartbeat_interval_secs (got 90 <= 90)", e.getMessage());
  }

  @Test
  void theChangeAccessorsChangeTheSectionInPlace() {
    HeraldOptions options = new HeraldOptions();
    LimitsOptions limits = options.limits();
    assertSame(options, options.limits(l -> l.setMaxConnections(3)));
    assertSame(limits, options.limits());
    assertEquals(3, limits.getMaxConnections());
    assertEquals(3, options.toJson().getInteger("max_connections"));
  }

  @Test
  void copiesOfSectionsAreIndependent() {
    AccessOptions access = new AccessOptions().setPublicTopics(List.of("status"));
    AccessOptions copy = new AccessOptions(access).setPublicTopics(List.of("other"));
    assertEquals(List.of("status"), access.getPublicTopics());
    assertEquals(List.of("other"), copy.getPublicTopics());
    HeraldOptions options = new HeraldOptions().state(state -> state.setHistorySize(5));
    HeraldOptions optionsCopy = new HeraldOptions(options);
    optionsCopy.state().setHistorySize(6);
    assertEquals(5, options.state().getHistorySize());
  }
}
