package io.herald.config;

/**
 * How secrets are hidden when options are shown: a secret is replaced whole, a URL keeps everything but the password
 * of its userinfo.
 */
final class Redaction {

  /** Replacement text for a secret. */
  static final String REDACTED = "<redacted>";

  private Redaction() {
  }

  /**
   * Replaces the password in the userinfo of a URL, or of each URL of a comma-separated list
   * (e.g. {@code redis://:<redacted>@host:6379}; a userinfo without ':' is a token and is redacted as a whole).
   */
  static String urlPasswords(String urls) {
    String[] parts = urls.split(",", -1);
    StringBuilder sb = new StringBuilder(urls.length());
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(redactOne(parts[i]));
    }
    return sb.toString();
  }

  private static String redactOne(String url) {
    int at = url.lastIndexOf('@');
    if (at < 0) {
      return url;
    }
    int schemeEnd = url.indexOf("://");
    int start = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 3 : 0;
    String userInfo = url.substring(start, at);
    int colon = userInfo.indexOf(':');
    String redacted = colon >= 0 ? userInfo.substring(0, colon + 1) + REDACTED : REDACTED;
    return url.substring(0, start) + redacted + url.substring(at);
  }
}
