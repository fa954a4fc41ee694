package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JetStream ingress ({@code nats_jetstream}) on real nodes, the shared NATS server (each test its own stream,
 * subject and durable consumer, deleted afterwards) and Redis state: the stream created file-backed when missing,
 * acks only after the notification was recorded and published, a message taken by a node that died delivered again,
 * publisher retries and redeliveries shown once, a failed record delivered later rather than live without position.
 */
@Timeout(120)
class JetStreamIngressIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(500);

  private static Connection nats;
  private static JetStreamManagement management;
  private final List<String> streams = new ArrayList<>();
  private final List<TestNode> nodes = new ArrayList<>();

  @BeforeAll
  static void connect() throws Exception {
    nats = Nats.connect(TestNode.NATS_URL);
    management = nats.jetStreamManagement();
  }

  @AfterAll
  static void disconnect() throws Exception {
    if (nats != null) {
      nats.close();
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    nodes.forEach(TestNode::close);
    for (String stream : streams) {
      try {
        management.deleteStream(stream);
      } catch (JetStreamApiException gone) {
        // never created
      }
    }
  }

  private static String unique(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** JetStream options of a node: a stream, durable and subject of this test, acks awaited {@code ackWaitSecs}. */
  private HeraldOptions jetStreamOptions(int ackWaitSecs) {
    String stream = "HERALD_TEST_" + UUID.randomUUID().toString().substring(0, 8);
    streams.add(stream);
    return TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL)
            .setNatsJetstream(true)
            .setNatsStream(stream)
            .setNatsDurable("durable-" + UUID.randomUUID().toString().substring(0, 8))
            .setNatsAckWaitSecs(ackWaitSecs));
  }

  private TestNode started(HeraldOptions options) {
    TestNode node = TestNode.start(options);
    nodes.add(node);
    return node;
  }

  private static void publish(String subject, JsonObject payload, String msgId) throws Exception {
    Headers headers = new Headers();
    if (msgId != null) {
      headers.put("Nats-Msg-Id", msgId);
    }
    nats.publish(NatsMessage.builder().subject(subject).headers(headers)
        .data(payload.encode().getBytes(StandardCharsets.UTF_8)).build());
    nats.flush(WAIT);
  }

  private static JsonObject note(String user, String id, String message) {
    JsonObject note = new JsonObject().put("user_id", user).put("message", message);
    return id == null ? note : note.put("id", id);
  }

  private static long pendingAcks(HeraldOptions options) throws Exception {
    return management.getConsumerInfo(options.ingress().getNatsStream(), options.ingress().getNatsDurable())
        .getNumAckPending();
  }

  @Test
  void aMissingStreamIsCreatedFileBackedAndAMessageIsAckedOnceDelivered() throws Exception {
    HeraldOptions options = jetStreamOptions(30);
    TestNode node = started(options);
    StreamInfo stream = management.getStreamInfo(options.ingress().getNatsStream());
    assertEquals(StorageType.File, stream.getConfiguration().getStorageType());
    assertEquals(RetentionPolicy.WorkQueue, stream.getConfiguration().getRetentionPolicy());
    assertEquals(List.of(options.ingress().getNatsSubject()), stream.getConfiguration().getSubjects());
    assertEquals(Duration.ofSeconds(86_400), stream.getConfiguration().getMaxAge());
    JsonObject health = new JsonObject(node.get("/health").body());
    assertEquals("jetstream", health.getJsonObject("dependencies").getJsonObject("nats").getString("mode"), health.encode());

    String user = unique("u");
    try (WsClient client = node.connect(user)) {
      publish(options.ingress().getNatsSubject(), note(user, unique("n"), "hello"), null);
      JsonObject frame = client.awaitType("Notification", WAIT);
      assertEquals("hello", frame.getString("message"));
      assertEquals(1L, frame.getLong("offset"), "recorded before it was published: " + frame);
    }
    Await.until(() -> {
      try {
        return pendingAcks(options) == 0
            && management.getStreamInfo(options.ingress().getNatsStream()).getStreamState().getMsgCount() == 0;
      } catch (Exception e) {
        return false;
      }
    }, WAIT, "the message acked, and gone from the work-queue stream");
  }

  @Test
  void publisherRetriesOfOneIdReachAClientOnceAndItsReplayOnce() throws Exception {
    HeraldOptions options = jetStreamOptions(30);
    TestNode node = started(options);
    String user = unique("u");
    String id = unique("n");
    String subject = options.ingress().getNatsSubject();
    try (WsClient client = node.connect(user)) {
      for (int attempt = 0; attempt < 3; attempt++) {
        // No Nats-Msg-Id: JetStream keeps all three, the notification's id makes them one.
        publish(subject, note(user, id, "retried"), null);
      }
      publish(subject, note(user, unique("n"), "next"), null);
      JsonObject first = client.awaitType("Notification", WAIT);
      JsonObject second = client.awaitType("Notification", WAIT);
      assertEquals(List.of("retried", "next"), List.of(first.getString("message"), second.getString("message")));
      assertEquals(List.of(1L, 2L), List.of(first.getLong("offset"), second.getLong("offset")));
      client.assertNoFrame(QUIET);
    }
    try (WsClient later = node.open()) {
      later.send(new JsonObject().put("type", "Authenticate").put("token", node.token(user)).put("epoch", "any")
          .put("last_offset", 0));
      later.awaitType("Authenticated", WAIT);
      assertEquals("retried", later.awaitType("Notification", WAIT).getString("message"));
      assertEquals("next", later.awaitType("Notification", WAIT).getString("message"));
      later.assertNoFrame(QUIET);
    }
  }

  @Test
  void aMessageTakenByANodeThatDiedIsDeliveredAgainOnceWithTheSameId() throws Exception {
    HeraldOptions options = jetStreamOptions(2);
    String stream = options.ingress().getNatsStream();
    String durable = options.ingress().getNatsDurable();
    String subject = options.ingress().getNatsSubject();
    // The stream and consumer as a node of the fleet made them, and a node that takes a message then dies: a pull
    // on the same durable consumer that never acks.
    management.addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File)
        .retentionPolicy(RetentionPolicy.WorkQueue).build());
    management.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable(durable).filterSubject(subject)
        .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(2)).deliverPolicy(DeliverPolicy.All).build());
    String user = unique("u");
    publish(subject, note(user, null, "taken by a node that died"), "msg-" + UUID.randomUUID());
    publish(subject, note(user, null, "without any id"), null);
    JetStreamSubscription dying = nats.jetStream().subscribe(subject, PullSubscribeOptions.bind(stream, durable));
    List<Message> taken = dying.fetch(2, Duration.ofSeconds(5));
    assertEquals(2, taken.size(), "the dying node took both");
    String msgId = taken.get(0).getHeaders().getFirst("Nats-Msg-Id");
    dying.unsubscribe();

    TestNode node = started(options);
    try (WsClient client = node.connect(user)) {
      List<JsonObject> frames = List.of(client.awaitType("Notification", WAIT), client.awaitType("Notification", WAIT));
      assertEquals(List.of("taken by a node that died", "without any id"),
          frames.stream().map(f -> f.getString("message")).toList(), "delivered again after the ack wait");
      assertEquals(msgId, frames.get(0).getString("id"), "a message without id is known by its Nats-Msg-Id");
      String fallback = frames.get(1).getString("id");
      assertTrue(fallback.startsWith("js-") && fallback.endsWith("-" + taken.get(1).metaData().streamSequence()),
          "else by the stream and its sequence: " + fallback);
      client.assertNoFrame(Duration.ofSeconds(3));
    }
    Await.until(() -> {
      try {
        return pendingAcks(options) == 0;
      } catch (Exception e) {
        return false;
      }
    }, WAIT, "both acked");
  }

  @Test
  void aMessageWhoseRecordFailsIsNotDeliveredLiveButAgainOnceTheStoreIsBack() throws Exception {
    int port = PrivateRedis.freePort();
    Process redis = PrivateRedis.start(port);
    try {
      HeraldOptions options = jetStreamOptions(30).state(state -> state.setRedisUrl("redis://127.0.0.1:" + port));
      TestNode node = started(options);
      String user = unique("u");
      try (WsClient client = node.connect(user)) {
        PrivateRedis.kill(redis);
        publish(options.ingress().getNatsSubject(), note(user, unique("n"), "while the store is down"), null);
        client.assertNoFrame(Duration.ofSeconds(2));
        assertEquals(1, pendingAcks(options), "neither acked nor lost");
        redis = PrivateRedis.start(port);
        JsonObject frame = client.awaitType("Notification", Duration.ofSeconds(20));
        assertEquals("while the store is down", frame.getString("message"));
        assertNotNull(frame.getString("epoch"), "recorded, with its position: " + frame);
        client.assertNoFrame(QUIET);
      }
      Await.until(() -> {
        try {
          return pendingAcks(options) == 0;
        } catch (Exception e) {
          return false;
        }
      }, WAIT, "acked once recorded");
    } finally {
      PrivateRedis.kill(redis);
    }
  }

  @Test
  void withoutJetStreamOnTheServerTheNodeRefusesToStartNamingTheKey() throws Exception {
    int port = PrivateRedis.freePort();
    Process coreOnly = new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      Await.until(() -> {
        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
          return true;
        } catch (java.io.IOException notYet) {
          return false;
        }
      }, WAIT, "a NATS server without JetStream listening");
      HeraldOptions options = jetStreamOptions(30);
      options.ingress().setNatsUrl("nats://127.0.0.1:" + port);
      AssertionError refused = assertThrows(AssertionError.class, () -> started(options));
      assertTrue(refused.getMessage().contains("nats_jetstream: cannot consume from JetStream stream "
          + options.ingress().getNatsStream()), refused.getMessage());
    } finally {
      coreOnly.destroyForcibly().waitFor();
    }
  }
}
