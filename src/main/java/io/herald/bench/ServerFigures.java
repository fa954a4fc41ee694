package io.herald.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The server processes' figures of a run: CPU, RSS and live heap, summed and per process. */
final class ServerFigures {

  private ServerFigures() {
  }

  /**
   * CPU during the measured phase summed over the server's processes (per delivery), RSS summed (idle, connected,
   * peak of the sum) and, per process, its own CPU and RSS. When there is one process per port of the run (a fleet,
   * its PIDs in the order of its ports), each process also gets its connections and its RSS per connection.
   */
  static JsonObject of(ServerProcesses server, ServerProcesses.Sample idle, ServerProcesses.Sample connected,
                                  ServerProcesses.Sample phaseStart, ServerProcesses.Sample phaseEnd,
                                  ServerProcesses.RssPeaks peaks, long delivered, JsonObject connect, List<Integer> ports) {
    long cpu = phaseEnd.cpuNanos() - phaseStart.cpuNanos();
    int connections = connect.getInteger("connected");
    JsonObject s = new JsonObject().put("pids", server.pids())
        .put("cpu_s", BenchRunner.round(cpu / 1e9, 3))
        .put("cpu_sys_s", BenchRunner.round((phaseEnd.sysNanos() - phaseStart.sysNanos()) / 1e9, 3));
    long jit = 0;
    for (int i = 0; i < server.pids().size(); i++) {
      jit += ProcStats.jitNanosBetween(phaseStart.each().get(i), phaseEnd.each().get(i));
    }
    if (jit > 0) {
      // What the JIT compiler still spends in the measured phase is not what a delivery costs once the code is
      // compiled: shown apart, so that a run can tell a cold node from a slow path.
      s.put("cpu_jit_s", BenchRunner.round(jit / 1e9, 3));
    }
    if (delivered > 0) {
      s.put("cpu_us_per_delivery", BenchRunner.round(cpu / 1e3 / delivered, 2));
      if (jit > 0) {
        s.put("cpu_us_per_delivery_without_jit", BenchRunner.round((cpu - jit) / 1e3 / delivered, 2));
      }
    }
    s.put("rss_idle_kib", idle.rssKib())
        .put("rss_connected_kib", connected.rssKib())
        .put("rss_peak_kib", peaks.total());
    if (connections > 0) {
      s.put("rss_per_connection_kib", BenchRunner.round((connected.rssKib() - idle.rssKib()) / (double) connections, 2));
    }
    List<Integer> perProcess = connectionsPerProcess(server, connect, ports);
    JsonArray processes = new JsonArray();
    for (int i = 0; i < server.pids().size(); i++) {
      ProcStats.Sample start = phaseStart.each().get(i);
      ProcStats.Sample end = phaseEnd.each().get(i);
      JsonObject p = new JsonObject().put("pid", server.pids().get(i))
          .put("cpu_s", BenchRunner.round((end.cpuNanos() - start.cpuNanos()) / 1e9, 3))
          .put("cpu_sys_s", BenchRunner.round((end.sysNanos() - start.sysNanos()) / 1e9, 3))
          .put("cpu_jit_s", BenchRunner.round(ProcStats.jitNanosBetween(start, end) / 1e9, 3))
          .put("rss_idle_kib", idle.each().get(i).rssKib())
          .put("rss_connected_kib", connected.each().get(i).rssKib())
          .put("rss_peak_kib", peaks.of(i))
          .put("vm_hwm_kib", end.hwmKib());
      if (perProcess != null) {
        int n = perProcess.get(i);
        p.put("connections", n);
        if (n > 0) {
          p.put("rss_per_connection_kib", BenchRunner.round((connected.each().get(i).rssKib() - idle.each().get(i).rssKib()) / (double) n, 2));
        }
      }
      processes.add(p);
    }
    return s.put("processes", processes);
  }

  /**
   * The live heap (after a full collection) idle and connected, summed and per process, per connection: the sum over
   * all the connections, each process over its own when {@link #of} knew them.
   */
  static void addLiveHeap(JsonObject figures, List<Long> idle, List<Long> connected, JsonObject connect) {
    long idleTotal = idle.stream().mapToLong(Long::longValue).sum();
    long connectedTotal = connected.stream().mapToLong(Long::longValue).sum();
    int connections = connect.getInteger("connected");
    figures.put("live_heap_idle_kib", idleTotal / 1024).put("live_heap_connected_kib", connectedTotal / 1024);
    if (connections > 0) {
      figures.put("live_heap_per_connection_kib", BenchRunner.round((connectedTotal - idleTotal) / 1024.0 / connections, 2));
    }
    JsonArray processes = figures.getJsonArray("processes");
    for (int i = 0; i < processes.size(); i++) {
      JsonObject p = processes.getJsonObject(i);
      p.put("live_heap_idle_kib", idle.get(i) / 1024).put("live_heap_connected_kib", connected.get(i) / 1024);
      if (p.getInteger("connections", 0) > 0) {
        p.put("live_heap_per_connection_kib", BenchRunner.round((connected.get(i) - idle.get(i)) / 1024.0 / p.getInteger("connections"), 2));
      }
    }
  }

  /** The connections of each server process, when the run has one process per port (in the same order); else null. */
  private static List<Integer> connectionsPerProcess(ServerProcesses server, JsonObject connect, List<Integer> ports) {
    JsonObject perPort = connect.getJsonObject("connected_per_port");
    if (perPort == null || ports.size() != server.pids().size() || ports.size() < 2) {
      return null;
    }
    List<Integer> out = new ArrayList<>();
    for (int port : ports) {
      out.add(perPort.getInteger(String.valueOf(port), 0));
    }
    return out;
  }
}
