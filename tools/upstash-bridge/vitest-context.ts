/**
 * What the worker project's global setup (vitest-global-setup.ts) hands to tests through
 * vitest's provide/inject. Types only, shared by the Node side and the tests inside workerd.
 */

export interface ProvidedUpstash {
  readonly url: string;
  readonly token: string;
}

export interface ProvidedRedisLab {
  readonly url: string;
  readonly token: string;
}

export interface LabStackInfo {
  readonly id: string;
  readonly url: string;
  readonly token: string;
  readonly control: { readonly url: string; readonly token: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's shared Redis behind the bridge: never stopped during the run. */
    upstash: ProvidedUpstash;
    /** The lab that starts private, controllable Redis instances (test tooling only). */
    redisLab: ProvidedRedisLab;
  }
}
