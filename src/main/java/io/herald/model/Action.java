package io.herald.model;

import io.vertx.core.json.JsonObject;

/** A button a client may show with a notification: a label and the URL (absolute or app-relative) it opens. */
public record Action(String label, String url) {

  public JsonObject toJson() {
    return new JsonObject().put("label", label).put("url", url);
  }
}
