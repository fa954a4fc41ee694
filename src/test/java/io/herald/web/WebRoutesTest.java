package io.herald.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.ApiOptions;
import io.herald.config.AuthOptions;
import io.herald.config.ServerOptions;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The browser routes take the server, authentication and API sections: nothing else of the configuration. */
class WebRoutesTest {

  @Test
  void devSessionIsMountedInDevelopmentModeOnly() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      AuthOptions auth = new AuthOptions().setJwtSecret("web-routes-test-secret-0123456789");
      ApiOptions api = new ApiOptions().setApiKey("web-routes-test-key");
      Router production = Router.router(vertx);
      WebRoutes.mount(production, vertx, new ServerOptions(), auth, api);
      assertFalse(hasRoute(production, "/dev/session"));
      Router development = Router.router(vertx);
      WebRoutes.mount(development, vertx, new ServerOptions().setDevMode(true), auth, api);
      assertTrue(hasRoute(development, "/dev/session"));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static boolean hasRoute(Router router, String path) {
    return router.getRoutes().stream().map(Route::getPath).anyMatch(path::equals);
  }
}
