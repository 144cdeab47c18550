/**
 * Work that must not delay the answer it follows: a route registers it (`deferAfterResponse`)
 * and it runs once the answer is complete, in the request's waitUntil, after a zero timer so the
 * runtime writes the response first. Used to start onnxruntime in a fresh isolate (about 300 ms
 * of synchronous CPU): started earlier, say while the request waited for Redis, it would hold
 * up the very answer it was deferred for.
 */

import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.js";
import { waitUntilOf } from "../prediction-flow.js";

export type AfterResponseTask = () => Promise<unknown>;

export function runAfterResponse(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tasks: AfterResponseTask[] = [];
    c.set("afterResponse", tasks);
    await next();
    if (tasks.length === 0) return;
    const run = new Promise((resolve) => setTimeout(resolve, 0)).then(() =>
      Promise.all(tasks.map((task) => task().catch(() => undefined))),
    );
    waitUntilOf(c)(run);
  };
}

/** Run `task` after this request's answer (right away when the middleware is not installed). */
export function deferAfterResponse(c: Context<AppEnv>, task: AfterResponseTask): void {
  const tasks = c.get("afterResponse") as AfterResponseTask[] | undefined;
  if (tasks) tasks.push(task);
  else waitUntilOf(c)(task().catch(() => undefined));
}
