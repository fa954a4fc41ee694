package io.herald.cli;

import io.herald.auth.JwtIssuer;
import io.herald.config.HeraldOptions;
import io.herald.model.Ids;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code herald token}: prints an HS256 JWT signed with the configured {@code jwt_secret}. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Print a JWT for a user, signed with the configured jwt_secret.")
public final class TokenCommand implements Callable<Integer> {

  @Mixin
  ConfigOption config = new ConfigOption();

  @Option(names = "--user", required = true, description = "User id (the sub claim).")
  String user;

  @Option(names = "--ttl", defaultValue = "1h", description = "Lifetime, e.g. 30s, 15m, 1h, 7d (default: ${DEFAULT-VALUE}).")
  String ttl;

  @Option(names = "--tenant", description = "Tenant claim (default: none, the default tenant).")
  String tenant;

  @Option(names = "--topics", split = ",", description = "Topic grants (topics claim); an entry ending in * is a prefix.")
  List<String> topics = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    HeraldOptions options = config.loadOrReport();
    if (options == null) {
      return ConfigOption.INVALID_CONFIGURATION_EXIT;
    }
    if (options.auth().getJwtSecret() == null) {
      System.err.println("herald token: no jwt_secret configured (set JWT_SECRET or use --conf)");
      return 2;
    }
    if (!Ids.isValidUserId(user) || (tenant != null && !Ids.isValidTenant(tenant))) {
      System.err.println("herald token: invalid --user or --tenant");
      return 2;
    }
    Duration lifetime;
    try {
      lifetime = parseDuration(ttl);
    } catch (IllegalArgumentException e) {
      System.err.println("herald token: " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      System.out.println(new JwtIssuer(vertx, options.auth().getJwtSecret()).issue(user, lifetime, tenant, topics));
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
    return 0;
  }

  /** {@code 30s}, {@code 15m}, {@code 1h}, {@code 7d}, or ISO-8601 ({@code PT1H}). */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase();
    try {
      if (t.startsWith("p")) {
        return Duration.parse(t.toUpperCase());
      }
      long value = Long.parseLong(t.substring(0, t.length() - 1));
      Duration d = switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(value);
        case 'm' -> Duration.ofMinutes(value);
        case 'h' -> Duration.ofHours(value);
        case 'd' -> Duration.ofDays(value);
        default -> throw new IllegalArgumentException("bad unit");
      };
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("must be positive");
      }
      return d;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--ttl: expected a duration like 30s, 15m, 1h or 7d");
    }
  }
}
