package io.herald.bench;

import io.herald.testkit.TestNode;
import java.time.Duration;

/** The benchmark run the harness's own tests drive: 20 connections of 2 devices, 300/s for 0.6 s, loopback. */
final class TinyRun {

  private TinyRun() {
  }

  /** A tiny run of the scenario against the server on {@code port}, with the test nodes' JWT secret. */
  static BenchConfig config(int port, BenchConfig.Scenario scenario) {
    BenchConfig c = BenchConfig.defaults();
    c.scenario = scenario;
    c.port = port;
    c.connections = 20;
    c.devices = 2;
    c.topics = 4;
    c.topicsPerConnection = 2;
    c.rate = 300;
    c.duration = Duration.ofMillis(600);
    c.drain = Duration.ofSeconds(5);
    c.settle = Duration.ZERO;
    c.jwtSecret = TestNode.JWT_SECRET;
    return c;
  }
}
