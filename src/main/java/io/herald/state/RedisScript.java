package io.herald.state;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script run atomically on Redis by its SHA1 ({@code EVALSHA}), so the script text crosses the network only
 * when the server does not know it yet: on a {@code NOSCRIPT} error (first use, or after the server restarted,
 * was replaced or ran {@code SCRIPT FLUSH}) it is sent once with {@code EVAL}, which also caches it server-side.
 *
 * <p>Immutable and thread-safe: create one per script (typically a {@code static final} field) and share it.
 */
public final class RedisScript {

  private final String lua;
  private final String sha1;

  /**
   * @param lua the script's source; it reads its keys from {@code KEYS} and its arguments from {@code ARGV}
   */
  public RedisScript(String lua) {
    this.lua = lua;
    this.sha1 = sha1Hex(lua);
  }

  /**
   * Runs the script.
   *
   * @param redis the client to run it on
   * @param keys  the keys the script touches (its {@code KEYS}), in order
   * @param args  its other arguments (its {@code ARGV}), in order
   * @return the script's reply; failed with the Redis error when the script raised one
   */
  public Future<Response> run(Redis redis, List<String> keys, List<String> args) {
    return redis.send(request(Command.EVALSHA, sha1, keys, args))
        .recover(failure -> isNoScript(failure.getMessage())
            ? redis.send(request(Command.EVAL, lua, keys, args))
            : Future.failedFuture(failure));
  }

  /**
   * The {@code EVALSHA} request that runs the script, for a caller that sends it itself (in a batch), with its
   * arguments already UTF-8: on the recording path they are bytes made once (sizes, TTLs) or already encoded (the
   * notification's JSON), not strings encoded again for every request.
   */
  Request evalsha(List<String> keys, List<byte[]> args) {
    Request request = Request.cmd(Command.EVALSHA).arg(sha1).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  /** The {@code SCRIPT LOAD} request that caches the script server-side, so that its {@code EVALSHA} finds it. */
  Request load() {
    return Request.cmd(Command.SCRIPT).arg("LOAD").arg(lua);
  }

  /** True when a Redis error (the message of a failure) says the server does not know the script. */
  static boolean isNoScript(String error) {
    return error != null && error.startsWith("NOSCRIPT");
  }

  private static Request request(Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static String sha1Hex(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-1", e);
    }
  }
}
