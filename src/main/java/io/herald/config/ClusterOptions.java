package io.herald.config;

/**
 * Whether the node runs in a fleet. Where and how it joins (cluster name, members, interface, event-bus TLS) is
 * {@code io.herald.cluster.ClusterSettings}, read from the {@code HERALD_CLUSTER_*} environment variables.
 * {@link #toString()} shows the key as JSON.
 */
public final class ClusterOptions {

  /** Default for clustering = {@value} (a standalone node). */
  public static final boolean DEFAULT_CLUSTER = false;

  private boolean cluster;

  /**
   * Creates the section with every default.
   */
  public ClusterOptions() {
    cluster = DEFAULT_CLUSTER;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public ClusterOptions(ClusterOptions other) {
    cluster = other.cluster;
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
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
