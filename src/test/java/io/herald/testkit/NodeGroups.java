package io.herald.testkit;

import io.herald.config.HeraldOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Test nodes by group for a test class whose tests need differently configured nodes: each group's node starts on
 * first use and lives until {@link #close()} (call it from {@code @AfterAll}), so tests of one group share it.
 */
public final class NodeGroups implements AutoCloseable {

  private final Map<String, TestNode> nodes = new LinkedHashMap<>();

  /** The group's node, started with the test defaults changed by {@code customise} the first time it is asked for. */
  public synchronized TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    return nodes.computeIfAbsent(group, g -> TestNode.start(customise.apply(TestNode.options())));
  }

  @Override
  public synchronized void close() {
    List<TestNode> started = new ArrayList<>(nodes.values());
    nodes.clear();
    started.forEach(TestNode::close);
  }
}
