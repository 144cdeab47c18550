import type { Color } from "./core/split";
import type { RouterRuntime } from "./runtime";

/** What the proxy route tells the request log about a forwarded request (middleware/request-log.ts). */
export interface ProxyLog {
  /** The API key's id (SHA-256 prefix of the key), never the key. */
  readonly keyId: string | null;
  /** Why the answering version gave no answer (timeout, exception), if it did not. */
  readonly upstreamError: string | null;
  /** The version that failed first when the request was retried on the other one. */
  readonly fallback: { readonly from: Color; readonly status: number; readonly error: string | null } | null;
}

/** Hono's environment for every route: the bindings and the isolate's runtime state. */
export interface AppEnv {
  Bindings: Env;
  Variables: { runtime: RouterRuntime; proxyLog?: ProxyLog };
}
