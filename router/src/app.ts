/**
 * The router app: the request log (outermost, one JSON line per request), middleware, route
 * groups and the one error handler. index.ts builds the isolate's instance; tests build more
 * (each with its own RouterRuntime) to stand for isolates.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { RequestError, errorBody } from "./errors";
import { logRequests } from "./middleware/request-log";
import { adminRoutes } from "./routes/admin";
import { healthRoutes } from "./routes/health";
import { metricsRoutes } from "./routes/metrics";
import { proxyRoutes } from "./routes/proxy";
import { RouterRuntime } from "./runtime";
import type { AppEnv } from "./types";

export function createRouterApp(runtime: RouterRuntime = new RouterRuntime()): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The router's own paths, from the routes registered below (the proxy's catch-all excluded).
  let ownRoutes: ReadonlySet<string> | undefined;
  const readOwnRoutes = () => (ownRoutes ??= new Set(app.routes.map((r) => r.path).filter((p) => !p.includes("*"))));
  app.use("*", logRequests(readOwnRoutes));
  app.use("*", async (c, next) => {
    c.set("runtime", runtime);
    await next();
  });
  app.route("/admin", adminRoutes);
  app.route("/", metricsRoutes);
  app.route("/", healthRoutes);
  app.route("/", proxyRoutes);
  app.onError((error, c) => {
    if (error instanceof RequestError) {
      return c.json({ ...errorBody(error.status, error.code, error.message, error.field), ...error.extra }, error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(errorBody(error.status, "bad_request", error.message), error.status);
    }
    // Logged by the request log (one line, with this error and its stack).
    return c.json(errorBody(500, "internal_error", "the router failed on this request; it has been logged"), 500);
  });
  return app;
}
