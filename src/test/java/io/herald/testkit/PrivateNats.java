package io.herald.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A nats-server of a test's own, with JetStream and its store in a directory the test gives (under target/), on a
 * loopback port: for the tests that stop or restart NATS. The shared server on 4222 is never touched.
 */
public final class PrivateNats {

  private PrivateNats() {
  }

  /** Starts nats-server with JetStream on {@code port}, storing in {@code storeDir}; returns once it accepts. */
  public static Process start(int port, Path storeDir) throws IOException {
    Process p = new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-js", "-sd",
        storeDir.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      Await.until(() -> {
        if (!p.isAlive()) {
          throw new IllegalStateException("nats-server exited with " + p.exitValue());
        }
        return accepts(port);
      }, Duration.ofSeconds(10), "private nats-server on port " + port);
    } catch (AssertionError e) {
      stop(p);
      throw e;
    }
    return p;
  }

  /** Stops it the way an operator would (SIGTERM: JetStream flushes its store), forcibly after 10 s. */
  public static void stop(Process p) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }
}
