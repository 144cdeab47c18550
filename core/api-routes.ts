/**
 * The API's routes and the methods each allows: the one table the API's 405/404 answers, its
 * index listing and the router's logs read, so that both Workers log `route` by one rule.
 */

export const API_ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/": ["GET", "HEAD"],
  "/predict": ["POST"],
  "/predict/batch": ["POST"],
  "/scenarios": ["POST"],
  "/features": ["GET", "HEAD"],
  "/model": ["GET", "HEAD"],
  "/health": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
  "/docs": ["GET", "HEAD"],
};

/**
 * The `route` of a request log line (and of the router's Analytics Engine point): the route the
 * path matched, never the raw URL (unbounded, and it could carry data), else `other`.
 */
export function logRouteOf(path: string, ...routeSets: ReadonlyArray<Readonly<Record<string, unknown>> | ReadonlySet<string>>): string {
  for (const routes of routeSets) {
    if (routes instanceof Set ? routes.has(path) : Object.hasOwn(routes, path)) return path;
  }
  return "other";
}
