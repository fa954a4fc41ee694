package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.herald.config.HeraldOptions;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.model.NotificationCodec;
import io.herald.testkit.ClusterFleet;
import io.herald.testkit.TestCertificates;
import io.herald.testkit.TestCertificates.Authority;
import io.herald.testkit.TestCertificates.Leaf;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.BadAttributeValueExpException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's transport, on real Hazelcast over loopback: a two-node fleet (A with PEM files, B with a PKCS#12 key
 * store) whose event bus uses TLS with client certificates from a throwaway CA, and one plaintext clustered node P
 * in a cluster of its own.
 *
 * <p>The forged-frame tests write, on a raw socket, the frame another node would send to publish a notification at
 * a user's address (the wire format of Vert.x 5.0's {@code ClusteredMessage}). The same frame is delivered when
 * sent in plaintext to P or over TLS with a certificate of the fleet's CA: it is well formed, so its failing to
 * arrive through B without such a certificate is TLS's doing. The deserialization test reads through Hazelcast a
 * Java-serialized object of a class outside {@code conf/cluster.xml}'s filter. One test adds a member R to the
 * fleet's Hazelcast cluster (nothing stops it in open source) whose event-bus certificate comes from another CA.
 */
class ClusterTransportSecurityIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  /** How long a frame that got through would take at most to reach the client (it takes milliseconds). */
  private static final Duration QUIET = Duration.ofMillis(500);

  @TempDir
  static Path dir;
  private static Authority ca;
  private static Path caFile;
  private static HeraldOptions options;
  private static List<TestNode> fleet = new ArrayList<>();
  private static List<TestNode> plain = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.authority("herald-fleet-test-ca");
    caFile = ca.writeCertificate(dir.resolve("ca.pem"));
    Leaf a = ca.issue("herald-node-a");
    Leaf b = ca.issue("herald-node-b");
    List<EventBusTls> tls = List.of(
        EventBusTls.pem(a.writeCertificate(dir.resolve("a.pem")), a.writeKey(dir.resolve("a.key")), caFile),
        EventBusTls.keyStore(b.writePkcs12(dir.resolve("b.p12"), "b-store-password"), "b-store-password", caFile));
    options = TestNode.options();
    fleet = new ArrayList<>(ClusterFleet.start(options, tls::get, "A", "B"));
    plain = new ArrayList<>(ClusterFleet.start(options, "P"));
  }

  @AfterAll
  static void stop() {
    try {
      ClusterFleet.closeOneByOne(fleet);
    } finally {
      ClusterFleet.closeOneByOne(plain);
    }
  }

  @Test
  void aNotificationPublishedOnOneNodeReachesAConnectionOnTheOtherOverTls() {
    String user = unique("tls");
    try (WsClient onB = fleet.get(1).connect(user)) {
      // The first publishes may leave A before B's registration reached it: publish until one arrives.
      JsonObject frame = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (frame == null && System.nanoTime() < deadline) {
        fleet.get(0).publish(new JsonObject().put("user_id", user).put("id", unique("via-a")).put("message", "over tls"));
        frame = onB.poll(Duration.ofMillis(200));
      }
      assertNotNull(frame, "no notification published on A reached the connection on B within " + WAIT);
      assertEquals("Notification", frame.getString("type"), frame::encode);
      assertEquals("over tls", frame.getString("message"), frame::encode);
    }
  }

  @Test
  void theForgedFrameIsDeliveredInPlaintextAndOverTlsWithAFleetCertificate() throws Exception {
    TestNode p = plain.get(0);
    String user = unique("control");
    try (WsClient onP = p.connect(user)) {
      try (Socket socket = open(p, null)) {
        socket.getOutputStream().write(forgedFrame(user, "plaintext-control"));
        socket.getOutputStream().flush();
        assertForgedArrives(onP, "plaintext-control");
      }
    }
    TestNode b = fleet.get(1);
    Leaf holder = ca.issue("holder-of-a-fleet-certificate");
    try (WsClient onB = b.connect(user);
         Socket socket = open(b, tlsContext(holder, ca.certificate()))) {
      socket.getOutputStream().write(forgedFrame(user, "fleet-certificate-control"));
      socket.getOutputStream().flush();
      assertForgedArrives(onB, "fleet-certificate-control");
    }
  }

  @Test
  void aPeerWithoutAFleetCertificateIsDisconnectedAndDeliversNothing() throws Exception {
    TestNode b = fleet.get(1);
    String user = unique("victim");
    Authority rogueCa = TestCertificates.authority("rogue-ca");
    Leaf rogue = rogueCa.issue("herald-node-b");
    try (WsClient onB = b.connect(user)) {
      // The same peer, three ways: no TLS at all, TLS with no client certificate, TLS with a certificate from
      // another CA (its name copied from a real node's). Each trusts the fleet's CA, so the server is not at fault.
      try (Socket socket = open(b, null)) {
        assertRefused(socket, forgedFrame(user, "forged-plaintext"), "plaintext");
      }
      try (Socket socket = open(b, tlsContext(null, ca.certificate()))) {
        assertRefused(socket, forgedFrame(user, "forged-no-certificate"), "TLS without a client certificate");
      }
      try (Socket socket = open(b, tlsContext(rogue, ca.certificate()))) {
        assertRefused(socket, forgedFrame(user, "forged-other-ca"), "TLS with a certificate of another CA");
      }
      onB.assertNoFrame(QUIET);
    }
  }

  @Test
  void aNodeSendsNothingToAMemberWhoseEventBusCertificateIsNotFromTheFleetCa() throws Exception {
    // R trusts the fleet's CA, so it would accept A's connection: only its own certificate is from another CA.
    Leaf rogue = TestCertificates.authority("rogue-ca").issue("herald-node-r");
    EventBusTls rogueTls = EventBusTls.pem(rogue.writeCertificate(dir.resolve("r.pem")),
        rogue.writeKey(dir.resolve("r.key")), caFile);
    HazelcastInstance hzA = hazelcast(fleet.get(0));
    int portOfR = ClusterFleet.freePortRange(1);
    String members = "127.0.0.1:" + hzA.getCluster().getLocalMember().getAddress().getPort() + ",127.0.0.1:" + portOfR;
    Vertx vertxOfR = new ClusterSettings(hzA.getConfig().getClusterName(), members, "127.0.0.1", portOfR, null, 0,
        rogueTls).startVertx(new VertxOptions()).await(60, TimeUnit.SECONDS);
    TestNode r = TestNode.start(new HeraldOptions(options).server(server -> server.setNodeId("R")), vertxOfR);
    try {
      String user = unique("target");
      // R registers for the user first, B second: once A routes to B, its view of the address includes R.
      try (WsClient onR = r.connect(user);
           WsClient onB = fleet.get(1).connect(user)) {
        JsonObject probe = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (probe == null && System.nanoTime() < deadline) {
          fleet.get(0).publish(new JsonObject().put("user_id", user).put("id", unique("probe")).put("message", "probe"));
          probe = onB.poll(Duration.ofMillis(200));
        }
        assertNotNull(probe, "no notification published on A reached B within " + WAIT);
        for (int i = 0; i < 5; i++) {
          String id = "after-probe-" + i;
          fleet.get(0).publish(new JsonObject().put("user_id", user).put("id", id).put("message", "for B only"));
          JsonObject frame = onB.next(WAIT);
          while ("probe".equals(frame.getString("message"))) {
            frame = onB.next(WAIT);
          }
          assertEquals(id, frame.getString("id"), frame::encode);
        }
        onR.assertNoFrame(QUIET);
      }
    } finally {
      r.close();
    }
  }

  @Test
  void theDeserializationFilterRefusesAClassOutsideTheWhitelist() {
    HazelcastInstance hzA = hazelcast(fleet.get(0));
    HazelcastInstance hzB = hazelcast(fleet.get(1));
    IMap<String, Object> onA = hzA.getMap("herald-test-filter-" + UUID.randomUUID());
    IMap<String, Object> onB = hzB.getMap(onA.getName());
    // Writing serializes on A; reading deserializes on B, where the filter applies.
    onA.put("allowed", new AtomicLong(42));
    onA.put("gadget", new Gadget("payload"));
    onA.put("blacklisted", new BadAttributeValueExpException("payload"));
    assertEquals(42, ((AtomicLong) onB.get("allowed")).get(), "a JDK class stays readable");
    assertRefusedClass(() -> onB.get("gadget"), Gadget.class.getName());
    assertRefusedClass(() -> onB.get("blacklisted"), BadAttributeValueExpException.class.getName());
    onA.destroy();
  }

  /** A Serializable class of the application's packages: not on the filter's whitelist. */
  record Gadget(String value) implements Serializable {
  }

  // ---------------------------------------------------------------- helpers

  private static void assertRefusedClass(Runnable read, String className) {
    try {
      read.run();
      fail("reading a " + className + " through Hazelcast was allowed");
    } catch (HazelcastSerializationException e) {
      Throwable cause = e;
      while (cause != null && !(cause instanceof SecurityException)) {
        cause = cause.getCause();
      }
      assertNotNull(cause, "not refused by the filter: " + e);
      assertTrue(cause.getMessage().contains(className), cause.getMessage());
    }
  }

  private static void assertForgedArrives(WsClient client, String id) {
    JsonObject frame = client.next(WAIT);
    assertEquals("Notification", frame.getString("type"), frame::encode);
    assertEquals(id, frame.getString("id"), frame::encode);
  }

  /**
   * Writes the frame and reads: the node must close the connection (end of stream or a TLS alert) within
   * {@link #WAIT}, without ever answering.
   */
  private static void assertRefused(Socket socket, byte[] frame, String how) throws IOException {
    try {
      socket.getOutputStream().write(frame);
      socket.getOutputStream().flush();
      int read = socket.getInputStream().read();
      assertEquals(-1, read, how + ": the node answered instead of closing the connection");
    } catch (java.net.SocketTimeoutException e) {
      fail(how + ": the node kept the connection open for " + WAIT);
    } catch (IOException closedOrAlert) {
      // A TLS alert (handshake refused) or a reset: the connection is gone, as it should be.
    }
  }

  /**
   * The frame a node writes to another to publish a notification at a user's address: Vert.x 5.0's
   * {@code ClusteredMessage.encodeToWire} — length, protocol version 2, user codec (-1, then its name), publish
   * (1), address, no reply address, sender, no headers (4), then the codec's body.
   */
  private static byte[] forgedFrame(String user, String id) {
    Notification notification = Notification.builder().id(id)
        .target(new Target.Users(Ids.DEFAULT_TENANT, List.of(user))).message("forged").build();
    Buffer frame = Buffer.buffer().appendInt(0).appendByte((byte) 2).appendByte((byte) -1);
    appendString(frame, NotificationCodec.NAME);
    frame.appendByte((byte) 1);
    appendString(frame, Addresses.user(Ids.DEFAULT_TENANT, user));
    frame.appendInt(0);
    appendString(frame, "intruder");
    frame.appendInt(4);
    new NotificationCodec().encodeToWire(frame, notification);
    frame.setInt(0, frame.length() - 4);
    return frame.getBytes();
  }

  private static void appendString(Buffer buffer, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  /** A client TLS context trusting {@code trusted}, presenting {@code client}'s certificate unless null. */
  private static SSLContext tlsContext(Leaf client, X509Certificate trusted) throws GeneralSecurityException,
      IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", trusted);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", client.keys().getPrivate(), new char[0], new X509Certificate[] {client.certificate()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }

  /** A socket connected to the node's event-bus port, in plaintext or TLS; every read, a handshake's too, bounded. */
  private static Socket open(TestNode node, SSLContext tls) throws IOException {
    Socket socket = tls == null ? new Socket() : tls.getSocketFactory().createSocket();
    socket.setSoTimeout((int) WAIT.toMillis());
    socket.connect(new InetSocketAddress("127.0.0.1",
        ((VertxInternal) node.vertx()).clusterManager().getNodeInfo().port()), (int) WAIT.toMillis());
    return socket;
  }

  private static HazelcastInstance hazelcast(TestNode node) {
    return ((HazelcastClusterManager) ((VertxInternal) node.vertx()).clusterManager()).getHazelcastInstance();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
