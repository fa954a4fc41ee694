package io.herald.auth;

import io.herald.model.LogText;
import java.util.regex.Pattern;

/** Token classification and the redaction used wherever a token could reach a log, an error or a metric. */
public final class Tokens {

  /** Longest token accepted, in characters; longer ones are refused before any parsing. */
  public static final int MAX_TOKEN_LENGTH = 8192;

  /** Knox tokens are at least this long; their first {@value} characters are the token key. */
  public static final int KNOX_KEY_LENGTH = 8;

  private static final Pattern JWT_SHAPE = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
  private static final Pattern KNOX_SHAPE = Pattern.compile("[A-Za-z0-9_-]{" + KNOX_KEY_LENGTH + ",512}");
  private static final Pattern QUERY_AND_FRAGMENT = Pattern.compile("[?#].*", Pattern.DOTALL);

  private Tokens() {
  }

  public static boolean looksLikeJwt(String token) {
    return JWT_SHAPE.matcher(token).matches();
  }

  public static boolean looksLikeKnox(String token) {
    return KNOX_SHAPE.matcher(token).matches();
  }

  /** At most the first 4 characters of a token, for logs. */
  public static String hint(String token) {
    if (token == null || token.isEmpty()) {
      return "<none>";
    }
    return LogText.of(token.substring(0, Math.min(4, token.length()))) + "…";
  }

  /**
   * The URI for a log: its path, with any query string and fragment replaced by {@code ?<redacted>}. The whole query
   * goes, not only {@code token=}: the token parameter is found under other spellings too ({@code %74oken=} is
   * decoded to {@code token}), and no log needs the rest.
   */
  public static String redactUri(String uri) {
    return uri == null ? null : QUERY_AND_FRAGMENT.matcher(uri).replaceFirst("?<redacted>");
  }
}
