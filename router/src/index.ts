/**
 * The router Worker: one app for the isolate's lifetime (its RouterRuntime holds the only
 * module-level state: the split cached for at most SPLIT_CACHE_MS and the metrics not yet
 * flushed), plus the two Durable Object classes it binds.
 */
import { createRouterApp } from "./app";

export { SplitControl } from "./durable/split-control";
export { VersionMetrics } from "./durable/version-metrics";

export default createRouterApp();
