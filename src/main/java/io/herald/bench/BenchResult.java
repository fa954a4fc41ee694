package io.herald.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/** One run's figures ({@link #json()}, one line with {@code --json}) and its per-second series (for the chart). */
public final class BenchResult {

  /** One second of the run: notifications sent, deliveries, latency p50/p99/max in ms (-1: none), server RSS. */
  public record Point(double t, long sent, long delivered, double p50, double p99, double max, long rssKib) {
  }

  private final JsonObject json;
  private final List<Point> series;

  BenchResult(JsonObject json, List<Point> series) {
    this.json = json;
    this.series = List.copyOf(series);
  }

  public JsonObject json() {
    return json;
  }

  public List<Point> series() {
    return series;
  }

  public long lost() {
    return json.getLong("lost", 0L);
  }

  public long duplicated() {
    return json.getLong("duplicated", 0L);
  }

  /** The human table. */
  public String table() {
    StringBuilder out = new StringBuilder();
    String title = json.getString("scenario") + (json.getString("ingress") == null ? "" : " via " + json.getString("ingress"))
        + (json.getJsonArray("ports").size() > 1 ? " on " + json.getJsonArray("ports").size() + " nodes" : "");
    out.append("== herald bench: ").append(title).append(" ==\n");
    row(out, "connections", json.getValue("connections") + " (" + json.getValue("devices") + " devices/user, "
        + json.getValue("topics_per_connection") + " topics/connection of " + json.getValue("topics") + ")");
    JsonObject c = json.getJsonObject("connect");
    row(out, "connected", c.getValue("connected") + " (failed " + c.getValue("failed") + ") in " + fmt(c.getDouble("seconds"))
        + " s = " + fmt(c.getDouble("per_sec")) + "/s; handshake p50 " + c.getValue("handshake_p50_ms") + " ms, p99 "
        + c.getValue("handshake_p99_ms") + " ms" + (c.containsKey("server_cpu_us_per_connection")
        ? "; server CPU " + c.getValue("server_cpu_us_per_connection") + " µs/connection" : ""));
    if (json.containsKey("sent")) {
      row(out, "offered rate", json.getValue("rate") + (json.getValue("rate") instanceof String ? "" : "/s"));
      row(out, "sent", json.getValue("sent") + " in " + fmt(json.getDouble("publish_seconds")) + " s ("
          + fmt(json.getDouble("sent_per_sec")) + "/s), publish errors " + json.getValue("publish_errors"));
      row(out, "delivered", json.getValue("delivered") + " of " + json.getValue("expected") + " ("
          + fmt(json.getDouble("delivered_per_sec")) + "/s)");
      row(out, "lost/dup/reord", json.getValue("lost") + " / " + json.getValue("duplicated") + " / "
          + json.getValue("reordered") + " (lost: not received " + json.getValue("drain_s") + " s after the last publish)"
          + (json.getLong("misdelivered", 0L) > 0 ? "; MISDELIVERED " + json.getValue("misdelivered") : ""));
      JsonObject l = json.getJsonObject("latency_ms");
      row(out, "latency ms", "p50 " + l.getValue("p50") + "  p90 " + l.getValue("p90") + "  p99 " + l.getValue("p99")
          + "  p99.9 " + l.getValue("p99_9") + "  max " + l.getValue("max"));
    }
    JsonObject r = json.getJsonObject("recover");
    if (r != null) {
      JsonObject rl = r.getJsonObject("reconnect_ms");
      row(out, "reconnects", r.getValue("reconnects") + " (" + r.getValue("per_period") + " every " + r.getValue("every_s")
          + " s), failed " + r.getValue("reconnect_failures") + ", not recovered " + r.getValue("resumes_not_recovered")
          + (r.containsKey("first_failure") ? " (first: " + r.getValue("first_failure") + ")" : ""));
      row(out, "recovered by replay", r.getValue("recovered") + " notifications (counted in delivered)");
      row(out, "reconnect ms", "p50 " + rl.getValue("p50") + "  p99 " + rl.getValue("p99") + "  max " + rl.getValue("max")
          + " (close -> Authenticated)");
    }
    JsonObject s = json.getJsonObject("server");
    if (s != null) {
      JsonArray processes = s.getJsonArray("processes");
      row(out, "server CPU", s.getValue("cpu_s") + " s" + (s.containsKey("cpu_us_per_delivery")
          ? " = " + s.getValue("cpu_us_per_delivery") + " µs/delivery" : "")
          + (s.containsKey("hold_cpu_cores") ? String.format(Locale.ROOT, " over the %.0f s hold = %.2f %% of a core",
              json.getDouble("phase_seconds"), s.getDouble("hold_cpu_cores") * 100) : "") + " (kernel " + s.getValue("cpu_sys_s")
          + " s" + (s.containsKey("cpu_jit_s") ? ", JIT compiler threads " + s.getValue("cpu_jit_s") + " s"
              + (s.containsKey("cpu_us_per_delivery_without_jit") ? " = " + s.getValue("cpu_us_per_delivery_without_jit")
                  + " µs/delivery without them" : "") : "")
          + "; " + (processes.size() == 1 ? "pid " : "summed over pids ") + joined(s.getJsonArray("pids")) + ")");
      row(out, "server RSS MiB", (processes.size() == 1 ? "" : "sum: ") + "idle " + mib(s.getLong("rss_idle_kib"))
          + ", connected " + mib(s.getLong("rss_connected_kib")) + ", peak " + mib(s.getLong("rss_peak_kib"))
          + " (" + s.getValue("rss_per_connection_kib") + " KiB/connection)");
      if (s.containsKey("live_heap_per_connection_kib")) {
        row(out, "server live heap MiB", "idle " + mib(s.getLong("live_heap_idle_kib")) + ", connected "
            + mib(s.getLong("live_heap_connected_kib")) + " (" + s.getValue("live_heap_per_connection_kib")
            + " KiB/connection, after a full GC)");
      }
      if (processes.size() > 1) {
        for (int i = 0; i < processes.size(); i++) {
          JsonObject p = processes.getJsonObject(i);
          row(out, "  pid " + p.getValue("pid"), (p.containsKey("connections") ? p.getValue("connections") + " connections; " : "")
              + "CPU " + p.getValue("cpu_s") + " s; RSS MiB idle " + mib(p.getLong("rss_idle_kib"))
              + ", connected " + mib(p.getLong("rss_connected_kib")) + ", peak " + mib(p.getLong("rss_peak_kib"))
              + (p.containsKey("rss_per_connection_kib") ? " (" + p.getValue("rss_per_connection_kib") + " KiB/connection)" : "")
              + (p.containsKey("live_heap_per_connection_kib") ? "; live heap " + p.getValue("live_heap_per_connection_kib")
                  + " KiB/connection" : ""));
        }
      }
    }
    JsonObject gc = json.getJsonObject("server_gc");
    if (gc != null) {
      row(out, "server GC pauses", gc.getValue("pauses") + " while measured, longest " + gc.getValue("pause_max_ms")
          + " ms, total " + gc.getValue("pause_total_ms") + " ms; " + gc.getValue("over_target") + " over "
          + gc.getValue("target_ms") + " ms (" + joined(gc.getJsonArray("logs")) + ")");
    }
    JsonObject g = json.getJsonObject("generator");
    row(out, "generator CPU", g.getValue("cpu_s") + " s" + (g.containsKey("cpu_us_per_delivery")
        ? " = " + g.getValue("cpu_us_per_delivery") + " µs/delivery" : "")
        + (g.containsKey("processes") ? " (summed over " + g.getJsonArray("processes").size() + " processes)" : ""));
    JsonArray generators = g.getJsonArray("processes", new JsonArray());
    for (int i = 0; i < generators.size(); i++) {
      JsonObject p = generators.getJsonObject(i);
      row(out, "  generator " + i, "pid " + p.getValue("pid") + " from " + joined(p.getJsonArray("source_addresses")) + ": "
          + p.getValue("connected") + " of " + p.getValue("connections") + " connected (failed " + p.getValue("failed")
          + "), " + p.getValue("unexpected_closes") + " unexpected closes, " + heartbeats(p.getJsonObject("heartbeats")));
    }
    JsonObject h = json.getJsonObject("heartbeats");
    if (h != null && (h.getLong("server_pings") > 0 || h.getLong("client_pings") > 0)) {
      row(out, "heartbeats", heartbeats(h));
    }
    row(out, "closes / errors", json.getValue("unexpected_closes") + " unexpected closes"
        + (json.containsKey("close_codes") ? " " + json.getJsonObject("close_codes").encode() : "")
        + ", " + json.getValue("server_errors") + " server Error frames");
    return out.toString();
  }

  /** Server pings (each answered with a pong) and the client's Pings with the Pongs that answered them. */
  private static String heartbeats(JsonObject h) {
    return "server pings answered " + h.getValue("server_pings") + ", client Pings " + h.getValue("client_pings")
        + " answered by " + h.getValue("pongs") + " Pongs";
  }

  private static void row(StringBuilder out, String name, String value) {
    out.append(String.format(Locale.ROOT, "  %-19s %s%n", name, value));
  }

  private static String joined(JsonArray values) {
    StringBuilder out = new StringBuilder();
    for (Object v : values) {
      out.append(out.length() == 0 ? "" : ", ").append(v);
    }
    return out.toString();
  }

  private static String fmt(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String mib(Long kib) {
    return kib == null || kib < 0 ? "-" : String.format(Locale.ROOT, "%.1f", kib / 1024.0);
  }
}
