package io.herald.node;

import io.herald.cluster.QuorumVerticle;
import io.herald.runtime.NodeInfo;
import io.herald.runtime.Metrics;
import io.herald.session.ConnectionRegistry;
import io.herald.session.ConnectionRegistryVerticle;
import io.herald.config.HeraldOptions;
import io.herald.ingress.IngressVerticle;
import io.herald.model.Notification;
import io.herald.model.NotificationCodec;
import io.herald.socket.SocketVerticle;
import io.herald.state.StateFactory;
import io.herald.state.StateStores;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Herald node inside a Vert.x instance: the connection registry, the ingress verticle and N socket
 * verticle instances. Used by {@code herald run} and by the tests.
 */
public final class HeraldNode {

  private static final Logger log = LoggerFactory.getLogger(HeraldNode.class);

  private final Vertx vertx;
  private final HeraldOptions options;
  private final NodeInfo info;
  private final List<SocketVerticle> sockets;
  private final List<String> deployments;
  private final int port;

  private HeraldNode(Vertx vertx, HeraldOptions options, NodeInfo info, List<SocketVerticle> sockets,
                     List<String> deployments) {
    this.vertx = vertx;
    this.options = options;
    this.info = info;
    this.sockets = sockets;
    this.deployments = deployments;
    this.port = sockets.get(0).actualPort();
  }

  /** Validates the options and deploys a node; fails with a message naming the key when one is wrong. */
  public static Future<HeraldNode> deploy(Vertx vertx, HeraldOptions options) {
    HeraldOptions opts;
    try {
      opts = new HeraldOptions(options).validate();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    NodeInfo info = new NodeInfo(opts.server().getNodeId(), Instant.now(), new Metrics());
    try {
      vertx.eventBus().registerDefaultCodec(Notification.class, new NotificationCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // A second node in the same Vert.x instance (tests) shares the codec.
    }
    StateFactory stateFactory = StateStores.forOptions(opts.state());
    // One per core by default, not one per event-loop thread (Vert.x starts two per core): each notification
    // crosses to every verticle holding a session of its user, and on two cores four verticles cost about a third
    // more CPU per delivery than two (scripts/bench user-max-nats, README Performance).
    int instances = opts.server().getInstances() > 0 ? opts.server().getInstances()
        : Runtime.getRuntime().availableProcessors();
    List<SocketVerticle> sockets = new CopyOnWriteArrayList<>();
    List<String> deployments = new CopyOnWriteArrayList<>();
    ConnectionRegistry registry = new ConnectionRegistry(opts.limits(), opts.api());
    // The quorum first: the verticles after it start knowing whether the node is isolated (the ingress then does not
    // take from NATS, the sockets refuse upgrades), and hear every change after.
    int minMembers = opts.cluster().getClusterMinMembers();
    Future<String> quorum = vertx.isClustered() && minMembers > 1
        ? vertx.deployVerticle(new QuorumVerticle(info, minMembers)).onSuccess(deployments::add)
        : Future.succeededFuture();
    return quorum.compose(q -> vertx.deployVerticle(new ConnectionRegistryVerticle(registry, info)))
        .compose(id -> {
          deployments.add(id);
          return vertx.deployVerticle(new IngressVerticle(opts.ingress(), opts.state(), info, stateFactory));
        })
        .compose(id -> {
          deployments.add(id);
          return vertx.deployVerticle(() -> {
            SocketVerticle socket = new SocketVerticle(opts, info, stateFactory, registry);
            sockets.add(socket);
            return socket;
          }, new DeploymentOptions().setInstances(instances));
        })
        .map(id -> {
          deployments.add(id);
          HeraldNode node = new HeraldNode(vertx, opts, info, sockets, deployments);
          log.info("node {} up: {} socket verticle instances on port {}", info.nodeId(), instances, node.port);
          return node;
        })
        .recover(e -> {
          List<String> undo = List.copyOf(deployments);
          Future<Void> cleanup = Future.succeededFuture();
          for (int i = undo.size() - 1; i >= 0; i--) {
            String id = undo.get(i);
            cleanup = cleanup.eventually(() -> vertx.undeploy(id));
          }
          return cleanup.transform(x -> Future.failedFuture(e));
        });
  }

  /**
   * Stops the node gracefully: socket verticles first (no new connections, every client closed with 1001),
   * then ingress, then the registry.
   */
  public Future<Void> stop() {
    drain();
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.eventually(() -> vertx.undeploy(id));
    }
    return chain;
  }

  /**
   * Starts draining: {@code /health} answers 503 (the load balancer stops sending new connections), new
   * upgrades are refused, every client is closed with 1001 and the node's consumers are unregistered.
   */
  public void drain() {
    if (info.startDraining(vertx.eventBus())) {
      log.info("node {} draining: closing every connection with 1001", info.nodeId());
    }
  }

  public int port() {
    return port;
  }

  public String nodeId() {
    return info.nodeId();
  }

  public NodeInfo info() {
    return info;
  }

  public HeraldOptions options() {
    return options;
  }

  public Vertx vertx() {
    return vertx;
  }
}
