/** Typed handles on the router's Durable Objects. */
import type { Color } from "../core/split";
import type { SplitControl } from "./split-control";
import type { VersionMetrics } from "./version-metrics";

/** The one SplitControl object that holds the split. */
export function splitControl(env: Env): DurableObjectStub<SplitControl> {
  const ns = env.SPLIT_CONTROL as unknown as DurableObjectNamespace<SplitControl>;
  return ns.get(ns.idFromName("split"));
}

/** The metrics object of one version (one per colour). */
export function versionMetrics(env: Env, color: Color): DurableObjectStub<VersionMetrics> {
  const ns = env.VERSION_METRICS as unknown as DurableObjectNamespace<VersionMetrics>;
  return ns.get(ns.idFromName(`metrics:${color}`));
}
