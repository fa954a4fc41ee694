package io.herald.cluster;

/**
 * Whether a clustered node counts itself isolated from its fleet, from what Hazelcast tells it: the members it sees
 * (itself included) and whether it is merging back into a larger cluster after a partition. Isolated while it sees
 * fewer than {@code minMembers}, and while a merge is under way (Hazelcast is rejoining the node: its view is about
 * to be replaced). Not thread-safe: fed on one Vert.x context ({@link QuorumVerticle}).
 */
public final class Quorum {

  private final int minMembers;
  private int members;
  private boolean merging;

  /**
   * @param minMembers     the quorum ({@code cluster_min_members}), at least 1
   * @param initialMembers the members seen at start
   */
  public Quorum(int minMembers, int initialMembers) {
    if (minMembers < 1) {
      throw new IllegalArgumentException("minMembers must be >= 1 (got " + minMembers + ")");
    }
    this.minMembers = minMembers;
    this.members = initialMembers;
  }

  /** Whether the node is isolated now. */
  public boolean isolated() {
    return merging || members < minMembers;
  }

  /** The members seen now. */
  public int members() {
    return members;
  }

  /** The quorum. */
  public int minMembers() {
    return minMembers;
  }

  /**
   * Hazelcast's member list changed (a member joined or was removed).
   *
   * @return whether the node is isolated now
   */
  public boolean membersSeen(int seen) {
    members = seen;
    return isolated();
  }

  /**
   * Hazelcast started merging this node into another cluster (a partition healed and this side is the smaller):
   * the node serves nothing until the merge ends.
   *
   * @return whether the node is isolated now (always)
   */
  public boolean mergeStarted() {
    merging = true;
    return isolated();
  }

  /**
   * The merge ended (merged, or failed and the node stays in its own cluster), with the members seen then.
   *
   * @return whether the node is isolated now
   */
  public boolean mergeEnded(int seen) {
    merging = false;
    return membersSeen(seen);
  }

  /** What {@code /health} and the logs say of the quorum. */
  @Override
  public String toString() {
    return members + " of at least " + minMembers + " members" + (merging ? ", merging" : "");
  }
}
