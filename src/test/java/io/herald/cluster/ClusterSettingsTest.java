package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.herald.testkit.TestCertificates;
import io.herald.testkit.TestCertificates.Authority;
import io.herald.testkit.TestCertificates.Leaf;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pure unit tests of {@link ClusterSettings}: environment parsing, defaults, the filled Hazelcast Config, and the
 * checks of the event-bus TLS settings ({@link EventBusTls}) made at start.
 */
class ClusterSettingsTest {

  @Test
  void emptyEnvironmentGivesTheDocumentedDefaults() {
    ClusterSettings s = ClusterSettings.fromEnv(Map.of());
    assertEquals(new ClusterSettings("herald", "127.0.0.1", "127.0.0.1", 5701, null), s);
    assertEquals(ClusterSettings.DEFAULT_NAME, s.name());
    assertEquals(ClusterSettings.DEFAULT_MEMBERS, s.members());
    assertEquals(ClusterSettings.DEFAULT_HOST, s.host());
    assertEquals(ClusterSettings.DEFAULT_PORT, s.port());
    assertNull(s.configFile());
    assertEquals(0, s.eventBusPort(), "a free port by default");
    assertNull(s.tls(), "a plaintext event bus by default");
  }

  @Test
  void everyVariableIsRead() {
    ClusterSettings s = ClusterSettings.fromEnv(Map.of(
        "HERALD_CLUSTER_NAME", "fleet-7",
        "HERALD_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5702",
        "HERALD_CLUSTER_HOST", "10.0.0.9",
        "HERALD_CLUSTER_PORT", " 6000 ",
        "HERALD_CLUSTER_CONFIG", "/etc/herald/cluster.xml",
        "HERALD_CLUSTER_EVENTBUS_PORT", "5801",
        "HERALD_CLUSTER_PUBLIC_ADDRESS", " 203.0.113.7:15701 "));
    assertEquals("fleet-7", s.name());
    assertEquals("10.0.0.1:5701,10.0.0.2:5702", s.members());
    assertEquals("10.0.0.9", s.host());
    assertEquals(6000, s.port());
    assertEquals(Path.of("/etc/herald/cluster.xml"), s.configFile());
    assertEquals(5801, s.eventBusPort());
    assertNull(s.tls());
    assertEquals("203.0.113.7:15701", s.publicAddress());
    VertxOptions clustered = s.clusteredOptions(new VertxOptions());
    assertEquals("10.0.0.9", clustered.getEventBusOptions().getHost());
    assertEquals("10.0.0.9", clustered.getEventBusOptions().getClusterPublicHost());
    assertEquals(5801, clustered.getEventBusOptions().getPort());
    assertFalse(clustered.getEventBusOptions().isSsl());
  }

  @Test
  void thePublicAddressIsWhereTheOtherMembersReachHazelcast() {
    assertNull(ClusterSettings.fromEnv(Map.of()).publicAddress(), "the bound address by default");
    assertNull(ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_PUBLIC_ADDRESS", " ")).publicAddress());
    Config config = new ClusterSettings("herald-unit", "127.0.0.1", "127.0.0.1", 25701, null, 0, null,
        "127.0.0.9:31001").hazelcastConfig();
    assertEquals("127.0.0.9:31001", config.getNetworkConfig().getPublicAddress());
    for (String bad : List.of("127.0.0.1", "127.0.0.1:", ":5701", "h:0", "h:65536", "h:x", "a,b:5701")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_PUBLIC_ADDRESS", bad)), bad);
      assertTrue(e.getMessage().startsWith("HERALD_CLUSTER_PUBLIC_ADDRESS:"), e.getMessage());
    }
  }

  @Test
  void blankConfigPathMeansTheDefaultFile() {
    assertNull(ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_CONFIG", "  ")).configFile());
  }

  @Test
  void aPortThatIsNotANumberIsRefusedNamingTheVariable() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_PORT", "57o1")));
    assertTrue(e.getMessage().contains("HERALD_CLUSTER_PORT"), e.getMessage());
    for (String eventBusPort : List.of("x", "-1", "65536")) {
      e = assertThrows(IllegalArgumentException.class,
          () -> ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_EVENTBUS_PORT", eventBusPort)));
      assertTrue(e.getMessage().startsWith("HERALD_CLUSTER_EVENTBUS_PORT:"), e.getMessage());
    }
  }

  @Test
  void placeholdersOfTheRepositoryClusterXmlAreFilled() {
    Config config = new ClusterSettings("herald-unit", "127.0.0.1:25701,127.0.0.1:25702", "127.0.0.1", 25701, null)
        .hazelcastConfig();
    assertEquals("herald-unit", config.getClusterName());
    NetworkConfig network = config.getNetworkConfig();
    assertEquals(25701, network.getPort());
    assertTrue(network.isPortAutoIncrement());
    JoinConfig join = network.getJoin();
    assertFalse(join.getMulticastConfig().isEnabled(), "multicast must be off");
    assertFalse(join.getAutoDetectionConfig().isEnabled(), "auto-detection must be off");
    assertTrue(join.getTcpIpConfig().isEnabled(), "tcp-ip join must be on");
    assertEquals(List.of("127.0.0.1:25701", "127.0.0.1:25702"), join.getTcpIpConfig().getMembers());
    assertTrue(network.getInterfaces().isEnabled());
    assertEquals(List.of("127.0.0.1"), List.copyOf(network.getInterfaces().getInterfaces()));
    assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
    assertEquals("slf4j", config.getProperty("hazelcast.logging.type"));
    // A healed partition merges within seconds, not Hazelcast's 300 s then 120 s.
    assertEquals("5", config.getProperty("hazelcast.merge.first.run.delay.seconds"));
    assertEquals("5", config.getProperty("hazelcast.merge.next.run.delay.seconds"));
    // The entries the Vert.x cluster manager needs.
    assertNotNull(config.getMultiMapConfigs().get("__vertx.subs"), "__vertx.subs multimap config");
    assertNotNull(config.getMapConfigs().get("__vertx.haInfo"), "__vertx.haInfo map config");
    assertNotNull(config.getMapConfigs().get("__vertx.nodeInfo"), "__vertx.nodeInfo map config");
    assertFalse(config.toString().contains("${herald."), "no placeholder left unfilled");
  }

  @Test
  void anExplicitConfigFileIsUsedAndFilled(@TempDir Path dir) throws Exception {
    Path xml = dir.resolve("custom.xml");
    Files.writeString(xml, """
        <?xml version="1.0" encoding="UTF-8"?>
        <hazelcast xmlns="http://www.hazelcast.com/schema/config">
          <cluster-name>custom-${herald.cluster.name}</cluster-name>
          <network>
            <port auto-increment="false">${herald.cluster.port}</port>
            <join>
              <multicast enabled="false"/>
              <tcp-ip enabled="true"><members>${herald.cluster.members}</members></tcp-ip>
            </join>
            <interfaces enabled="true"><interface>${herald.cluster.host}</interface></interfaces>
          </network>
        </hazelcast>
        """);
    Config config = new ClusterSettings("x", "10.1.1.1", "10.1.1.2", 7000, xml).hazelcastConfig();
    assertEquals("custom-x", config.getClusterName());
    assertEquals(7000, config.getNetworkConfig().getPort());
    assertFalse(config.getNetworkConfig().isPortAutoIncrement());
    assertEquals(List.of("10.1.1.1"), config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(List.of("10.1.1.2"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
  }

  @Test
  void aMissingConfigFileFailsClearly(@TempDir Path dir) {
    ClusterSettings s = new ClusterSettings("x", "127.0.0.1", "127.0.0.1", 5701, dir.resolve("nope.xml"));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, s::hazelcastConfig);
    assertTrue(e.getMessage().contains("cluster configuration"), e.getMessage());
  }

  @Test
  void theRepositoryClusterXmlFiltersJavaDeserialization() {
    Config config = new ClusterSettings("herald-unit", "127.0.0.1", "127.0.0.1", 25701, null).hazelcastConfig();
    JavaSerializationFilterConfig filter = config.getSerializationConfig().getJavaSerializationFilterConfig();
    assertNotNull(filter, "conf/cluster.xml must set a java-serialization-filter");
    assertFalse(filter.isDefaultsDisabled(), "the default whitelist (com.hazelcast., java, arrays) must stay on");
    assertTrue(filter.getWhitelist().isEmpty(), "nothing beyond the defaults is Java-deserialized");
    assertEquals(Set.of("java.rmi.", "javax.management.", "javax.naming.", "java.beans."),
        filter.getBlacklist().getPrefixes());
  }

  // ---------------------------------------------------------------- event-bus TLS

  @TempDir
  Path tmp;

  @Test
  void withoutTlsVariablesTheEventBusStaysPlaintext() {
    assertNull(ClusterSettings.fromEnv(Map.of("HERALD_CLUSTER_NAME", "x")).tls());
  }

  @Test
  void pemFilesTurnOnTlsWithRequiredClientCertificatesOnBothSides() {
    Authority ca = TestCertificates.authority("unit-ca");
    Leaf node = ca.issue("unit-node");
    Path caFile = ca.writeCertificate(tmp.resolve("ca.pem"));
    Path cert = node.writeCertificate(tmp.resolve("node.pem"));
    Path key = node.writeKey(tmp.resolve("node.key"));
    ClusterSettings s = ClusterSettings.fromEnv(Map.of(
        "HERALD_CLUSTER_TLS_CERT", cert.toString(),
        "HERALD_CLUSTER_TLS_KEY", " " + key + " ",
        "HERALD_CLUSTER_TLS_CA", caFile.toString()));
    assertEquals(EventBusTls.pem(cert, key, caFile), s.tls());
    EventBusOptions options = s.clusteredOptions(new VertxOptions()).getEventBusOptions();
    assertTrue(options.isSsl());
    assertEquals(ClientAuth.REQUIRED, options.getClientAuth());
    assertFalse(options.isTrustAll());
    assertEquals(List.of(cert.toString()), ((PemKeyCertOptions) options.getKeyCertOptions()).getCertPaths());
    assertEquals(List.of(key.toString()), ((PemKeyCertOptions) options.getKeyCertOptions()).getKeyPaths());
    assertEquals(List.of(caFile.toString()), ((PemTrustOptions) options.getTrustOptions()).getCertPaths());
    // Vert.x builds the event bus's server and client from the JSON form: the key and trust must survive it.
    EventBusOptions copy = new EventBusOptions(options.toJson());
    assertTrue(copy.getKeyCertOptions() instanceof PemKeyCertOptions, String.valueOf(copy.getKeyCertOptions()));
    assertTrue(copy.getTrustOptions() instanceof PemTrustOptions, String.valueOf(copy.getTrustOptions()));
  }

  @Test
  void aKeyStoreIsUsedByItsTypeAndItsPasswordIsNeverShown() throws Exception {
    Authority ca = TestCertificates.authority("unit-ca");
    Leaf node = ca.issue("unit-node");
    Path caFile = ca.writeCertificate(tmp.resolve("ca.pem"));
    String password = "pw-4f1e9a-secret";
    Path p12 = node.writePkcs12(tmp.resolve("node.p12"), password);
    Path jks = tmp.resolve("node.jks");
    KeyStore store = KeyStore.getInstance("JKS");
    store.load(null, null);
    store.setKeyEntry("node", node.keys().getPrivate(), password.toCharArray(),
        new X509Certificate[] {node.certificate()});
    try (var out = Files.newOutputStream(jks)) {
      store.store(out, password.toCharArray());
    }
    for (Path file : List.of(p12, jks)) {
      ClusterSettings s = ClusterSettings.fromEnv(Map.of(
          "HERALD_CLUSTER_TLS_KEYSTORE", file.toString(),
          "HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD", password,
          "HERALD_CLUSTER_TLS_CA", caFile.toString()));
      EventBusOptions options = new EventBusOptions();
      s.tls().applyTo(options);
      Class<?> expected = file == jks ? JksOptions.class : PfxOptions.class;
      assertEquals(expected, new EventBusOptions(options.toJson()).getKeyCertOptions().getClass(),
          "the key store options must survive EventBusOptions.toJson()");
      assertFalse(s.toString().contains(password), s.toString());
      assertTrue(s.toString().contains(file.toString()), "paths may be logged: " + s);
    }
    IllegalArgumentException wrong = refused(Map.of(
        "HERALD_CLUSTER_TLS_KEYSTORE", p12.toString(),
        "HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD", "not-the-" + password,
        "HERALD_CLUSTER_TLS_CA", caFile.toString()), "HERALD_CLUSTER_TLS_KEYSTORE");
    assertFalse(wrong.getMessage().contains(password), wrong.getMessage());
  }

  @Test
  void inconsistentOrUnreadableTlsSettingsAreRefusedNamingTheVariable() throws Exception {
    Authority ca = TestCertificates.authority("unit-ca");
    Leaf node = ca.issue("unit-node");
    String caFile = ca.writeCertificate(tmp.resolve("ca.pem")).toString();
    String cert = node.writeCertificate(tmp.resolve("node.pem")).toString();
    String key = node.writeKey(tmp.resolve("node.key")).toString();
    String p12 = node.writePkcs12(tmp.resolve("node.p12"), "pw").toString();
    String missing = tmp.resolve("missing.pem").toString();
    Path notPem = Files.writeString(tmp.resolve("not.pem"), "hello");

    refused(Map.of("HERALD_CLUSTER_TLS_CERT", cert, "HERALD_CLUSTER_TLS_CA", caFile), "HERALD_CLUSTER_TLS_KEY");
    refused(Map.of("HERALD_CLUSTER_TLS_KEY", key, "HERALD_CLUSTER_TLS_CA", caFile), "HERALD_CLUSTER_TLS_CERT");
    refused(Map.of("HERALD_CLUSTER_TLS_CERT", cert, "HERALD_CLUSTER_TLS_KEY", key), "HERALD_CLUSTER_TLS_CA");
    refused(Map.of("HERALD_CLUSTER_TLS_CA", caFile), "HERALD_CLUSTER_TLS_CERT");
    refused(Map.of("HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD", "pw", "HERALD_CLUSTER_TLS_CERT", cert,
        "HERALD_CLUSTER_TLS_KEY", key, "HERALD_CLUSTER_TLS_CA", caFile), "HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD");
    refused(Map.of("HERALD_CLUSTER_TLS_KEYSTORE", p12, "HERALD_CLUSTER_TLS_CERT", cert,
        "HERALD_CLUSTER_TLS_KEY", key, "HERALD_CLUSTER_TLS_CA", caFile), "HERALD_CLUSTER_TLS_KEYSTORE");
    Map<String, String> valid = Map.of("HERALD_CLUSTER_TLS_CERT", cert, "HERALD_CLUSTER_TLS_KEY", key,
        "HERALD_CLUSTER_TLS_CA", caFile);
    for (String variable : valid.keySet()) {
      Map<String, String> env = new HashMap<>(valid);
      env.put(variable, missing);
      assertTrue(refused(env, variable).getMessage().contains(missing), "the path is named");
      env.put(variable, notPem.toString());
      refused(env, variable);
    }
    // The private key's file is checked for its format only; its content never appears in a message.
    Path certAsKey = tmp.resolve("cert-as-key.pem");
    Files.copy(Path.of(cert), certAsKey);
    Map<String, String> env = new HashMap<>(valid);
    env.put("HERALD_CLUSTER_TLS_KEY", certAsKey.toString());
    assertFalse(refused(env, "HERALD_CLUSTER_TLS_KEY").getMessage().contains("BEGIN"));
  }

  private static IllegalArgumentException refused(Map<String, String> env, String variable) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterSettings.fromEnv(env),
        "expected a refusal naming " + variable + " for " + env.keySet());
    assertTrue(e.getMessage().startsWith(variable + ":") || e.getMessage().startsWith(variable + " "),
        "the message must start with " + variable + ": " + e.getMessage());
    return e;
  }
}
