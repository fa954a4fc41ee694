package io.herald.auth;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;

/** Authentication failed; carries the error and close codes to send. The message never contains the token. */
public final class AuthException extends RuntimeException {

  private final ErrorCode errorCode;
  private final CloseCode closeCode;

  public AuthException(ErrorCode errorCode, CloseCode closeCode, String message) {
    super(message, null, false, false);
    this.errorCode = errorCode;
    this.closeCode = closeCode;
  }

  static AuthException invalid(String message) {
    return new AuthException(ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID, message);
  }

  static AuthException malformed(String message) {
    return new AuthException(ErrorCode.INVALID, CloseCode.AUTH_MISSING, message);
  }

  public ErrorCode errorCode() {
    return errorCode;
  }

  public CloseCode closeCode() {
    return closeCode;
  }
}
