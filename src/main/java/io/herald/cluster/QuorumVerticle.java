package io.herald.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import io.herald.runtime.NodeInfo;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the node's Hazelcast view and keeps {@link NodeInfo#isIsolated()} in step with the {@link Quorum}
 * ({@code cluster_min_members}): Hazelcast's membership and lifecycle events arrive on its own threads and are handed
 * to this verticle's context, where the quorum is counted and a change published to the node's verticles
 * ({@link NodeInfo#setIsolated}). Answers {@link #statusAddress(NodeInfo)} with the quorum for {@code /health}.
 */
public final class QuorumVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(QuorumVerticle.class);

  private final NodeInfo node;
  private final int minMembers;
  private HazelcastInstance hazelcast;
  private Quorum quorum;
  private UUID membershipListener;
  private UUID lifecycleListener;

  /** @param minMembers {@code cluster_min_members} */
  public QuorumVerticle(NodeInfo node, int minMembers) {
    this.node = node;
    this.minMembers = minMembers;
  }

  /** Request (node-local): nothing; reply {@code {members, min_members, isolated}}. */
  public static String statusAddress(NodeInfo node) {
    return "herald.node." + node.nodeId() + ".quorum";
  }

  @Override
  public Future<?> start() {
    if (!(((VertxInternal) vertx).clusterManager() instanceof HazelcastClusterManager manager)) {
      return Future.failedFuture(new IllegalStateException("cluster_min_members needs the Hazelcast cluster manager"));
    }
    hazelcast = manager.getHazelcastInstance();
    quorum = new Quorum(minMembers, members());
    apply("at start");
    membershipListener = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        context.runOnContext(v -> {
          quorum.membersSeen(members());
          apply("member " + event.getMember().getAddress() + " joined");
        });
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        context.runOnContext(v -> {
          quorum.membersSeen(members());
          apply("member " + event.getMember().getAddress() + " left or was cut off");
        });
      }
    });
    lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(event -> onLifecycle(event.getState()));
    return vertx.eventBus().localConsumer(statusAddress(node), m -> m.reply(new JsonObject()
        .put("members", quorum.members()).put("min_members", quorum.minMembers()).put("isolated", quorum.isolated())))
        .completion();
  }

  @Override
  public Future<?> stop() {
    if (hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getCluster().removeMembershipListener(membershipListener);
      hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
    }
    return Future.succeededFuture();
  }

  private void onLifecycle(LifecycleEvent.LifecycleState state) {
    switch (state) {
      case MERGING -> context.runOnContext(v -> {
        quorum.mergeStarted();
        apply("merging into the fleet after a partition");
      });
      case MERGED, MERGE_FAILED -> context.runOnContext(v -> {
        quorum.mergeEnded(members());
        apply(state == LifecycleEvent.LifecycleState.MERGED ? "merged into the fleet" : "merge failed");
      });
      default -> {
        // Starting, stopping and client events say nothing of this node's view of the fleet.
      }
    }
  }

  /** The members this node's Hazelcast sees now, itself included (a local read, no network). */
  private int members() {
    return hazelcast.getLifecycleService().isRunning() ? hazelcast.getCluster().getMembers().size() : 0;
  }

  private void apply(String why) {
    boolean isolated = quorum.isolated();
    if (!node.setIsolated(isolated, vertx.eventBus())) {
      return;
    }
    if (isolated) {
      log.warn("node {} isolated from its fleet ({}; {}): NATS ingress paused, HTTP ingress and /health 503, "
          + "connections closed with 4012", node.nodeId(), quorum, why);
    } else {
      log.info("node {} back in its fleet ({}; {}): serving again", node.nodeId(), quorum, why);
    }
  }
}
