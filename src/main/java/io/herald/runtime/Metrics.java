package io.herald.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.herald.protocol.CloseCode;
import java.util.EnumMap;
import java.util.Map;

/**
 * The node's counters, exported at {@code GET /metrics} in the Prometheus text format. Micrometer meters are
 * lock-free and safe to increment from every verticle's event loop; no other state is shared.
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<CloseCode, Counter> closes = new EnumMap<>(CloseCode.class);
  private final Counter deliveries;
  private final Counter filtered;
  private final Counter rateLimited;
  private final Counter clientErrors;

  public Metrics() {
    for (CloseCode code : CloseCode.values()) {
      closes.put(code, Counter.builder("herald_server_closes_total")
          .description("Connections closed by the server, by close code")
          .tag("code", Integer.toString(code.code())).tag("reason", code.name().toLowerCase())
          .register(registry));
    }
    deliveries = Counter.builder("herald_deliveries_total").description("Notification frames written to connections").register(registry);
    filtered = Counter.builder("herald_filtered_total").description("Notifications a connection's filters held back").register(registry);
    rateLimited = Counter.builder("herald_rate_limited_total").description("Client messages dropped by the rate limit").register(registry);
    clientErrors = Counter.builder("herald_client_errors_total").description("Error frames sent to clients").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Counts one notification taken from an ingress source ({@code nats}, {@code redis}, {@code http}). */
  public void ingested(String source) {
    registry.counter("herald_ingress_accepted_total", "source", source).increment();
  }

  /** Counts one ingress message dropped as invalid. */
  public void invalid(String source) {
    registry.counter("herald_ingress_invalid_total", "source", source).increment();
  }

  /** Counts one failed write to a state store ({@code history}, {@code inbox}, {@code sessions}, {@code metrics}). */
  public void stateFailure(String store) {
    registry.counter("herald_state_failures_total", "store", store).increment();
  }

  public void closed(CloseCode code) {
    closes.get(code).increment();
  }

  public long closedCount(CloseCode code) {
    return (long) closes.get(code).count();
  }

  public void delivered(int frames) {
    deliveries.increment(frames);
  }

  public void filteredOut() {
    filtered.increment();
  }

  public void rateLimited() {
    rateLimited.increment();
  }

  public void clientError() {
    clientErrors.increment();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
