package io.herald.web;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium driven by {@code src/test/js/browser-driver.mjs} (playwright-core) through its line protocol:
 * one command per line on its stdin, one {@code ok <json>} or {@code fail <reason>} line back per command. The
 * script ends itself after {@link #TIME_LIMIT} whatever happens, and when its stdin closes.
 */
final class BrowserDriver implements AutoCloseable {

  static final Path JS_DIR = Path.of("src", "test", "js");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** The script's own time limit: the whole scenario of one test fits well within it. */
  static final Duration TIME_LIMIT = Duration.ofMinutes(4);
  /** Added to a command's own wait for the answer to travel back. */
  private static final Duration ANSWER_GRACE = Duration.ofSeconds(15);
  private static final String INSTALL_HINT =
      " (scripts/test installs it when run as root; otherwise: apt-get install -y chromium && npm ci --prefix src/test/js)";

  private final Process process;
  private final Writer commands;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

  private BrowserDriver(Process process) {
    this.process = process;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readAnswers, "browser-driver-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Fails (never skips) when Chromium, Node.js or the npm packages are missing, naming the command to run. */
  static void assertInstalled() {
    if (!Files.isExecutable(CHROMIUM)) {
      fail(CHROMIUM + " is missing: run apt-get install -y chromium" + INSTALL_HINT);
    }
    if (!Files.isDirectory(JS_DIR.resolve("node_modules").resolve("playwright-core"))) {
      fail("playwright-core is not installed in " + JS_DIR + ": run npm ci --prefix " + JS_DIR + INSTALL_HINT);
    }
    try {
      Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      if (!node.waitFor(30, TimeUnit.SECONDS) || node.exitValue() != 0) {
        node.destroyForcibly();
        fail("node --version failed: install Node.js (apt-get install -y nodejs npm)" + INSTALL_HINT);
      }
    } catch (IOException e) {
      fail("Node.js is missing: run apt-get install -y nodejs npm" + INSTALL_HINT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted while checking for Node.js");
    }
  }

  /** Starts the script and Chromium; its stderr (page console, diagnostics) goes to {@code log}. */
  static BrowserDriver start(Path log) throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder("node", "browser-driver.mjs")
        .directory(JS_DIR.toFile())
        .redirectError(log.toFile());
    builder.environment().put("CHROMIUM", CHROMIUM.toString());
    builder.environment().put("TIME_LIMIT_MS", Long.toString(TIME_LIMIT.toMillis()));
    BrowserDriver driver = new BrowserDriver(builder.start());
    driver.awaitAnswer("start", Duration.ofSeconds(60));
    return driver;
  }

  /** Sends a command whose own waits last at most {@code wait}; returns its answer, fails on "fail". */
  JsonObject send(String command, Duration wait) {
    try {
      commands.write(command + "\n");
      commands.flush();
    } catch (IOException e) {
      fail("browser driver gone before '" + command + "': " + e.getMessage());
    }
    Object answer = awaitAnswer(command, wait.plus(ANSWER_GRACE));
    return answer instanceof JsonObject object ? object : new JsonObject().put("value", answer);
  }

  JsonArray pageErrors() {
    return send("page-errors", Duration.ZERO).getJsonArray("value");
  }

  private Object awaitAnswer(String command, Duration wait) {
    String line;
    try {
      line = answers.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for the browser driver");
    }
    if (line == null) {
      fail("browser driver: no answer to '" + command + "' within " + wait.toSeconds() + " s");
    }
    if (!line.startsWith("ok ")) {
      fail("browser driver: '" + command + "' -> " + line);
    }
    String json = line.substring(3);
    return json.startsWith("[") ? new JsonArray(json) : new JsonObject(json);
  }

  private void readAnswers() {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        answers.add(line);
      }
    } catch (IOException e) {
      answers.add("fail driver output unreadable: " + e.getMessage());
    }
    answers.add("fail the driver exited (its log is next to the screenshot)");
  }

  @Override
  public void close() throws InterruptedException {
    try {
      commands.write("quit\n");
      commands.close();
    } catch (IOException e) {
      // Already gone: nothing to ask it.
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
