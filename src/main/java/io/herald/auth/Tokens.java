package io.herald.auth;

import io.herald.model.LogText;
import java.util.regex.Pattern;

/** Token classification and the redaction used wherever a token could reach a log, an error or a metric. */
public final class Tokens {

  /** Longest token accepted, in characters; longer ones are refused before any parsing. */
  public static final int MAX_TOKEN_LENGTH = 8192;

  /** Knox tokens are at least this long; their first {@value} characters are the token key. */
  public static final int KNOX_KEY_LENGTH = 8;

  private static final Pattern KNOX_SHAPE = Pattern.compile("[A-Za-z0-9_-]{" + KNOX_KEY_LENGTH + ",512}");
  private static final Pattern QUERY_AND_FRAGMENT = Pattern.compile("[?#].*", Pattern.DOTALL);

  private Tokens() {
  }

  /**
   * Three base64url parts joined by dots, the first two non-empty (an unsigned token's signature is empty). A scan,
   * not a regular expression: it runs on every connection's authentication.
   */
  public static boolean looksLikeJwt(String token) {
    int dots = 0;
    int partLength = 0;
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '.') {
        if (partLength == 0 || ++dots > 2) {
          return false;
        }
        partLength = 0;
      } else if (isBase64Url(c)) {
        partLength++;
      } else {
        return false;
      }
    }
    return dots == 2;
  }

  private static boolean isBase64Url(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
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
