package io.herald.config;

/**
 * Whether the node runs in a fleet. Where and how it joins (cluster name, members, interface, event-bus TLS) is
 * {@code io.herald.cluster.ClusterSettings}, read from the {@code HERALD_CLUSTER_*} environment variables.
 * {@link #toString()} shows the key as JSON.
 */
public final class ClusterOptions {

  /** Default for clustering = {@value} (a standalone node). */
  public static final boolean DEFAULT_CLUSTER = false;

  /** Default for cluster_min_members = {@value}: a node never counts itself isolated (a fleet of one serves). */
  public static final int DEFAULT_CLUSTER_MIN_MEMBERS = 1;

  /** Largest cluster_min_members accepted: far above any fleet Herald runs; a larger value is a typo. */
  public static final int MAX_CLUSTER_MIN_MEMBERS = 1000;

  private boolean cluster;
  private int clusterMinMembers;

  /**
   * Creates the section with every default.
   */
  public ClusterOptions() {
    cluster = DEFAULT_CLUSTER;
    clusterMinMembers = DEFAULT_CLUSTER_MIN_MEMBERS;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public ClusterOptions(ClusterOptions other) {
    cluster = other.cluster;
    clusterMinMembers = other.clusterMinMembers;
  }

  /**
   * @return whether the node joins a Hazelcast cluster ({@code cluster})
   */
  public boolean isCluster() {
    return cluster;
  }

  /**
   * Runs the node clustered: its event bus joins the fleet's Hazelcast cluster (configured by
   * {@code conf/cluster.xml} and the {@code HERALD_CLUSTER_*} environment variables). Key {@code cluster}, env
   * {@code CLUSTER}. Default {@value #DEFAULT_CLUSTER}.
   *
   * @param cluster whether to cluster
   * @return this
   */
  public ClusterOptions setCluster(boolean cluster) {
    this.cluster = cluster;
    return this;
  }

  /**
   * @return the fewest members (this node included) of the Hazelcast cluster this node must see to serve
   *         ({@code cluster_min_members})
   */
  public int getClusterMinMembers() {
    return clusterMinMembers;
  }

  /**
   * Sets the quorum of a clustered node: the fewest members of the Hazelcast cluster, this node included, it must see
   * to serve. Seeing fewer (a network partition cut it from the others, or the fleet is still forming), the node is
   * isolated: it stops taking from NATS, refuses HTTP ingress and new connections, answers {@code /health} with 503
   * and closes its connections with 4012 until it sees enough members again. Use a majority of the fleet
   * ({@code n / 2 + 1}): then at most one side of a partition serves. Key {@code cluster_min_members}, env
   * {@code CLUSTER_MIN_MEMBERS}; 1..{@value #MAX_CLUSTER_MIN_MEMBERS} members. Default
   * {@value #DEFAULT_CLUSTER_MIN_MEMBERS} (never isolated). Ignored unless {@code cluster} is on.
   *
   * @param clusterMinMembers the quorum, in members
   * @return this
   */
  public ClusterOptions setClusterMinMembers(int clusterMinMembers) {
    this.clusterMinMembers = Checks.range("cluster_min_members", clusterMinMembers, 1, MAX_CLUSTER_MIN_MEMBERS);
    return this;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
