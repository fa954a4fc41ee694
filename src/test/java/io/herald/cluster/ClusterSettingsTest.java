package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pure unit tests of {@link ClusterSettings}: environment parsing, defaults, and the filled Hazelcast Config. */
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
  }

  @Test
  void everyVariableIsRead() {
    ClusterSettings s = ClusterSettings.fromEnv(Map.of(
        "HERALD_CLUSTER_NAME", "fleet-7",
        "HERALD_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5702",
        "HERALD_CLUSTER_HOST", "10.0.0.9",
        "HERALD_CLUSTER_PORT", " 6000 ",
        "HERALD_CLUSTER_CONFIG", "/etc/herald/cluster.xml"));
    assertEquals("fleet-7", s.name());
    assertEquals("10.0.0.1:5701,10.0.0.2:5702", s.members());
    assertEquals("10.0.0.9", s.host());
    assertEquals(6000, s.port());
    assertEquals(Path.of("/etc/herald/cluster.xml"), s.configFile());
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
}
