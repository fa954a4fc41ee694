package io.herald.cli;

import io.herald.config.HeraldOptions;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code herald publish}: sends one notification through NATS when configured, else through the HTTP API. */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = "Publish a notification through the configured ingress (NATS when nats_url is set, else HTTP).")
public final class PublishCommand implements Callable<Integer> {

  @Mixin
  ConfigOption config = new ConfigOption();

  static final class TargetChoice {
    @Option(names = "--user", description = "Every device of this user.")
    String user;
    @Option(names = "--topic", description = "Every connection subscribed to this topic.")
    String topic;
    @Option(names = "--broadcast", description = "Every connection of the tenant.")
    boolean broadcast;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  TargetChoice target;

  @Option(names = "--message", required = true, description = "Notification text.")
  String message;

  @Option(names = "--priority", defaultValue = "Medium", description = "Low, Medium, High or Critical (default: ${DEFAULT-VALUE}).")
  String priority;

  @Option(names = "--tenant", description = "Tenant (default: the default tenant).")
  String tenant;

  @Option(names = "--alert-id", description = "Alert id.")
  String alertId;

  @Option(names = "--via", description = "Force the ingress: nats or http (default: nats when configured).")
  String via;

  @Option(names = "--url", description = "Base URL of a node for HTTP publishing (default: http://localhost:<websocket_port>).")
  String url;

  @Override
  public Integer call() throws Exception {
    HeraldOptions options = config.loadOrReport();
    if (options == null) {
      return ConfigOption.INVALID_CONFIGURATION_EXIT;
    }
    JsonObject notification = new JsonObject().put("message", message).put("priority", priority);
    if (target.user != null) {
      notification.put("user_id", target.user);
    } else if (target.topic != null) {
      notification.put("topic", target.topic);
    } else {
      notification.put("broadcast", true);
    }
    if (tenant != null) {
      notification.put("tenant_id", tenant);
    }
    if (alertId != null) {
      notification.put("alert_id", alertId);
    }
    boolean useNats = via == null ? options.ingress().natsEnabled() : "nats".equalsIgnoreCase(via);
    return useNats ? viaNats(options, notification) : viaHttp(options, notification);
  }

  private int viaNats(HeraldOptions options, JsonObject notification) throws Exception {
    if (!options.ingress().natsEnabled()) {
      System.err.println("herald publish: --via nats needs nats_url");
      return 2;
    }
    Options natsOptions = new Options.Builder().servers(options.ingress().getNatsUrl().split(","))
        .connectionTimeout(Duration.ofSeconds(3)).build();
    try (Connection nats = Nats.connect(natsOptions)) {
      nats.publish(options.ingress().getNatsSubject(), notification.encode().getBytes(StandardCharsets.UTF_8));
      nats.flush(Duration.ofSeconds(3));
    }
    System.out.println("published to NATS subject " + options.ingress().getNatsSubject());
    return 0;
  }

  private int viaHttp(HeraldOptions options, JsonObject notification) throws Exception {
    if (options.api().getApiKey() == null) {
      System.err.println("herald publish: no api_key configured (set HERALD_API_KEY, printed by a development node at start)");
      return 2;
    }
    String base = url != null ? url : "http://localhost:" + options.server().getWebsocketPort();
    Vertx vertx = Vertx.vertx();
    try {
      var client = vertx.createHttpClient();
      var response = client.request(new RequestOptions().setMethod(HttpMethod.POST)
              .setAbsoluteURI(base + "/api/v1/notifications")
              .putHeader("Authorization", "Bearer " + options.api().getApiKey())
              .putHeader("Content-Type", "application/json"))
          .compose(request -> request.send(Buffer.buffer(notification.encode()))
              .compose(r -> r.body().map(body -> r.statusCode() + " " + body)))
          .await(10, TimeUnit.SECONDS);
      System.out.println(response);
      return response.startsWith("202") ? 0 : 1;
    } catch (Exception e) {
      System.err.println("herald publish: " + base + ": " + e.getMessage());
      return 1;
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }
}
