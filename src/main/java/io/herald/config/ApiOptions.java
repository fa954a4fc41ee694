package io.herald.config;

/**
 * The keys of the node's HTTP routes, one per role: {@code api_key} publishes, {@code admin_key} opens the operator
 * routes, {@code metrics_key} guards {@code /metrics}. Each setter refuses a key shorter than 16 characters with a
 * {@link ConfigException} naming the key (never showing it); that the three differ waits for {@link #validate()}, since
 * any may be set first. {@link #toString()} shows the keys as JSON with every key redacted.
 */
public final class ApiOptions {


  /** Default sustained HTTP API requests per key, per second = {@value}. */
  public static final int DEFAULT_API_RATE_PER_SEC = 100;
  /** Default burst of HTTP API requests per key = {@value}. */
  public static final int DEFAULT_API_RATE_BURST = 200;

  private String apiKey;
  private String adminKey;
  private String metricsKey;
  private int apiRatePerSec;
  private int apiRateBurst;

  /**
   * Creates the section with every default.
   */
  public ApiOptions() {
    apiKey = null;
    adminKey = null;
    metricsKey = null;
    apiRatePerSec = DEFAULT_API_RATE_PER_SEC;
    apiRateBurst = DEFAULT_API_RATE_BURST;
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
    apiRatePerSec = other.apiRatePerSec;
    apiRateBurst = other.apiRateBurst;
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
   * @return the sustained HTTP API requests per key per second ({@code api_rate_per_sec})
   */
  public int getApiRatePerSec() {
    return apiRatePerSec;
  }

  /**
   * Sets how many requests per second each key of the HTTP API ({@code /api/v1/}: {@code api_key}) may make on this
   * node, sustained, counted by the node's connection registry across socket verticles once the key is verified and
   * the body read (at most 1 MiB), before it is parsed. One over is refused with HTTP 429 and {@code Retry-After}. Key {@code api_rate_per_sec},
   * env {@code API_RATE_PER_SEC}; &gt;= 1. Default {@value #DEFAULT_API_RATE_PER_SEC}.
   *
   * @param apiRatePerSec the rate, in requests per second
   * @return this
   */
  public ApiOptions setApiRatePerSec(int apiRatePerSec) {
    this.apiRatePerSec = Checks.min("api_rate_per_sec", apiRatePerSec, 1);
    return this;
  }

  /**
   * @return the burst of HTTP API requests per key ({@code api_rate_burst})
   */
  public int getApiRateBurst() {
    return apiRateBurst;
  }

  /**
   * Sets how many HTTP API requests one key may make at once above {@code api_rate_per_sec} (token bucket size). Key
   * {@code api_rate_burst}, env {@code API_RATE_BURST}; &gt;= 1. Default {@value #DEFAULT_API_RATE_BURST}.
   *
   * @param apiRateBurst the burst, in requests
   * @return this
   */
  public ApiOptions setApiRateBurst(int apiRateBurst) {
    this.apiRateBurst = Checks.min("api_rate_burst", apiRateBurst, 1);
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
