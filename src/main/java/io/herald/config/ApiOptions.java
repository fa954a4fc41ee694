package io.herald.config;

/**
 * The keys of the node's HTTP routes, one per role: {@code api_key} publishes, {@code admin_key} opens the operator
 * routes, {@code metrics_key} guards {@code /metrics}. Each setter refuses a key shorter than 16 characters with a
 * {@link ConfigException} naming the key (never showing it); that the three differ waits for {@link #validate()}, since
 * any may be set first. {@link #toString()} shows the keys as JSON with every key redacted.
 */
public final class ApiOptions {


  private String apiKey;
  private String adminKey;
  private String metricsKey;

  /**
   * Creates the section with every default.
   */
  public ApiOptions() {
    apiKey = null;
    adminKey = null;
    metricsKey = null;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public ApiOptions(ApiOptions other) {
    apiKey = other.apiKey;
    adminKey = other.adminKey;
    metricsKey = other.metricsKey;
  }

  /**
   * @return the API key ({@code api_key}), or null
   */
  public String getApiKey() {
    return apiKey;
  }

  /**
   * Sets the API key protecting the HTTP publish API (secret; redacted in logs); it never opens the operator routes
   * ({@code admin_key}). Key {@code api_key}, env
   * {@code HERALD_API_KEY} (or {@code API_KEY} when that is absent); at least 16 characters when set. Default
   * null.
   *
   * @param apiKey the key, or null
   * @return this
   */
  public ApiOptions setApiKey(String apiKey) {
    this.apiKey = Checks.minLength("api_key", apiKey, 16);
    return this;
  }

  /**
   * @return the key of the operator routes ({@code admin_key}), or null when they are off
   */
  public String getAdminKey() {
    return adminKey;
  }

  /**
   * Sets the key of the operator routes ({@code POST /admin/drain}; secret; redacted in logs): they accept this key
   * only, never {@code api_key}, and are refused (403) while it is not set. Call them on a node's own port: the
   * balancer of {@code conf/haproxy.cfg} never forwards them. Key {@code admin_key}, env {@code HERALD_ADMIN_KEY};
   * at least 16 characters and different from {@code api_key} (checked by {@link #validate()}) when set. Default null (operator routes off).
   *
   * @param adminKey the key, or null
   * @return this
   */
  public ApiOptions setAdminKey(String adminKey) {
    this.adminKey = Checks.minLength("admin_key", adminKey, 16);
    return this;
  }

  /**
   * @return the key {@code GET /metrics} requires ({@code metrics_key}), or null when it is open
   */
  public String getMetricsKey() {
    return metricsKey;
  }

  /**
   * Sets the bearer key {@code GET /metrics} requires (secret; redacted in logs), for a Prometheus scraper's
   * {@code authorization} credentials. Key {@code metrics_key}, env {@code HERALD_METRICS_KEY}; at least 16
   * characters, different from {@code api_key} and {@code admin_key} (checked by {@link #validate()}), when set. Default null: {@code /metrics} is
   * open on the node's own port (the balancer of {@code conf/haproxy.cfg} never forwards it).
   *
   * @param metricsKey the key, or null
   * @return this
   */
  public ApiOptions setMetricsKey(String metricsKey) {
    this.metricsKey = Checks.minLength("metrics_key", metricsKey, 16);
    return this;
  }

  /**
   * Checks that the keys differ: each key is one role, and a key shared with another role would let its holder act
   * in both.
   *
   * @return this
   * @throws ConfigException naming {@code admin_key} or {@code metrics_key}
   */
  public ApiOptions validate() {
    if (adminKey != null && adminKey.equals(apiKey)) {
      throw new ConfigException("admin_key", "must differ from api_key (publishers must not reach operator routes)");
    }
    if (metricsKey != null && (metricsKey.equals(apiKey) || metricsKey.equals(adminKey))) {
      throw new ConfigException("metrics_key", "must differ from api_key and admin_key");
    }
    return this;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
