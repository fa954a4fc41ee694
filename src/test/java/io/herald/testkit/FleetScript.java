package io.herald.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A fleet of real node processes behind a real HAProxy, driven through {@code scripts/fleet} with a FLEET_DIR of its
 * own under target/ (a developer's fleet in target/fleet/ is never touched) and the environment the test gives. The
 * fleet is stopped by {@link #close()}, and by a shutdown hook should the JVM end first.
 */
public final class FleetScript implements AutoCloseable {

  /** What a run of the script printed (stdout and stderr) and its exit code. */
  public record Run(int exit, String out) {
    @Override
    public String toString() {
      return "exit " + exit + "\n" + out;
    }
  }

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path SCRIPT = ROOT.resolve("scripts/fleet");
  /** Variables of the caller that would change what the fleet is; the test's env decides instead. */
  private static final List<String> NOT_INHERITED = List.of("HERALD_CONF", "API_KEY", "JWT_PUBLIC_KEY",
      "HERALD_ADMIN_KEY", "HERALD_METRICS_KEY", "NODE_ID", "HERALD_CLUSTER_MEMBERS", "HERALD_CLUSTER_PORT",
      "HERALD_CLUSTER_CONFIG", "FLEET_KEEP_ON_FAILURE", "HERALD_JAVA_OPTS");

  private final Path dir;
  private final int lbPort;
  private final Map<String, String> env;
  private final Thread stopOnExit;
  private volatile boolean stopped;

  private FleetScript(Path dir, int lbPort, Map<String, String> env) {
    this.dir = dir;
    this.lbPort = lbPort;
    this.env = env;
    this.stopOnExit = new Thread(() -> {
      if (!stopped) {
        run(Duration.ofSeconds(60), "stop");
      }
    }, "fleet-stop-on-exit");
  }

  /**
   * Starts {@code nodes} nodes and HAProxy on a free port range; {@code env} reaches every node (REDIS_URL,
   * NATS_URL, JWT_SECRET, HERALD_API_KEY, ...). Fails, having stopped what started, when the script fails.
   */
  public static FleetScript start(String name, int nodes, Map<String, String> env) {
    Path dir = ROOT.resolve("target/" + name);
    FleetScript fleet = new FleetScript(dir, freePortRange(nodes), new LinkedHashMap<>(env));
    Runtime.getRuntime().addShutdownHook(fleet.stopOnExit);
    Run start = fleet.run(Duration.ofSeconds(200), "start", Integer.toString(nodes), "--port",
        Integer.toString(fleet.lbPort));
    if (start.exit() != 0) {
      fleet.close();
      throw new AssertionError("scripts/fleet start failed:\n" + start);
    }
    return fleet;
  }

  /** HAProxy's port, the fleet's front door. */
  public int lbPort() {
    return lbPort;
  }

  /** Node K's own port (1-based). */
  public int nodePort(int k) {
    return lbPort + k;
  }

  /** kill -9 of node K; returns once the process is gone. */
  public void kill(int k) {
    expectSuccess(run(Duration.ofSeconds(30), "kill", Integer.toString(k)), "kill " + k);
  }

  /** Starts node K again after {@link #kill}; returns once it is back in the cluster with /health 200. */
  public void restart(int k) {
    expectSuccess(run(Duration.ofSeconds(120), "restart", Integer.toString(k)), "restart " + k);
  }

  @Override
  public void close() {
    if (stopped) {
      return;
    }
    Run stop = run(Duration.ofSeconds(120), "stop");
    stopped = true;
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
    expectSuccess(stop, "stop");
  }

  private static void expectSuccess(Run run, String what) {
    if (run.exit() != 0) {
      throw new AssertionError("scripts/fleet " + what + " failed:\n" + run);
    }
  }

  private Run run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    Map<String, String> processEnv = pb.environment();
    NOT_INHERITED.forEach(processEnv::remove);
    processEnv.putAll(env);
    processEnv.put("FLEET_DIR", dir.toString());
    processEnv.putIfAbsent("FLEET_START_TIMEOUT", "90");
    processEnv.putIfAbsent("FLEET_STOP_TIMEOUT", "20");
    try {
      Files.createDirectories(ROOT.resolve("target"));
      Path out = Files.createTempFile(ROOT.resolve("target"), "fleet-" + args[0] + "-", ".out");
      try {
        Process process = pb.redirectOutput(out.toFile()).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          return new Run(-1, "timed out after " + timeout.toSeconds() + " s\n" + Files.readString(out));
        }
        return new Run(process.exitValue(), Files.readString(out));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }

  /** A port P with P..P+nodes (HAProxy, nodes) and P+100..P+100+nodes-1 (Hazelcast) all free. */
  private static int freePortRange(int nodes) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20000, 40000);
      boolean free = true;
      for (int p = base; p <= base + nodes && free; p++) {
        free = bindable(p);
      }
      for (int p = base + 100; p < base + 100 + nodes && free; p++) {
        free = bindable(p);
      }
      if (free) {
        return base;
      }
    }
    throw new AssertionError("no free port range found");
  }

  private static boolean bindable(int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
