/**
 * Where a rollout reads its per-version figures from. The router's `/admin/stats` is the
 * default; `analytics-engine.ts` reads the same figures from Workers Analytics Engine.
 */

import type { AdminClient } from "./admin-client.js";
import type { StatsSnapshot } from "./stats.js";

export interface StatsSource {
  /** For the decision record: "router" or "analytics-engine". */
  readonly name: string;
  /** Both versions' figures over the last `windowSeconds`. */
  getStats(windowSeconds: number): Promise<StatsSnapshot>;
}

export class RouterStatsSource implements StatsSource {
  readonly name = "router";
  constructor(private readonly client: Pick<AdminClient, "stats">) {}

  getStats(windowSeconds: number): Promise<StatsSnapshot> {
    return this.client.stats(windowSeconds);
  }
}
