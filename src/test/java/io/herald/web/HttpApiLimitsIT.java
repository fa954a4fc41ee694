package io.herald.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.testkit.Await;
import io.herald.testkit.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP API's bounds on a real node: requests with the API key draw from {@code api_rate_per_sec} /
 * {@code api_rate_burst} (429 with {@code Retry-After} over it, refilled with time), requests with a wrong key are
 * refused with 401 without spending the key's rate, and a body over {@link HttpApi#MAX_BODY_BYTES} is refused with 413.
 */
@Timeout(60)
class HttpApiLimitsIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(T).build();
  private static final String NOTIFICATION = "{\"user_id\":\"api-limits\",\"message\":\"hello\"}";

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options().api(api -> api.setApiRatePerSec(1).setApiRateBurst(3)));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> publish(String key, String body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/api/v1/notifications"))
        .timeout(T).header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    try {
      return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("POST failed: " + e, e);
    }
  }

  @Test
  void theKeysRateIsSpentByItsOwnRequestsOnlyAndRefusedWith429UntilItRefills() {
    for (int i = 0; i < 10; i++) {
      assertEquals(401, publish("not-the-api-key-0123456789", NOTIFICATION).statusCode(), "a wrong key");
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(202, publish(TestNode.API_KEY, NOTIFICATION).statusCode(), "request " + i + " of the burst");
    }
    HttpResponse<String> refused = publish(TestNode.API_KEY, NOTIFICATION);
    assertEquals(429, refused.statusCode(), refused.body());
    assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
    Await.until(() -> publish(TestNode.API_KEY, NOTIFICATION).statusCode() == 202, T,
        "a request accepted once the key's bucket has a token again");
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413() {
    HttpResponse<String> response = publish(TestNode.API_KEY, "[" + " ".repeat((int) HttpApi.MAX_BODY_BYTES) + "]");
    assertEquals(413, response.statusCode(), response.body());
  }
}
