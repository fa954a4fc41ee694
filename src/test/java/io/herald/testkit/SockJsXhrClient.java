package io.herald.testkit;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A SockJS client on the XHR-streaming transport, as sockjs-client falls back to when WebSockets are not available:
 * {@code POST <base>/<server>/<session>/xhr_streaming} is held open and streams SockJS frames (one per line, after a
 * 2 KiB prelude), and each message goes up in its own {@code POST .../xhr_send}. It keeps the cookies the first
 * response sets (a load balancer's stickiness cookie) and sends them with every later request, like a browser.
 * Optional: the local addresses to connect from (the source address balancers hash), one for the streaming request and
 * one for the sends, and extra request headers (Origin).
 */
public final class SockJsXhrClient extends BridgeConnection {

  private final HttpClient http; // field references: a collected client is shut down
  private final HttpClient sendHttp;
  private final String host;
  private final int port;
  private final String sessionPath;
  private final Map<String, String> headers;
  private final String query;
  private volatile String cookie;
  private HttpClientResponse streaming;
  private final StringBuilder partial = new StringBuilder();

  private SockJsXhrClient(HttpClient http, HttpClient sendHttp, String host, int port, String sessionPath, String query,
                          Map<String, String> headers) {
    this.http = http;
    this.sendHttp = sendHttp;
    this.host = host;
    this.port = port;
    this.sessionPath = sessionPath;
    this.query = query;
    this.headers = headers;
  }

  /** A random SockJS server id (three digits, as sockjs-client makes them). */
  public static String serverId() {
    return Integer.toString(ThreadLocalRandom.current().nextInt(100, 1000));
  }

  /** A random SockJS session id. */
  public static String sessionId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  /**
   * Opens a session at {@code http://host:port/eventbus} and waits for the streaming response's headers (status 200).
   *
   * @param localAddress the address to connect from, or null for any
   * @param query        appended to every URL, e.g. {@code "?token=..."} or {@code ""}
   * @param headers      extra headers of every request (e.g. {@code Origin})
   */
  public static SockJsXhrClient open(Vertx vertx, String host, int port, String localAddress, String query,
                                     Map<String, String> headers) {
    return open(vertx, host, port, localAddress, localAddress, query, headers);
  }

  /** {@link #open(Vertx, String, int, String, String, Map)} with the sends made from another local address. */
  public static SockJsXhrClient open(Vertx vertx, String host, int port, String streamFrom, String sendFrom, String query,
                                     Map<String, String> headers) {
    SockJsXhrClient client = new SockJsXhrClient(vertx.createHttpClient(clientOptions(streamFrom)),
        vertx.createHttpClient(clientOptions(sendFrom)), host, port, "/eventbus/" + serverId() + "/" + sessionId(), query,
        headers);
    Context context = vertx.getOrCreateContext();
    Promise<HttpClientResponse> started = Promise.promise();
    context.runOnContext(v -> client.http.request(client.options("/xhr_streaming"))
        .compose(request -> request.send())
        .onComplete(ar -> {
          if (ar.failed()) {
            started.fail(ar.cause());
            return;
          }
          HttpClientResponse response = ar.result();
          // Set in the task that delivered the response: no chunk can be missed.
          response.handler(client::onChunk);
          response.endHandler(x -> client.closed.complete(new CloseInfo(null, null)));
          response.exceptionHandler(x -> client.closed.complete(new CloseInfo(null, null)));
          client.keepCookies(response.headers());
          started.complete(response);
        }));
    client.streaming = Await.result(started.future(), WAIT, "xhr_streaming to " + host + ":" + port);
    if (client.streaming.statusCode() != 200) {
      client.close();
      throw new AssertionError("xhr_streaming answered " + client.streaming.statusCode());
    }
    return client;
  }

  private static HttpClientOptions clientOptions(String localAddress) {
    HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) WAIT.toMillis());
    if (localAddress != null) {
      options.setLocalAddress(localAddress);
    }
    return options;
  }

  /** The status and headers of the streaming response (CORS headers, cookies). */
  public HttpClientResponse streamingResponse() {
    return streaming;
  }

  /** The session's path, {@code /eventbus/<server>/<session>}. */
  public String sessionPath() {
    return sessionPath;
  }

  /** The {@code Cookie} header sent with later requests (what the first response set), or null. */
  public String cookie() {
    return cookie;
  }

  @Override
  public SockJsXhrClient write(JsonObject message) {
    int status = post(new JsonArray().add(message.encode()).encode());
    if (status != 204) {
      throw new AssertionError("xhr_send answered " + status);
    }
    return this;
  }

  /** Posts a raw xhr_send body and returns the status (204 when the session took it). */
  public int post(String body) {
    // The body is asked for in the task that delivers the response: chained after the send's future, from a
    // non-Vert.x thread, it can be missed and the wait times out.
    return Await.result(sendHttp.request(options("/xhr_send"))
        .compose(request -> request.send(Buffer.buffer(body))
            .compose(response -> response.body().map(b -> response.statusCode()))), WAIT, "xhr_send");
  }

  private RequestOptions options(String transport) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port)
        .setURI(sessionPath + transport + query);
    headers.forEach(request::putHeader);
    if (cookie != null) {
      request.putHeader("Cookie", cookie);
    }
    return request;
  }

  private void keepCookies(MultiMap responseHeaders) {
    List<String> setCookies = responseHeaders.getAll("Set-Cookie");
    if (!setCookies.isEmpty()) {
      cookie = String.join("; ", setCookies.stream().map(c -> c.split(";", 2)[0]).toList());
    }
  }

  private void onChunk(Buffer chunk) {
    partial.append(chunk.toString());
    int newline;
    while ((newline = partial.indexOf("\n")) >= 0) {
      String frame = partial.substring(0, newline);
      partial.delete(0, newline + 1);
      onSockJsFrame(frame);
    }
  }

  @Override
  public void close() {
    if (streaming != null) {
      streaming.request().connection().close();
    }
    http.close();
    sendHttp.close();
  }
}
