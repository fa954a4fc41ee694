package io.herald.ingress;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Block-explorer URL templates by chain, which turn a chain and a transaction hash into a link. */
final class BlockExplorers {

  private static final String HASH_PLACEHOLDER = "{hash}";

  /** Template by lower-cased chain name. */
  private final Map<String, String> templates;

  /**
   * @param templates chain name (matched case-insensitively) to URL template containing {@code {hash}}; null
   *     means none
   * @throws IllegalArgumentException when a chain name is empty or a template is null or lacks {@code {hash}}
   */
  BlockExplorers(Map<String, String> templates) {
    Map<String, String> copy = new LinkedHashMap<>();
    if (templates != null) {
      templates.forEach((chain, template) -> {
        if (chain == null || chain.isBlank()) {
          throw new IllegalArgumentException("explorer chain name must not be empty");
        }
        if (template == null || !template.contains(HASH_PLACEHOLDER)) {
          throw new IllegalArgumentException("explorer URL template for chain '" + chain + "' must contain " + HASH_PLACEHOLDER);
        }
        copy.put(chain.toLowerCase(Locale.ROOT), template);
      });
    }
    this.templates = Map.copyOf(copy);
  }

  /** The transaction's link on the chain's explorer, the hash as one path segment; null when the chain has none. */
  String transactionUrl(String chain, String hash) {
    String template = templates.get(chain.toLowerCase(Locale.ROOT));
    return template == null ? null : template.replace(HASH_PLACEHOLDER, PathSegment.encode(hash));
  }

  /** The chains that have a template, lower-cased. */
  Set<String> chains() {
    return templates.keySet();
  }
}
