package io.herald.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.LogCapture;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How many socket verticles a node deploys when {@code instances} is left at 0. */
class InstancesIT {

  @Test
  void aNodeLeftAtZeroInstancesDeploysOneSocketVerticlePerCore() {
    int cores = Runtime.getRuntime().availableProcessors();
    try (LogCapture nodeLog = LogCapture.of(HeraldNode.class);
         TestNode node = TestNode.start(TestNode.options().server(server -> server.setInstances(0)))) {
      assertTrue(nodeLog.messages().stream().anyMatch(m -> m.contains(": " + cores + " socket verticle instances")),
          "one per core (" + cores + "), not one per event-loop thread: " + nodeLog.messages());
      try (WsClient client = node.connect("per-core")) {
        client.send(new JsonObject().put("type", "Ping"));
        client.awaitType("Pong", Duration.ofSeconds(5));
      }
    }
  }
}
