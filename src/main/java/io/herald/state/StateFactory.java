package io.herald.state;

import io.vertx.core.Vertx;

/** Gives each verticle its {@link State}: its own Redis-backed stores, or the node's shared in-memory ones. */
@FunctionalInterface
public interface StateFactory {

  /** Creates (or shares) the stores for a verticle running on {@code vertx}; called from the verticle's start. */
  State create(Vertx vertx);
}
