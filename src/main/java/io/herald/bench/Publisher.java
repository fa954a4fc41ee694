package io.herald.bench;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One ingress of the node under test. {@link #publish} is called on the publisher's event loop, in the order the
 * notifications are numbered; each implementation keeps that order per stream (one NATS connection; one Redis
 * connection, pipelined; for HTTP a stream always goes through the same connection, one request at a time).
 */
interface Publisher {

  /** What to publish: the target kind and id, and the canonical notification (JSON text, target fields included). */
  record Message(String kind, String targetId, String tenant, String canonicalJson, String redisJson) {
  }

  Future<Void> start();

  /** Publishes; {@code done} gets true when the ingress accepted it (HTTP 202, Redis reply, NATS buffered). */
  void publish(Message message, Handler<Boolean> done);

  /** Requests handed over but not yet answered. */
  int pending();

  Future<Void> close();

  static Publisher create(Vertx vertx, BenchConfig config) {
    switch (config.ingress) {
      case NATS:
        return new NatsPublisher(config);
      case REDIS:
        return new RedisPublisher(vertx, config);
      default:
        return new HttpPublisher(vertx, config);
    }
  }

  /** HTTP API: {@code POST /api/v1/notifications}, one notification per request, over the nodes' ports in turn. */
  final class HttpPublisher implements Publisher {
    private final Vertx vertx;
    private final BenchConfig config;
    private HttpClientAgent client; // a field: a collected client is shut down
    private final List<Lane> lanes = new ArrayList<>();
    private int pending;

    HttpPublisher(Vertx vertx, BenchConfig config) {
      this.vertx = vertx;
      this.config = config;
    }

    /** One connection and its queue: one request in flight, so the order of a stream is the order of sending. */
    private final class Lane {
      final HttpClientConnection connection;
      final ArrayDeque<Runnable> queue = new ArrayDeque<>();
      boolean busy;

      Lane(HttpClientConnection connection) {
        this.connection = connection;
      }

      void submit(Message m, Handler<Boolean> done) {
        queue.add(() -> send(m, done));
        pump();
      }

      void pump() {
        if (!busy && !queue.isEmpty()) {
          busy = true;
          queue.poll().run();
        }
      }

      void send(Message m, Handler<Boolean> done) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/v1/notifications")
            .putHeader("Authorization", "Bearer " + config.apiKey).putHeader("Content-Type", "application/json");
        connection.request(request)
            .compose(r -> r.send(Buffer.buffer(m.canonicalJson())))
            .compose(resp -> resp.body().map(b -> resp.statusCode() == 202))
            .onComplete(ar -> {
              pending--;
              busy = false;
              done.handle(ar.succeeded() && ar.result());
              pump();
            });
      }
    }

    @Override
    public Future<Void> start() {
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5000));
      List<Future<HttpClientConnection>> all = new ArrayList<>();
      // Spread over the nodes like the WebSocket connections; a stream keeps its lane, so its order holds.
      List<Integer> ports = config.targetPorts();
      for (int i = 0; i < config.httpConnections; i++) {
        all.add(client.connect(new HttpConnectOptions().setHost(config.host).setPort(ports.get(i % ports.size()))));
      }
      return Future.all(all).map(cf -> {
        for (int i = 0; i < all.size(); i++) {
          lanes.add(new Lane(cf.resultAt(i)));
        }
        return null;
      });
    }

    @Override
    public void publish(Message message, Handler<Boolean> done) {
      pending++;
      lanes.get(Math.floorMod(message.targetId().hashCode(), lanes.size())).submit(message, done);
    }

    @Override
    public int pending() {
      return pending;
    }

    @Override
    public Future<Void> close() {
      return client == null ? Future.succeededFuture() : client.close();
    }
  }

  /** NATS: the node's subject, one connection; publishing only buffers, flushed by jnats. */
  final class NatsPublisher implements Publisher {
    private final BenchConfig config;
    private Connection nats;

    NatsPublisher(BenchConfig config) {
      this.config = config;
    }

    @Override
    public Future<Void> start() {
      try {
        nats = Nats.connect(new Options.Builder().servers(config.natsUrl.split(","))
            .connectionTimeout(Duration.ofSeconds(3)).maxReconnects(0).build());
        return Future.succeededFuture();
      } catch (Exception e) {
        return Future.failedFuture(new IllegalStateException("NATS " + config.natsUrl + ": " + e.getMessage(), e));
      }
    }

    @Override
    public void publish(Message message, Handler<Boolean> done) {
      try {
        nats.publish(config.natsSubject, message.canonicalJson().getBytes(StandardCharsets.UTF_8));
        done.handle(true);
      } catch (RuntimeException e) {
        done.handle(false);
      }
    }

    @Override
    public int pending() {
      return 0;
    }

    @Override
    public Future<Void> close() {
      if (nats != null) {
        try {
          nats.flush(Duration.ofSeconds(2));
        } catch (Exception ignored) {
          // closing anyway
        }
        try {
          nats.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Future.succeededFuture();
    }
  }

  /** Redis pub/sub: {@code PUBLISH <prefix>:user:<id> | <prefix>:channel:<topic> | <prefix>:global}, one pipelined connection. */
  final class RedisPublisher implements Publisher {
    private final Vertx vertx;
    private final BenchConfig config;
    private Redis redis;
    private RedisConnection connection;
    private int pending;

    RedisPublisher(Vertx vertx, BenchConfig config) {
      this.vertx = vertx;
      this.config = config;
    }

    @Override
    public Future<Void> start() {
      redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(config.redisUrl)
          .setMaxWaitingHandlers(65_536));
      return redis.connect().map(c -> {
        connection = c;
        return null;
      });
    }

    @Override
    public void publish(Message message, Handler<Boolean> done) {
      String channel;
      switch (message.kind()) {
        case "user":
          channel = config.redisChannelPrefix + ":user:" + message.targetId();
          break;
        case "topic":
          channel = config.redisChannelPrefix + ":channel:" + message.targetId();
          break;
        default:
          channel = config.redisChannelPrefix + ":global";
      }
      pending++;
      connection.send(Request.cmd(Command.PUBLISH).arg(channel).arg(message.redisJson())).onComplete(ar -> {
        pending--;
        // The reply counts subscribers: 0 means no node was listening.
        done.handle(ar.succeeded() && ar.result() != null && ar.result().toLong() > 0);
      });
    }

    @Override
    public int pending() {
      return pending;
    }

    @Override
    public Future<Void> close() {
      if (connection != null) {
        connection.close();
      }
      if (redis != null) {
        redis.close();
      }
      return Future.succeededFuture();
    }
  }
}
