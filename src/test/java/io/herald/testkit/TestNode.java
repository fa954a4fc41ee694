package io.herald.testkit;

import io.herald.auth.JwtIssuer;
import io.herald.config.HeraldOptions;
import io.herald.node.HeraldNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real Herald node in its own Vert.x instance, on an ephemeral port, for component tests. Redis and NATS are
 * off unless the options given turn them on; {@link #options()} gives every test its own NATS subject and
 * Redis channel prefix so that tests never see each other's traffic on the shared servers.
 */
public final class TestNode implements AutoCloseable {

  public static final String JWT_SECRET = "test-secret-0123456789-test-secret-0123456789";
  public static final String API_KEY = "test-api-key-0123456789abcdef";
  public static final String REDIS_URL = "redis://127.0.0.1:6379";
  public static final String NATS_URL = "nats://127.0.0.1:4222";
  /** A rate (per second, and its burst) no test reaches. */
  public static final int UNLIMITED_RATE = 1_000_000;

  private final Vertx vertx;
  private final HeraldNode node;
  private final HttpClient http;
  private final JwtIssuer issuer;

  private TestNode(Vertx vertx, HeraldNode node) {
    this.vertx = vertx;
    this.node = node;
    this.http = vertx.createHttpClient();
    this.issuer = new JwtIssuer(vertx, JWT_SECRET);
  }

  /** Options for a test node: ephemeral port, 2 socket instances, test secrets, unique subject and prefix. */
  public static HeraldOptions options() {
    String unique = UUID.randomUUID().toString().substring(0, 8);
    return new HeraldOptions()
        .server(server -> server.setWebsocketHost("127.0.0.1")
            .setWebsocketPort(0)
            .setInstances(2))
        .auth(auth -> auth.setJwtSecret(JWT_SECRET))
        .api(api -> api.setApiKey(API_KEY))
        .ingress(ingress -> ingress.setNatsSubject("test.notifications." + unique)
            .setNatsQueueGroup("herald-test-" + unique)
            .setRedisChannelPrefix("test-" + unique))
        .state(state -> state.setRedisKeyPrefix("test-" + unique + ":websocket"))
        // Tests of other features expect Authenticated to be followed by their own frames; the state tests
        // turn InitialState back on.
        .state(state -> state.setInitialState(false))
        // Tests connect and publish from one address far faster than any client; the tests of these limits set their
        // own.
        .limits(limits -> limits.setUpgradeRatePerSec(UNLIMITED_RATE).setUpgradeRateBurst(UNLIMITED_RATE))
        .api(api -> api.setApiRatePerSec(UNLIMITED_RATE).setApiRateBurst(UNLIMITED_RATE));
  }

  public static TestNode start() {
    return start(options());
  }

  public static TestNode start(HeraldOptions options) {
    return start(options, Vertx.vertx());
  }

  /** Deploys a node in the given Vert.x instance (e.g. a clustered one); the node owns and closes it. */
  public static TestNode start(HeraldOptions options, Vertx vertx) {
    try {
      HeraldNode node = HeraldNode.deploy(vertx, options).await(30, TimeUnit.SECONDS);
      return new TestNode(vertx, node);
    } catch (Exception e) {
      vertx.close();
      throw new AssertionError("node did not start: " + e.getMessage(), e);
    }
  }

  public Vertx vertx() {
    return vertx;
  }

  public int port() {
    return node.port();
  }

  public HeraldNode node() {
    return node;
  }

  public HeraldOptions nodeOptions() {
    return node.options();
  }

  /** A valid token for the user, 1 hour, default tenant, no topic grants. */
  public String token(String user) {
    return issuer.issue(user, Duration.ofHours(1), null, List.of());
  }

  public String token(String user, Duration ttl, String tenant, List<String> topics) {
    return issuer.issue(user, ttl, tenant, topics);
  }

  /** Connects to /ws without authenticating. */
  public WsClient open() {
    return WsClient.connect(vertx, port(), "/ws");
  }

  /** Connects, authenticates with a fresh token for the user, and waits for Authenticated. */
  public WsClient connect(String user) {
    return connectWithToken(token(user), "Dashboard");
  }

  public WsClient connectWithToken(String token, String device) {
    WsClient client = open();
    client.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", device));
    JsonObject reply = client.next();
    if (!"Authenticated".equals(reply.getString("type"))) {
      client.close();
      throw new AssertionError("expected Authenticated, got " + reply.encode());
    }
    return client;
  }

  /** Subscribes and waits for the Subscribed acknowledgement. */
  public static JsonObject subscribe(WsClient client, JsonObject subscribe) {
    client.send(subscribe.copy().put("type", "Subscribe"));
    return client.awaitType("Subscribed", WsClient.DEFAULT_TIMEOUT);
  }

  /** The status code, body and headers of an HTTP request to this node. */
  public record HttpResult(int status, String body, MultiMap headers) {
    public HttpResult(int status, String body) {
      this(status, body, MultiMap.caseInsensitiveMultiMap());
    }

    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  public HttpResult post(String path, String body, String apiKey) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port())
        .setURI(path).putHeader("Content-Type", "application/json");
    if (apiKey != null) {
      request.putHeader("Authorization", "Bearer " + apiKey);
    }
    // body() is attached in the same callback that receives the response, before any of it can be missed.
    return Await.result(http.request(request)
        .compose(r -> r.send(Buffer.buffer(body))
            .compose(resp -> resp.body().map(b -> new HttpResult(resp.statusCode(), b.toString())))),
        Duration.ofSeconds(10), "POST " + path);
  }

  /** POSTs a notification (object or array) to the HTTP ingress with the test API key; asserts 202. */
  public JsonObject publish(Object notificationOrArray) {
    HttpResult result = post("/api/v1/notifications", io.vertx.core.json.Json.encode(notificationOrArray), API_KEY);
    if (result.status() != 202) {
      throw new AssertionError("publish failed: " + result.status() + " " + result.body());
    }
    return result.json();
  }

  public HttpResult get(String path) {
    return Await.result(http.request(HttpMethod.GET, port(), "127.0.0.1", path)
        .compose(r -> r.send()
            .compose(resp -> resp.body().map(b -> new HttpResult(resp.statusCode(), b.toString(), resp.headers())))),
        Duration.ofSeconds(10), "GET " + path);
  }

  @Override
  public void close() {
    try {
      node.stop().await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("node did not stop", e);
    } finally {
      try {
        vertx.close().await(20, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // the node's own stop failure is the one worth reporting
      }
    }
  }
}
