package io.herald.config;

import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Herald configuration, in sections grouped by the subsystem that owns them: {@link #server()},
 * {@link #limits()}, {@link #auth()}, {@link #access()}, {@link #api()}, {@link #ingress()}, {@link #state()} and
 * {@link #cluster()}. Each component receives only the sections it uses. Options are layered as
 * <em>built-in defaults &larr; JSON config file &larr; environment variables</em>, then validated.
 * <p>
 * In a JSON file keys are snake_case ({@code websocket_port}); the matching environment variable is the
 * UPPER_SNAKE_CASE of the key ({@code WEBSOCKET_PORT}), except {@code api_key} (read from
 * {@code HERALD_API_KEY}, falling back to {@code API_KEY}), {@code allowed_origins} (read from
 * {@code ALLOWED_ORIGINS}, falling back to {@code CORS_ORIGIN}), {@code admin_key} ({@code HERALD_ADMIN_KEY}) and
 * {@code metrics_key} ({@code HERALD_METRICS_KEY}). An empty environment value counts as unset.
 * List options are comma separated in the environment; {@code explorers} is a JSON object string.
 * <p>
 * File keys starting with {@code "_"} or {@code "//"} are ignored (documentation entries); any other
 * unknown key is rejected. Each section's setters refuse an invalid value where it is set, with a
 * {@link ConfigException} naming the key; {@link #validate()} checks the rules between keys (which may be set in any
 * order) and reports the first problem the same way.
 * <p>
 * Secrets ({@code jwt_secret}, {@code api_key}, {@code admin_key}, {@code metrics_key}, passwords in
 * {@code redis_url}/{@code nats_url}) are hidden by {@link #toRedactedJson()} and {@link #toString()}, and by each
 * section's {@code toString()}.
 */
public final class HeraldOptions {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ServerOptions server;
  private final LimitsOptions limits;
  private final AuthOptions auth;
  private final AccessOptions access;
  private final ApiOptions api;
  private final IngressOptions ingress;
  private final StateOptions state;
  private final ClusterOptions cluster;

  /**
   * Creates options with every default.
   */
  public HeraldOptions() {
    server = new ServerOptions();
    limits = new LimitsOptions();
    auth = new AuthOptions();
    access = new AccessOptions();
    api = new ApiOptions();
    ingress = new IngressOptions();
    state = new StateOptions();
    cluster = new ClusterOptions();
  }

  /**
   * Copy constructor: every section is copied, so the copy is fully independent.
   *
   * @param other the options to copy
   */
  public HeraldOptions(HeraldOptions other) {
    server = new ServerOptions(other.server);
    limits = new LimitsOptions(other.limits);
    auth = new AuthOptions(other.auth);
    access = new AccessOptions(other.access);
    api = new ApiOptions(other.api);
    ingress = new IngressOptions(other.ingress);
    state = new StateOptions(other.state);
    cluster = new ClusterOptions(other.cluster);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /**
   * Creates options from a JSON object (the content of a config file), starting from the defaults and applying
   * every key present, each through its section's setter. Keys starting with {@code "_"} or {@code "//"} are
   * ignored. Does <em>not</em> check the rules between keys nor generate {@code node_id}: {@link #validate()} does.
   *
   * @param json the JSON object, {@code null} meaning empty
   * @return new options
   * @throws ConfigException on an unknown key, a value of the wrong JSON type, or an invalid value
   */
  public static HeraldOptions fromJson(JsonObject json) {
    return ConfigLoader.fromJson(json);
  }

  /**
   * Loads the configuration: built-in defaults, overridden by the JSON file (if non-null), overridden by the
   * environment; then {@link #validate() validates} it.
   *
   * @param configFileOrNull JSON config file, or {@code null} for none
   * @param env              environment variables (e.g. {@code System.getenv()}), {@code null} meaning none
   * @return validated options
   * @throws ConfigException when the file cannot be read or is not a JSON object (key {@code "config_file"}),
   *                         or a value is of the wrong type or invalid (key of that value)
   */
  public static HeraldOptions load(Path configFileOrNull, Map<String, String> env) {
    return ConfigLoader.load(configFileOrNull, env);
  }

  /**
   * Overrides options from environment variables. Each key is read from the UPPER_SNAKE_CASE of its name,
   * except {@code api_key} ({@code HERALD_API_KEY}, else {@code API_KEY}), {@code allowed_origins}
   * ({@code ALLOWED_ORIGINS}, else {@code CORS_ORIGIN}), {@code admin_key} ({@code HERALD_ADMIN_KEY}) and
   * {@code metrics_key} ({@code HERALD_METRICS_KEY}). Empty (blank) values are ignored; values are trimmed.
   * Integers must parse as decimal ints; booleans are {@code true/false} (also {@code 1/0}, {@code yes/no},
   * {@code on/off}); lists are comma separated; {@code EXPLORERS} is a JSON object string. Each value goes through
   * its section's setter; the rules between keys wait for {@link #validate()}.
   *
   * @param env environment variables, {@code null} meaning none
   * @return this
   * @throws ConfigException naming the key when a value cannot be parsed or is invalid
   */
  public HeraldOptions applyEnv(Map<String, String> env) {
    ConfigLoader.applyEnv(this, env);
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation

  /**
   * Checks the rules between keys — within a section ({@link LimitsOptions#validate()},
   * {@link ApiOptions#validate()}) and across sections ({@code session_ttl_secs} &gt;
   * {@code heartbeat_interval_secs}; development mode needs {@code jwt_secret} and {@code api_key}) — then fills
   * {@code node_id} with {@code "herald-" + 8 random hex chars} when it is null (only if everything is valid).
   * Each key alone was already checked by its setter.
   *
   * @return this
   * @throws ConfigException naming the first key at fault, e.g.
   *                         {@code "connection_timeout_secs: must be > heartbeat_interval_secs (got 30 <= 30)"}
   */
  public HeraldOptions validate() {
    limits.validate();
    if (state.getSessionTtlSecs() <= limits.getHeartbeatIntervalSecs()) {
      throw new ConfigException("session_ttl_secs", "must be > heartbeat_interval_secs (got "
          + state.getSessionTtlSecs() + " <= " + limits.getHeartbeatIntervalSecs() + ")");
    }
    if (server.isDevMode() && (auth.getJwtSecret() == null || api.getApiKey() == null)) {
      // The development session signs a token with jwt_secret and hands out api_key: both must exist.
      throw new ConfigException("dev_mode", "needs jwt_secret and api_key (herald run --dev generates both)");
    }
    api.validate();
    if (ingress.isNatsJetstream() && !ingress.natsEnabled()) {
      throw new ConfigException("nats_jetstream", "needs nats_url");
    }
    if (server.getNodeId() == null) {
      server.setNodeId("herald-" + HexFormat.of().toHexDigits(RANDOM.nextInt()));
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Serialisation

  /**
   * @return every option as snake_case JSON in canonical order, with real values (secrets included); null options
   *     as JSON null
   */
  public JsonObject toJson() {
    return ConfigKeys.toJson(this, false);
  }

  /**
   * Like {@link #toJson()}, but {@code jwt_secret}, {@code api_key}, {@code admin_key} and {@code metrics_key} are
   * replaced by {@code "<redacted>"} when set, and the password of any userinfo in {@code redis_url}/{@code nats_url}
   * is replaced by {@code "<redacted>"} (e.g. {@code redis://:<redacted>@host:6379}; a userinfo without ':' is a
   * token and is redacted as a whole).
   *
   * @return a JSON object safe to log
   */
  public JsonObject toRedactedJson() {
    return ConfigKeys.toJson(this, true);
  }

  /**
   * @return {@code toRedactedJson().encode()}: no secret ever appears
   */
  @Override
  public String toString() {
    return toRedactedJson().encode();
  }

  // ---------------------------------------------------------------------------------------------
  // Sections. Each has a second accessor taking a change, so that options can be built in one expression:
  // new HeraldOptions().server(s -> s.setWebsocketPort(0)).auth(a -> a.setJwtSecret(secret))

  /** @return the server section: node id, listen address, instances, frames, compression, log level, dev mode */
  public ServerOptions server() {
    return server;
  }

  /**
   * @param change applied to {@link #server()}
   * @return this
   */
  public HeraldOptions server(Consumer<ServerOptions> change) {
    change.accept(server);
    return this;
  }

  /** @return the limits section: connection counts, heartbeat and timeout, rates, slow clients */
  public LimitsOptions limits() {
    return limits;
  }

  /**
   * @param change applied to {@link #limits()}
   * @return this
   */
  public HeraldOptions limits(Consumer<LimitsOptions> change) {
    change.accept(limits);
    return this;
  }

  /** @return the authentication section: JWT keys and claims, authentication timeouts, Knox re-checks */
  public AuthOptions auth() {
    return auth;
  }

  /**
   * @param change applied to {@link #auth()}
   * @return this
   */
  public HeraldOptions auth(Consumer<AuthOptions> change) {
    change.accept(auth);
    return this;
  }

  /** @return the access section: allowed origins, trusted proxies, default and public topics */
  public AccessOptions access() {
    return access;
  }

  /**
   * @param change applied to {@link #access()}
   * @return this
   */
  public HeraldOptions access(Consumer<AccessOptions> change) {
    change.accept(access);
    return this;
  }

  /** @return the HTTP API section: the publish, operator and metrics keys */
  public ApiOptions api() {
    return api;
  }

  /**
   * @param change applied to {@link #api()}
   * @return this
   */
  public HeraldOptions api(Consumer<ApiOptions> change) {
    change.accept(api);
    return this;
  }

  /** @return the ingress section: NATS, the Redis pub/sub channel prefix, block explorers */
  public IngressOptions ingress() {
    return ingress;
  }

  /**
   * @param change applied to {@link #ingress()}
   * @return this
   */
  public HeraldOptions ingress(Consumer<IngressOptions> change) {
    change.accept(ingress);
    return this;
  }

  /** @return the state section: Redis, sessions, history, offline queue, inbox, InitialState, metrics */
  public StateOptions state() {
    return state;
  }

  /**
   * @param change applied to {@link #state()}
   * @return this
   */
  public HeraldOptions state(Consumer<StateOptions> change) {
    change.accept(state);
    return this;
  }

  /** @return the cluster section: whether the node joins a fleet */
  public ClusterOptions cluster() {
    return cluster;
  }

  /**
   * @param change applied to {@link #cluster()}
   * @return this
   */
  public HeraldOptions cluster(Consumer<ClusterOptions> change) {
    change.accept(cluster);
    return this;
  }
}
