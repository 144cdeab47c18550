import type { RouterRuntime } from "./runtime";

/** Hono's environment for every route: the bindings and the isolate's runtime state. */
export interface AppEnv {
  Bindings: Env;
  Variables: { runtime: RouterRuntime };
}
